/** Start-up to the first 202, per mode: `sluice gateway` on JetStream + PostgreSQL, and `sluice dev` embedded (`npm start`). */
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { log, stopProcess } from '../harness/processes.js';
import { names, sluiceEnv, startGateway } from '../harness/servers.js';

/** Each mode is started this many times; the line gives the median and every run. */
const STARTS = 3;

export async function runStartup(ctx: BenchContext): Promise<void> {
  const modes: Array<[string, () => Promise<{ startupMs: number; child: import('node:child_process').ChildProcess }>, () => Promise<void>]> = [];
  const n = names('startup');
  modes.push([
    'JetStream+PostgreSQL (sluice gateway)',
    () => startGateway('gateway', sluiceEnv(ctx.nats, ctx.db, n), { profileAs: 'startup-gateway' }),
    () => ctx.jsm.streams.delete(n.stream).then(() => undefined),
  ]);
  let run = 0;
  modes.push(['embedded (npm start: sluice dev)', () => startGateway('dev', { SLUICE_DATA_DIR: join(ctx.scratch, `embedded-startup-${++run}`), LOG_LEVEL: 'warn', HOST: '127.0.0.1' }, { profileAs: 'startup-dev' }), async () => undefined]);
  const parts: string[] = [];
  for (const [mode, start, cleanUp] of modes) {
    log(`start-up, ${mode}`);
    const times: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const { child, startupMs } = await start();
      times.push(Math.round(startupMs));
      await stopProcess(child);
    }
    await cleanUp();
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    ctx.report.extra[`startup ${mode}`] = median;
    parts.push(`${mode} ${median} ms (${times.join(', ')})`);
  }
  ctx.report.lines.push(`start-up to first 202, median of ${STARTS} (target < 1 s): ${parts.join('; ')}`);
}
