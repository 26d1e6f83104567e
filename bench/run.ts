/**
 * `npm run bench`: Sluice's throughput, latency, CPU and memory next to what the same machine
 * does without Sluice, measured in one run. Loopback only; starts its own nats-server and fresh
 * PostgreSQL databases, runs every server and the load generator as separate processes.
 * `npm run bench -- --help` lists the options and sections (bench/harness/options.ts); each
 * section is a module of bench/sections/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase } from '../test/helpers/db.js';
import { startNatsServer } from '../test/helpers/nats.js';
import { migrate, type BenchContext } from './harness/context.js';
import { parseOptions, USAGE, wants, type BenchOptions } from './harness/options.js';
import { killAll, log, ROOT, setProfileDirs } from './harness/processes.js';
import { newReport, printReport } from './harness/report.js';
import { runBatch } from './sections/batch.js';
import { runBusLibrary } from './sections/buslib.js';
import { runCopy, runDrain } from './sections/drain.js';
import { runE2eLatency } from './sections/e2e-latency.js';
import { runEmbedded } from './sections/embedded.js';
import { runHalfRate } from './sections/half-rate.js';
import { runPersisted } from './sections/persisted.js';
import { runRaw } from './sections/raw.js';
import { runSingleEvents } from './sections/single-events.js';
import { runStartup } from './sections/startup.js';

/** The sections in the order they run; the first runs if any of hello, naive or single is asked for. */
const PLAN: ReadonlyArray<{ name: string; when: (o: BenchOptions) => boolean; run: (ctx: BenchContext) => Promise<void> }> = [
  { name: 'single events', when: (o) => wants(o, 'hello') || wants(o, 'naive') || wants(o, 'single'), run: runSingleEvents },
  { name: 'half rate', when: (o) => wants(o, 'single'), run: runHalfRate },
  { name: 'batch', when: (o) => wants(o, 'batch'), run: runBatch },
  { name: 'raw', when: (o) => wants(o, 'raw'), run: runRaw },
  { name: 'copy', when: (o) => wants(o, 'drain'), run: runCopy },
  { name: 'drain', when: (o) => wants(o, 'drain'), run: runDrain },
  { name: 'e2e', when: (o) => wants(o, 'e2e'), run: runE2eLatency },
  { name: 'persist', when: (o) => wants(o, 'persist'), run: (ctx) => runPersisted(ctx, 'single') },
  { name: 'persist-batch', when: (o) => wants(o, 'persist-batch'), run: (ctx) => runPersisted(ctx, 'batch') },
  { name: 'embedded', when: (o) => wants(o, 'embedded'), run: runEmbedded },
  { name: 'startup', when: (o) => wants(o, 'startup'), run: runStartup },
  { name: 'buslib', when: (o) => wants(o, 'buslib'), run: runBusLibrary },
];

async function main(options: BenchOptions): Promise<void> {
  const t0 = performance.now();
  setProfileDirs({ ...(options.profileDir !== undefined ? { cpu: options.profileDir } : {}), ...(options.heapProfileDir !== undefined ? { heap: options.heapProfileDir } : {}) });
  if (options.build) {
    log('npm run build');
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const nc = await connect({ servers: nats.url });
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const ctx: BenchContext = { options, nats, db, jsm: await jetstreamManager(nc), scratch, report: newReport() };
  try {
    log(`nats ${nats.url}, database ${db.name}, ${options.seconds} s per run, ${options.rounds} rounds`);
    migrate(ctx, db);
    const took: string[] = [];
    for (const step of PLAN) {
      if (!step.when(options)) continue;
      const started = performance.now();
      await step.run(ctx);
      took.push(`${step.name} ${Math.round((performance.now() - started) / 1000)}`);
    }
    ctx.report.lines.push(`seconds by section: ${took.join(', ')}`);
  } finally {
    killAll();
    await nc.close();
    await db.drop().catch(() => undefined);
    await nats.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
  printReport(ctx.report, (performance.now() - t0) / 1000);
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE);
} else {
  main(options).catch((error: unknown) => {
    killAll();
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
