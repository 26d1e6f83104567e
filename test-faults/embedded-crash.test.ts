import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createEmbeddedSqlClient } from '../src/store/embedded/index.js';
import { freePort } from '../test/helpers/nats.js';
import { startLoad, type AckedEvent, type Load } from './harness/load.js';
import { answersLive, ensureBuilt, startSluice, type SluiceProcess } from './harness/processes.js';
import { ENTITY_FILE } from './harness/scenario.js';
import { assertNothingLost, measure, report, type Query } from './harness/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-faults-embedded-'));
const processes: SluiceProcess[] = [];
after(async () => {
  for (const p of processes) await p.kill('SIGKILL').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return { status: 0, body: {} };
  }
}

/** Asks the gateway for every acknowledged id until all are persisted; returns the ones that are not. */
async function waitPersistedOverHttp(url: string, events: readonly AckedEvent[], timeoutMs: number): Promise<string[]> {
  let waiting = [...events];
  const deadline = Date.now() + timeoutMs;
  while (waiting.length > 0 && Date.now() < deadline) {
    const still: AckedEvent[] = [];
    for (let i = 0; i < waiting.length; i += 16) {
      const slice = waiting.slice(i, i + 16);
      const answers = await Promise.all(slice.map((e) => getJson(`${url}/ingest/status/${e.id}`)));
      answers.forEach((a, j) => {
        if (a.status !== 200 || a.body.status !== 'persisted') still.push(slice[j]!);
      });
    }
    waiting = still;
    if (waiting.length > 0) await sleep(500);
  }
  return waiting.map((e) => `${e.key} (${e.id})`);
}

test('embedded mode (sluice dev): SIGKILL under load and SIGKILL during a replay lose nothing and store nothing twice', { timeout: 240_000 }, async () => {
  await ensureBuilt();
  const entitiesFile = join(dir, 'entities.yaml');
  writeFileSync(entitiesFile, ENTITY_FILE);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const env = { SLUICE_DATA_DIR: dataDir, SLUICE_ENTITIES: entitiesFile, SLUICE_ACK_WAIT: '5s' };
  const start = async (name: string) => {
    const p = await startSluice('dev', { name, port, env, readyTimeoutMs: 90_000 });
    processes.push(p);
    return p;
  };
  let dev = await start('sluice dev');

  // 1. SIGKILL in the middle of the load; the clients retry with the same keys while it restarts.
  const load: Load = startLoad('embedded', { url: () => dev.url, clients: 4, eventsPerClient: 500, pauseMs: 2, retryDelayMs: 100 });
  await load.ackedAtLeast(400);
  await dev.kill('SIGKILL');
  dev = await start('sluice dev (after the crash)');
  await load.ackedAtLeast(load.acked.size + 400, 90_000);
  await load.stop();
  const events = [...load.acked.values()];
  const notPersisted = await waitPersistedOverHttp(dev.url, events, 90_000);
  assert.deepEqual(notPersisted.slice(0, 10), [], `every acknowledged id answers persisted (${notPersisted.length} do not)`);
  for (let i = 0; i < events.length; i += 16) {
    const slice = events.slice(i, i + 16);
    const answers = await Promise.all(slice.map((e) => getJson(`${dev.url}/events/${e.id}`)));
    answers.forEach((a, j) => {
      assert.equal(a.status, 200, `GET /events/${slice[j]!.id}`);
      assert.deepEqual(a.body.data, { key: slice[j]!.key, account: slice[j]!.account, counter: slice[j]!.counter });
    });
  }

  // 2. SIGKILL while a replay by type is re-delivering those events.
  const replay = await fetch(`${dev.url}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'fault.>' }) });
  assert.equal(replay.status, 202);
  const started = (await replay.json()) as { replay_id: string; replayed: number };
  assert.equal(started.replayed, events.length, 'the replay matched every archived event');
  let progress: Record<string, unknown> = {};
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    progress = (await getJson(`${dev.url}/replay/${started.replay_id}`)).body;
    if (Number(progress.published ?? 0) > 0) break;
    await sleep(20);
  }
  assert.ok(Number(progress.published ?? 0) > 0, `the replay started publishing: ${JSON.stringify(progress)}`);
  await dev.kill('SIGKILL');
  dev = await start('sluice dev (after the crash during the replay)');
  assert.deepEqual(await waitPersistedOverHttp(dev.url, events, 60_000), [], 'still all persisted after the crash during the replay');
  await sleep(6000); // redeliveries of what the killed process held (ack wait 5 s)
  assert.ok(await answersLive(dev.url), 'sluice dev answers /health/live');
  const stopped = await dev.kill('SIGTERM');
  assert.equal(stopped.code, 0, `sluice dev exits 0 on SIGTERM:\n${dev.logTail()}`);

  // 3. Count rows in the embedded database itself.
  const client = await createEmbeddedSqlClient({ dataDir });
  try {
    const query: Query = async (text, params) => (await client.query(text, params)).rows as never;
    const outcome = await measure(query, load.acked);
    const attempts = await query<{ n: string | number }>('SELECT count(*) AS n FROM sluice.message_status WHERE attempts > 1');
    const line = report('embedded_sigkill', load, outcome, { replayed_before_kill: Number(progress.published), replay_matched: started.replayed, grown_attempts: Number(attempts[0]?.n ?? 0) });
    assertNothingLost(load, outcome, line);
    assert.ok(load.stats.connectionErrors > 0, 'the clients saw the crash');
  } finally {
    await client.close();
  }
});
