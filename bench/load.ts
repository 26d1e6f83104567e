/**
 * The load generator, run as its own process so that it never shares an event loop with the
 * server it measures. Argument: a JSON object of options; prints one JSON line of results.
 * With `recordIds` it writes "id<TAB>epoch ms of the 202" lines to that file (end-to-end latency).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** A file holding the body (for bodies too large for a command line). */
  bodyFile?: string;
  contentType?: string;
  /** Sent as the Authorization header (a gateway with API keys). */
  authorization?: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second for all connections together; unset: as fast as the server answers. */
  overallRate?: number;
  recordIds?: string;
  /** Seconds of the same load, unmeasured, before the run (default 2). */
  warmupSeconds?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const headers: Record<string, string> = {
  ...(options.contentType !== undefined ? { 'content-type': options.contentType } : {}),
  ...(options.authorization !== undefined ? { authorization: options.authorization } : {}),
};
const accepted: string[] = [];
const body = options.bodyFile !== undefined ? readFileSync(options.bodyFile, 'utf8') : options.body;
const common = {
  url: options.url,
  method: options.method ?? 'POST',
  connections: options.connections,
  ...(body !== undefined ? { body } : {}),
  headers,
};

// Every server gets the same warm-up before it is measured, so the figures compare code that the
// JIT has compiled, not how much code each server has to compile in its first seconds.
if ((options.warmupSeconds ?? 2) > 0) await autocannon({ ...common, duration: options.warmupSeconds ?? 2 });

const startedAt = Date.now();
const instance = autocannon(
  {
    url: options.url,
    method: options.method ?? 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    ...(body !== undefined ? { body } : {}),
    headers,
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    ...(options.recordIds !== undefined
      ? {
          setupClient: (client: { on(event: 'body', listener: (body: Buffer) => void): void }) => {
            client.on('body', (body: Buffer) => {
              const at = Date.now();
              const match = /"id":"([0-9a-f-]{36})"/.exec(body.toString('latin1'));
              if (match !== null) accepted.push(`${match[1]}\t${at}`);
            });
          },
        }
      : {}),
  },
  (error, result) => {
    if (error) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    const endedAt = Date.now();
    if (options.recordIds !== undefined) writeFileSync(options.recordIds, accepted.join('\n'));
    const out = {
      requestsPerSecond: result.requests.average,
      total: result.requests.total,
      // Every 2xx answer, as the server counts what it accepted (the 202s that persist).
      ok: result['2xx'],
      startedAt,
      endedAt,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: result.duration,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
);
process.once('SIGINT', () => instance.stop());
