/** CPU time per event of every process on a path: named processes, nats-server, the database's backends. */
import type { TestDatabase } from '../../test/helpers/db.js';
import type { NatsServer } from '../../test/helpers/nats.js';
import { cpuSecondsMeter, findPids } from '../proc.js';

/** The pids of the bench's nats-server. */
export function natsServerPids(nats: NatsServer): number[] {
  return findPids((c) => c.includes('nats-server') && c.includes(`-p ${nats.port} `));
}

/** The database's backends connected now, but this query's own. */
async function backendPids(db: TestDatabase): Promise<number[]> {
  return (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).map((b) => b.pid);
}

/**
 * Starts measuring the CPU time of each named set of pids and of the database's backends
 * (`postgres`: those connected now, and at the end those a pool opened meanwhile, whole).
 * `stop(events)` gives µs per event by name.
 */
export async function pathCpuMeter(processes: Record<string, readonly number[]>, db: TestDatabase): Promise<{ stop(events: number): Promise<Record<string, number>> }> {
  const meters = Object.entries({ ...processes, postgres: await backendPids(db) }).map(([name, pids]) => [name, cpuSecondsMeter(pids)] as const);
  return {
    async stop(events) {
      const backendsAtEnd = await backendPids(db);
      return Object.fromEntries(meters.map(([name, meter]) => [name, Math.round((meter.stop(name === 'postgres' ? backendsAtEnd : []) * 1e6) / events)]));
    },
  };
}

/** "CPU µs per event: worker 34 + nats-server 8 + postgres 19 = 61". */
export function cpuPerEventNote(perEvent: Record<string, number>): string {
  const entries = Object.entries(perEvent);
  return `CPU µs per event: ${entries.map(([name, us]) => `${name} ${us}`).join(' + ')} = ${entries.reduce((sum, [, us]) => sum + us, 0)}`;
}
