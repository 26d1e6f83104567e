import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { readDeadLetters, waitReplayDone, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';
import { GAUGE_ENTITIES } from './gauge-entities.js';


type Row = { status: string; attempts: number; failed_attempts: number; error: string | null };

/** Only failed deliveries count toward SLUICE_MAX_DELIVER, and a replay starts its own count. */
describe('failed attempts are counted apart from deliveries', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let p: TestPipeline;
  before(async () => {
    db = await createTestDatabase();
    // The worker's statements give up after 400 ms: a row held by another session fails its write (57014), a transient error.
    const url = `${db.url}?options=${encodeURIComponent('-c statement_timeout=400')}`;
    p = await startTestPipeline({ db: { ...db, url }, env: { SLUICE_ENTITIES: writeEntityFile(GAUGE_ENTITIES), SLUICE_MAX_DELIVER: '2' } });
  });
  after(async () => {
    await p?.stop();
    await db?.drop();
  });

  const status = async (id: string) => (await db.query<Row>('SELECT status, attempts, failed_attempts, error FROM sluice.message_status WHERE message_id = $1', [id]))[0]!;
  const replay = async (id: string) => {
    const r = await http<{ replay_id: string }>(`${p.url}/replay/${id}`, { method: 'POST' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitReplayDone(p.url, r.body.replay_id);
  };

  it('a persisted event replayed three times survives one transient failure of its fourth replay', async () => {
    const sent = await http<{ id: string }>(`${p.url}/events/gauge.read`, { body: { gauge_id: 'g-1', reading: 1 } });
    const id = sent.body.id;
    await waitSettled(db, [id]);
    for (let n = 2; n <= 4; n++) {
      await replay(id);
      await eventually(async () => ((await status(id)).attempts === n ? true : undefined), 20_000, `delivery ${n}`);
    }

    // Another session holds the entity row while the fourth replay arrives: its first write times out.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT * FROM gauges WHERE gauge_id = 'g-1' FOR UPDATE");
      await replay(id);
      await eventually(async () => ((await status(id)).failed_attempts === 1 ? true : undefined), 20_000, 'one failed attempt');
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    const done = await eventually(async () => {
      const s = await status(id);
      return s.attempts === 6 ? s : undefined;
    }, 20_000, 'the replay written on its next delivery');
    assert.equal(done.status, 'persisted', `one failure out of two allowed, not the fifth delivery: ${done.error}`);
    assert.equal(done.failed_attempts, 1);
    assert.deepEqual((await readDeadLetters(p.names.stream)).filter((l) => l.id === id), []);
  });
});
