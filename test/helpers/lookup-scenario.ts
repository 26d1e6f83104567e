import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { v7 as uuidV7 } from 'uuid';
import { runServices } from '../../src/cli/run-services.js';
import { loadConfig, type SluiceConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { http } from './pipeline.js';

/**
 * Sends events of every id kind through a gateway: plain (UUIDv7 ids), with an idempotency
 * key, NDJSON lines with and without a key, structured CloudEvents (ids derived from the
 * key or the producer's source + id). Returns the ids the 202s gave.
 */
export async function sendEveryKind(url: string, tag: string, rounds: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const plain = await http<{ id: string }>(`${url}/events/lookup.plain`, { body: { i, tag } });
    const keyed = await http<{ id: string }>(`${url}/events/lookup.keyed`, { body: { i }, headers: { 'idempotency-key': `${tag}-${i}` } });
    const ce = await http<{ id: string }>(`${url}/events`, {
      raw: JSON.stringify({ specversion: '1.0', id: `${tag}-ce-${i}`, source: '/lookup-test', type: 'lookup.ce', data: { i } }),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    for (const r of [plain, keyed, ce]) assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(plain.body.id, keyed.body.id, ce.body.id);
  }
  for (const key of [undefined, `${tag}-batch`]) {
    const lines = Array.from({ length: rounds }, (_, i) => JSON.stringify({ line: i }));
    const batch = await http<{ results: Array<{ message_id: string }> }>(`${url}/ingest/batch?type=lookup.batch`, {
      raw: lines.join('\n'),
      headers: { 'content-type': 'application/x-ndjson', ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    });
    assert.equal(batch.status, 202);
    ids.push(...batch.body.results.map((r) => r.message_id));
  }
  return ids;
}

/** Asks every lookup route for every id; returns the ids any route did not answer 200 for, with the status. */
export async function unanswered(url: string, ids: readonly string[]): Promise<string[]> {
  const misses: string[] = [];
  for (const id of ids) {
    for (const path of [`/ingest/status/${id}`, `/events/${id}/status`, `/events/${id}`]) {
      const r = await http<{ status?: string; id?: string }>(`${url}${path}`);
      if (r.status !== 200) misses.push(`${path} → ${r.status}`);
    }
  }
  return misses;
}

/** Ids no gateway issued: a random UUIDv4, and UUIDv7s of now and of a minute ago. */
export function neverIssued(): string[] {
  return [randomUUID(), uuidV7(), uuidV7({ msecs: Date.now() - 60_000 })];
}

/** A gateway alone in a child process, killed with SIGKILL by `kill()`. */
export async function startGatewayProcess(env: Record<string, string>): Promise<{ url: string; kill(): Promise<void> }> {
  const script = fileURLToPath(new URL('./gateway-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const deadline = Date.now() + 30_000;
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway process did not start: ${err.slice(-1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exited = once(child, 'exit');
  return {
    url: out.split('\n')[0]!,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A gateway alone in this process (no worker); stop() stops it gracefully. */
export async function startGateway(config: SluiceConfig): Promise<{ url: string; stop(): Promise<void> }> {
  const services = await runServices(config, silentLogger(), { gateway: true, worker: false, migrate: true });
  return { url: services.address!, stop: () => services.stop() };
}

/**
 * The restarts every lookup must survive: 100 ids sent through a gateway that then stops, 100
 * through a gateway process that is SIGKILLed, then a third gateway started to ask about them.
 */
export async function acceptAcrossRestarts(env: Record<string, string>): Promise<{ ids: string[]; next: { url: string; stop(): Promise<void> } }> {
  const first = await startGateway(loadConfig(env));
  const ids = await sendEveryKind(first.url, 'stopped', 20);
  await first.stop();
  const killed = await startGatewayProcess(env);
  ids.push(...(await sendEveryKind(killed.url, 'killed', 20)));
  await killed.kill();
  assert.equal(ids.length, 200);
  return { ids, next: await startGateway(loadConfig(env)) };
}

/** Ids no gateway issued answer 404 on both lookups. */
export async function assertNeverIssuedUnknown(url: string): Promise<void> {
  for (const id of neverIssued()) {
    assert.equal((await http(`${url}/ingest/status/${id}`)).status, 404, id);
    assert.equal((await http(`${url}/events/${id}`)).status, 404, id);
  }
}
