import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { SHARED_NATS_URL, deleteStreams, freePort, uniqueNames } from '../../test/helpers/nats.js';
import { eventually } from '../../test/helpers/pipeline.js';
import { startSluice, type RunningSluice } from '../../test/helpers/spawn-sluice.js';

// `sluice dev` with a small SLUICE_MAX_INFLIGHT under a flood of concurrent requests: the
// excess is shed with 429 + Retry-After, memory stays bounded, and every 202 is persisted.

const MAX_INFLIGHT = 8;
const REQUESTS = 1500;
const CONCURRENCY = 150;

let db: TestDatabase;
let sluice: RunningSluice;
let url: string;
const names = uniqueNames('bp');

before(async () => {
  db = await createTestDatabase();
  const port = await freePort();
  sluice = startSluice(['dev'], {
    NATS_URL: SHARED_NATS_URL,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    SLUICE_CONSUMER: names.consumer,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    SLUICE_MAX_INFLIGHT: String(MAX_INFLIGHT),
    LOG_LEVEL: 'warn',
  });
  url = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${url}/health`)).ok ? true : undefined), 20_000, 'sluice dev to answer');
});

after(async () => {
  await sluice?.stop();
  await deleteStreams(SHARED_NATS_URL, names.stream).catch(() => undefined);
  await db?.drop();
});

/** Resident memory of a process in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

test('a flood past SLUICE_MAX_INFLIGHT is shed with 429 + Retry-After, memory stays bounded, every 202 is persisted', async () => {
  const baseline = rssMiB(sluice.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(sluice.pid))), 25);
  const accepted: string[] = [];
  const statuses = new Map<number, number>();
  let missingRetryAfter = 0;
  let next = 0;
  const body = JSON.stringify({ payload: 'x'.repeat(200) });
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      next++;
      const response = await fetch(`${url}/events/flood.checked`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { id?: string; error?: { code: string } };
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 202) accepted.push(answer.id!);
      if (response.status === 429) {
        assert.equal(answer.error?.code, 'overloaded');
        if (!/^\d+$/.test(response.headers.get('retry-after') ?? '')) missingRetryAfter++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
  } finally {
    clearInterval(sampler);
  }
  const shed = statuses.get(429) ?? 0;
  assert.deepEqual([...statuses.keys()].filter((s) => s !== 202 && s !== 429), [], `only 202 and 429: ${JSON.stringify([...statuses])}`);
  assert.ok(shed > 0, 'some requests were shed');
  assert.ok(accepted.length > 0, 'some requests were accepted');
  assert.equal(missingRetryAfter, 0, 'every 429 carries Retry-After');
  // 1 500 requests of ~250 bytes: a gateway that queued them would still be small, so the bound
  // is on growth over the idle process; an unbounded queue of publishes would show as steady growth.
  assert.ok(peak - baseline < 100, `resident memory grew by ${Math.round(peak - baseline)} MiB (from ${Math.round(baseline)} MiB)`);
  await eventually(async () => {
    const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted' AND message_id = ANY($1::uuid[])", [accepted]);
    return Number(rows[0]!.n) === accepted.length ? true : undefined;
  }, 30_000, `all ${accepted.length} accepted events persisted`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, new RegExp(`sluice_http_requests_total\\{route="/events/:type",status="429"\\} ${shed}\\b`));
  console.log(`flood: ${accepted.length} accepted, ${shed} shed (429), rss ${Math.round(baseline)} -> peak ${Math.round(peak)} MiB`);
});
