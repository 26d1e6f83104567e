import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { SHARED_NATS_URL } from '../../test/helpers/nats.js';
import { eventually, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { sendRecords, waitSettled } from '../../test/helpers/flows.js';

const DAY = 86_400_000;
const dayName = (ms: number) => `events_${new Date(ms).toISOString().slice(0, 10).replace(/-/g, '')}`;
const dayStart = (ms: number) => Math.floor(ms / DAY) * DAY;

describe('the event archive is partitioned by day, and old days are dropped', () => {
  let p: TestPipeline;
  let retained: Services | undefined;
  before(async () => {
    p = await startTestPipeline();
  });
  after(async () => {
    await retained?.stop();
    await p?.stop();
  });

  const partitions = async () =>
    (
      await p.db.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sluice.events'::regclass ORDER BY 1`,
      )
    ).map((r) => r);

  it('keeps events in one partition per UTC day of receipt, created ahead of time', async () => {
    const strategy = await p.db.query<{ partstrat: string }>("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'sluice.events'::regclass");
    assert.equal(strategy[0]?.partstrat, 'r', 'range-partitioned');
    const today = dayStart(Date.now());
    const names = (await partitions()).map((x) => x.name);
    for (const d of [today - DAY, today, today + DAY, today + 2 * DAY]) assert.ok(names.includes(dayName(d)), `${dayName(d)} in ${names.join(', ')}`);
    const todays = (await partitions()).find((x) => x.name === dayName(today))!;
    assert.match(todays.bound, new RegExp(`FROM \\('${new Date(today).toISOString().slice(0, 10)} 00:00:00\\+00'\\) TO \\('${new Date(today + DAY).toISOString().slice(0, 10)} 00:00:00\\+00'\\)`));

    const ids = await sendRecords(p.url, 'part.check', [{ n: 1 }]);
    await waitSettled(p.db, ids);
    const where = await p.db.query<{ t: string }>('SELECT tableoid::regclass::text AS t FROM sluice.events WHERE id = $1', [ids[0]]);
    assert.equal(where[0]!.t, `sluice.${dayName(Date.parse(new Date().toISOString()))}`);
  });

  it('drops partitions older than SLUICE_ARCHIVE_RETENTION when a worker maintains the archive, and keeps the rest', async () => {
    const today = dayStart(Date.now());
    for (const age of [40, 31, 10]) {
      const day = today - age * DAY;
      await p.db.query(
        `CREATE TABLE sluice.${dayName(day)} PARTITION OF sluice.events FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY).toISOString()}')`,
      );
      await p.db.query(
        "INSERT INTO sluice.events (id, type, source, time, received_at, stream_seq, data) VALUES (gen_random_uuid(), 'old.event', '/test', $1, $1, 1, '{}')",
        [new Date(day + 3600_000).toISOString()],
      );
    }
    const config = loadConfig({
      NATS_URL: SHARED_NATS_URL,
      NATS_STREAM: p.names.stream,
      NATS_SUBJECT_PREFIX: p.names.prefix,
      SLUICE_CONSUMER: p.names.consumer,
      DATABASE_URL: p.db.url,
      LOG_LEVEL: 'silent',
      SLUICE_ARCHIVE_RETENTION: '30d',
    });
    retained = await runServices(config, silentLogger(), { gateway: false, worker: true, migrate: false });
    const names = await eventually(async () => {
      const n = (await partitions()).map((x) => x.name);
      return n.includes(dayName(today - 40 * DAY)) ? undefined : n;
    }, 10_000, 'the 40-day-old partition dropped');
    assert.ok(!names.includes(dayName(today - 31 * DAY)), 'a day that ended more than 30 days ago is dropped');
    assert.ok(names.includes(dayName(today - 10 * DAY)), 'a day within the retention is kept');
    assert.ok(names.includes(dayName(today)));
    const old = await p.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.events WHERE type = 'old.event'");
    assert.equal(Number(old[0]!.n), 1, 'only the 10-day-old row is left');
    const ids = await sendRecords(p.url, 'after.retention', [{ n: 1 }]);
    await waitSettled(p.db, ids);
  });
});
