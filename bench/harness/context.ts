/** What every section of a run shares: the options, the nats-server, the database, the report so far. */
import { spawnSync } from 'node:child_process';
import type { JetStreamManager } from '@nats-io/jetstream';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import type { NatsServer } from '../../test/helpers/nats.js';
import type { BenchOptions } from './options.js';
import { ROOT } from './processes.js';
import type { Report } from './report.js';
import { names, sluiceEnv, type Server, type SluiceNames } from './servers.js';

export interface BenchContext {
  readonly options: BenchOptions;
  readonly nats: NatsServer;
  /** The database of the sections that share one (migrated once). */
  readonly db: TestDatabase;
  readonly jsm: JetStreamManager;
  /** A temporary folder, removed at the end. */
  readonly scratch: string;
  readonly report: Report;
  /** Left by the single section for the half-rate and /health runs: the open gateway and its names. */
  singleGateway?: Server & { names: SluiceNames };
  /** The drain section's rate (the e2e section's pace comes from it). */
  drainRate?: number;
}

/** Runs `sluice migrate` on a database. */
export function migrate(ctx: Pick<BenchContext, 'nats'>, db: TestDatabase): void {
  const migrated = spawnSync(process.execPath, ['bin/sluice.js', 'migrate'], { cwd: ROOT, env: { ...process.env, ...sluiceEnv(ctx.nats, db, names('migrate')) }, stdio: ['ignore', 'ignore', 'inherit'] });
  if (migrated.status !== 0) throw new Error('sluice migrate failed');
}

/** A fresh database with Sluice's tables, for a section that wants one of its own. */
export async function freshDatabase(ctx: Pick<BenchContext, 'nats'>): Promise<TestDatabase> {
  const db = await createTestDatabase();
  migrate(ctx, db);
  return db;
}
