import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileEntities, parseEntityFile, parseEventData, type EntityModel } from '../../src/entities/index.js';
import { newEventId, type EventEnvelope } from '../../src/envelope/index.js';
import type { StorePort, WriteItem } from '../../src/store/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';

/** Makes a fresh, empty store on its own database (not migrated yet), with raw SQL access for checks. */
export type MakeStore = () => Promise<{ store: StorePort; sql: SqlClient; cleanup(): Promise<void> }>;

const ENTITY_FILE = `
entities:
  - name: Account
    table: accounts
    types: ["account.*"]
    key: [account_id]
    fields:
      account_id: { type: string, required: true }
      balance: { type: number, minimum: 0 }
      tags: { type: json }
`;

const encoder = new TextEncoder();
let seqCounter = 1000;

function envelope(type: string, data: unknown, overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const now = new Date().toISOString();
  return { id: newEventId(), type, source: '/contract', time: now, receivedAt: now, data: encoder.encode(JSON.stringify(data)), dataContentType: 'application/json', ...overrides };
}

/**
 * The behaviour every store adapter must have. It runs unchanged against PostgreSQL and the
 * embedded PostgreSQL: the worker and the gateway rely on each of these.
 */
export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`store contract: ${name}`, { timeout: 120_000 }, () => {
    let store: StorePort;
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let entities: EntityModel;
    const definitions = parseEntityFile(ENTITY_FILE, 'contract.yaml');
    before(async () => {
      ({ store, sql, cleanup } = await makeStore());
      entities = compileEntities(definitions);
      await store.migrate(definitions);
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    const item = async (env: EventEnvelope, extra: Partial<WriteItem> = {}): Promise<WriteItem> => {
      const mapping = await entities.map({ id: env.id, type: env.type, source: env.source, time: env.time }, parseEventData(env.data), env.entity);
      const mapped = mapping.ok ? { rows: mapping.rows } : { rows: null, failure: mapping.failure };
      return { envelope: env, seq: ++seqCounter, replay: false, entityType: mapping.entityType, ...mapped, ...extra };
    };
    const count = async (text: string, params: unknown[]): Promise<number> => Number((await sql.query<{ n: string | number }>(text, params)).rows[0]!.n);

    test('migrating twice is harmless', async () => {
      await store.migrate(definitions);
      const tables = await sql.query<{ t: string }>("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('sluice', 'public') ORDER BY 1");
      const names = tables.rows.map((r) => r.t);
      for (const t of ['sluice.events', 'sluice.message_status', 'sluice.replays', 'public.accounts']) assert.ok(names.includes(t), t);
    });

    test('indexes the archive\'s data (GIN, on every day-partition) only when asked, and ?data= reads the same', async () => {
      const dataIndexes = async (): Promise<string[]> =>
        (await sql.query<{ t: string }>("SELECT tablename AS t FROM pg_indexes WHERE schemaname = 'sluice' AND indexdef LIKE '%USING gin (data jsonb_path_ops)%' ORDER BY 1")).rows.map((r) => r.t);
      assert.deepEqual(await dataIndexes(), [], 'none by default');
      const hit = envelope('order.indexed', { customer: 'c-gin', n: 1 });
      await store.writeBatch([await item(hit), await item(envelope('order.indexed', { customer: 'c-other' }))]);
      const query = { afterSeq: 0, maxSeq: Number.MAX_SAFE_INTEGER, limit: 10, type: 'order.indexed', data: '{"customer":"c-gin"}' };
      const before = (await store.listEvents(query)).map((e) => e.id);
      await store.migrate(definitions, { dataIndex: 'gin' });
      const indexed = await dataIndexes();
      assert.ok(indexed.includes('events'), `on the partitioned table: ${indexed.join(', ')}`);
      assert.ok(indexed.some((t) => /^events_\d{8}$/.test(t)), `on its day-partitions: ${indexed.join(', ')}`);
      await store.migrate(definitions, { dataIndex: 'gin' });
      await store.migrate(definitions);
      assert.deepEqual(await dataIndexes(), indexed, 'made once; none leaves it in place');
      assert.deepEqual(before, [hit.id]);
      assert.deepEqual((await store.listEvents(query)).map((e) => e.id), before);
    });

    test('writes archive rows and persisted statuses in one batch, and a redelivery changes nothing', async () => {
      const items = [await item(envelope('note.made', { n: 1 })), await item(envelope('note.made', { n: 2 }))];
      const outcomes = await store.writeBatch(items);
      assert.deepEqual(outcomes, [{ duplicate: false }, { duplicate: false }]);
      const again = await store.writeBatch(items);
      assert.deepEqual(again, [{ duplicate: true }, { duplicate: true }]);
      for (const i of items) {
        assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [i.envelope.id]), 1);
        const status = await store.getStatus(i.envelope.id);
        assert.equal(status?.status, 'persisted');
        assert.equal(status?.attempts, 1);
        assert.equal(status?.type, 'note.made');
      }
    });

    test('the same id twice in one batch is written once', async () => {
      const env = envelope('note.twice', { n: 1 });
      const first = await item(env);
      const outcomes = await store.writeBatch([first, { ...first, seq: first.seq }]);
      assert.deepEqual(outcomes.map((o) => o.duplicate), [false, true]);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 1);
    });

    test('upserts entities by key: the newest stream sequence wins, an older one never overwrites', async () => {
      const v1 = await item(envelope('account.opened', { account_id: 'a1', balance: 1 }));
      const v2 = await item(envelope('account.changed', { account_id: 'a1', balance: 2, tags: ['x'] }));
      const v3 = await item(envelope('account.changed', { account_id: 'a1', balance: 3 }));
      await store.writeBatch([v3]);
      await store.writeBatch([v1, v2]);
      const rows = await sql.query<{ balance: number; tags: unknown; _stream_seq: string | number; _message_id: string }>('SELECT balance, tags, _stream_seq, _message_id FROM accounts WHERE account_id = $1', ['a1']);
      assert.equal(rows.rows.length, 1);
      assert.equal(rows.rows[0]!.balance, 3);
      assert.equal(rows.rows[0]!.tags, null);
      assert.equal(Number(rows.rows[0]!._stream_seq), v3.seq);
      assert.equal(rows.rows[0]!._message_id, v3.envelope.id);
    });

    test('a replay re-applies an archived event to a row damaged by hand, adding no archive row', async () => {
      const e = await item(envelope('account.opened', { account_id: 'a2', balance: 10 }));
      await store.writeBatch([e]);
      await sql.query('UPDATE accounts SET balance = 999 WHERE account_id = $1', ['a2']);
      const outcomes = await store.writeBatch([{ ...e, replay: true }]);
      assert.deepEqual(outcomes, [{ duplicate: false }]);
      const rows = await sql.query<{ balance: number }>('SELECT balance FROM accounts WHERE account_id = $1', ['a2']);
      assert.equal(rows.rows[0]!.balance, 10);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [e.envelope.id]), 1);
      assert.equal((await store.getStatus(e.envelope.id))?.attempts, 2);
    });

    test('a failed event is archived and marked failed with its reason; a later replay can persist it', async () => {
      const bad = await item(envelope('account.opened', { account_id: 'a3', balance: -5 }));
      await store.writeBatch([{ ...bad, failure: 'Account: field "balance": must be >= 0' }]);
      const status = await store.getStatus(bad.envelope.id);
      assert.equal(status?.status, 'failed');
      assert.match(status?.error ?? '', /balance/);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [bad.envelope.id]), 1);
      const fixed = await item({ ...bad.envelope, data: encoder.encode(JSON.stringify({ account_id: 'a3', balance: 5 })) });
      await store.writeBatch([{ ...fixed, seq: bad.seq, replay: true }]);
      const after = await store.getStatus(bad.envelope.id);
      assert.equal(after?.status, 'persisted');
      assert.equal(after?.error, null);
    });

    test('records failed attempts as processing and counts them; a settled status stays settled', async () => {
      const env = envelope('note.retry', { n: 1 });
      assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'boom', streamSeq: 7 }]), [1]);
      assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'boom again', streamSeq: 7 }]), [2]);
      const status = await store.getStatus(env.id);
      assert.equal(status?.status, 'processing');
      assert.equal(status?.error, 'boom again');
      await store.writeBatch([await item(env)]);
      const done = await store.getStatus(env.id);
      assert.equal(done?.status, 'persisted');
      assert.equal(done?.attempts, 3);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 1);
    });

    test('counts failed attempts per message: a replay starts a fresh count, attempts counts every delivery', async () => {
      const env = envelope('note.fresh', { n: 1 });
      const it = await item(env);
      await store.writeBatch([it]);
      await store.writeBatch([{ ...it, replay: true }]);
      await store.writeBatch([{ ...it, replay: true }]);
      // A transient error during a third replay (its own message, stream sequence 900) is its first failure.
      assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'deadlock detected', streamSeq: 900 }]), [1]);
      assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'deadlock detected', streamSeq: 900 }]), [2]);
      assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'statement timeout', streamSeq: 901 }]), [1]);
      const status = await store.getStatus(env.id);
      assert.equal(status?.status, 'persisted', 'a failed replay attempt leaves a persisted event persisted');
      assert.equal(status?.attempts, 6, 'three deliveries written and three failed');
    });

    test('settles an event the database refuses as it came: failed with the reason, archived once as a storable copy', async () => {
      const refused: Array<[string, Partial<EventEnvelope>]> = [
        ['a number jsonb cannot hold', { data: encoder.encode('{"x":1e-20000}') }],
        ['a number too large', { data: encoder.encode('{"x":1e200000}') }],
        ['a time before year 1', { time: '0000-01-01T00:00:00Z' }],
        ['a time past what timestamptz holds', { time: '294277-01-01T00:00:00Z' }],
        ['a time that is no time', { time: 'soon' }],
        ['a time of receipt out of range', { receivedAt: '0001-01-01T00:30:00+01:00' }],
        ['a time of receipt that is no time', { receivedAt: 'yesterday' }],
        ['NUL in text and data', { source: '/a\u0000b', extensions: { t: 'x\u0000' }, data: encoder.encode('{"s":"\\u0000"}') }],
      ];
      for (const [what, overrides] of refused) {
        const env = envelope('note.poison', { n: 1 }, overrides);
        const it = { ...(await item(envelope('note.poison', { n: 1 }))), envelope: env };
        await assert.rejects(store.writeBatch([it]), `${what}: refused as it came`);
        assert.deepEqual(await store.recordFailedAttempts([{ envelope: env, entityType: null, error: 'refused', streamSeq: it.seq }]), [1], what);
        await store.settleFailed({ ...it, failure: `the database refused the event (${what})` });
        const status = await store.getStatus(env.id);
        assert.equal(status?.status, 'failed', what);
        assert.equal(status?.error, `the database refused the event (${what})`);
        assert.equal(status?.attempts, 1, `${what}: the settling write does not count the attempt again`);
        assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 1, `${what}: archived once`);
        const stored = await store.getEvent(env.id);
        assert.equal(stored?.streamSeq, it.seq, what);
        // Settling again (a redelivery after a lost ack) changes nothing.
        await store.settleFailed({ ...it, failure: 'again' });
        assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 1, `${what}: still once`);
      }
    });

    test('settles a persisted event as failed when its replay fails, adding no archive row', async () => {
      const it = await item(envelope('account.opened', { account_id: 'a-settle', balance: 1 }));
      await store.writeBatch([it]);
      await store.settleFailed({ ...it, replay: true, failure: 'gave up after 5 failed deliveries: deadlock detected' });
      const status = await store.getStatus(it.envelope.id);
      assert.equal(status?.status, 'failed');
      assert.match(status?.error ?? '', /gave up/);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [it.envelope.id]), 1);
    });

    test('a dropped archive partition is created again for a late event of its day', async () => {
      const day = Date.UTC(2020, 1, 3);
      const name = 'events_20200203';
      const at = new Date(day + 3_600_000).toISOString();
      const first = await item(envelope('note.late', { n: 1 }, { receivedAt: at, time: at }));
      await store.writeBatch([first]);
      await sql.query(`DROP TABLE sluice.${name}`);
      const late = await item(envelope('note.late', { n: 2 }, { receivedAt: at, time: at }));
      assert.deepEqual(await store.writeBatch([late]), [{ duplicate: false }]);
      assert.equal((await store.getStatus(late.envelope.id))?.status, 'persisted');
      assert.equal(await count(`SELECT count(*) AS n FROM sluice.${name}`, []), 1);
    });

    test('reads an event back with every attribute and its data text', async () => {
      const env = envelope('note.read', { deep: { list: [1, 'two'] } }, { subject: 'sub', originId: 'orig', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', extensions: { tenant: 't1' } });
      const it = await item(env);
      await store.writeBatch([it]);
      const got = await store.getEvent(env.id);
      assert.ok(got !== null);
      assert.equal(got.type, 'note.read');
      assert.equal(got.subject, 'sub');
      assert.equal(got.originId, 'orig');
      assert.equal(got.traceparent, env.traceparent);
      assert.deepEqual(got.extensions, { tenant: 't1' });
      assert.equal(got.streamSeq, it.seq);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(got.data)), { deep: { list: [1, 'two'] } });
      assert.equal(await store.getEvent(newEventId()), null);
      assert.equal(await store.getStatus(newEventId()), null);
    });

    test('keeps tabs, newlines and backslashes in data, attributes and failure reasons exactly', async () => {
      const text = '{\n\t"path": "C:\\\\temp\\\\new",\r\n  "note": "a\\tb\\nc\\\\N"\n}';
      const env = envelope('note.escaped', null, { data: encoder.encode(text), source: '/src\twith tab', subject: 'line1\\nline2\\', extensions: { odd: 'x\ty' } });
      const failed = envelope('note.escaped', { n: 1 });
      await store.writeBatch([await item(env), { ...(await item(failed)), failure: 'broken:\n\tline two \\N' }]);
      const got = await store.getEvent(env.id);
      assert.ok(got !== null);
      assert.equal(new TextDecoder().decode(got.data), text, 'the data comes back byte for byte');
      assert.equal(got.source, '/src\twith tab');
      assert.equal(got.subject, 'line1\\nline2\\');
      assert.deepEqual(got.extensions, { odd: 'x\ty' });
      const status = await store.getStatus(failed.id);
      assert.equal(status?.status, 'failed');
      assert.equal(status?.error, 'broken:\n\tline two \\N');
      assert.equal((await store.getStatus(env.id))?.status, 'persisted');
    });

    test('lists by type pattern, source, time, status and sequence window, in stream order', async () => {
      const tag = `l${Date.now()}`;
      const items = await Promise.all([`${tag}.a`, `${tag}.b`, `${tag}.a.x`, `${tag}.c`].map((type) => item(envelope(type, { type }, { source: `/src/${type.endsWith('c') ? 'other' : 'main'}` }))));
      await store.writeBatch(items.slice(0, 3));
      await store.writeBatch([{ ...items[3]!, failure: 'nope' }]);
      const all = { afterSeq: 0, maxSeq: Number.MAX_SAFE_INTEGER, limit: 100 };
      const types = async (q: Partial<Parameters<StorePort['listEvents']>[0]>) => (await store.listEvents({ ...all, ...q })).map((e) => e.type);
      assert.deepEqual(await types({ type: `${tag}.*` }), [`${tag}.a`, `${tag}.b`, `${tag}.c`]);
      assert.deepEqual(await types({ type: `${tag}.>` }), [`${tag}.a`, `${tag}.b`, `${tag}.a.x`, `${tag}.c`]);
      assert.deepEqual(await types({ type: `${tag}.a` }), [`${tag}.a`]);
      assert.deepEqual(await types({ type: `${tag}.>`, source: '/src/other' }), [`${tag}.c`]);
      assert.deepEqual(await types({ type: `${tag}.>`, status: 'failed' }), [`${tag}.c`]);
      assert.deepEqual(await types({ type: `${tag}.>`, afterSeq: items[0]!.seq, maxSeq: items[2]!.seq }), [`${tag}.b`, `${tag}.a.x`]);
      assert.deepEqual(await types({ type: `${tag}.>`, limit: 2 }), [`${tag}.a`, `${tag}.b`]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      assert.deepEqual(await types({ type: `${tag}.>`, since: future }), []);
      assert.deepEqual(await types({ type: `${tag}.>`, until: future }), [`${tag}.a`, `${tag}.b`, `${tag}.a.x`, `${tag}.c`]);
    });

    test('selects events for replay by ids and by type, counts them, and keeps replay progress', async () => {
      const tag = `r${Date.now()}`;
      const items = await Promise.all([1, 2, 3].map((n) => item(envelope(`${tag}.e`, { n }))));
      await store.writeBatch(items);
      const ids = items.map((i) => i.envelope.id);
      const unknown = newEventId();
      const counted = await store.countForReplay({ ids: [...ids, unknown] });
      assert.equal(counted.matched, 3);
      assert.deepEqual([...(counted.knownIds ?? [])].sort(), [...ids].sort());
      assert.equal((await store.countForReplay({ type: `${tag}.*` })).matched, 3);
      const pages: string[][] = [];
      for await (const page of store.selectForReplay({ type: `${tag}.>` }, 2)) pages.push(page.map((e) => e.id));
      assert.deepEqual(pages, [ids.slice(0, 2), ids.slice(2)]);
      const replayId = newEventId();
      await store.saveReplay({ replayId, status: 'running', matched: 3, published: 0, error: null }, { type: `${tag}.>` });
      await store.saveReplay({ replayId, status: 'done', matched: 3, published: 3, error: null });
      assert.deepEqual(await store.getReplay(replayId), { replayId, status: 'done', matched: 3, published: 3, error: null });
      assert.equal(await store.getReplay(newEventId()), null);
    });

    test('partitions the archive by day and drops partitions past the retention', async () => {
      const old = new Date(Date.now() - 10 * 86_400_000);
      const env = envelope('note.old', { old: true }, { receivedAt: old.toISOString(), time: old.toISOString() });
      await store.writeBatch([await item(env)]);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 1);
      await store.maintainPartitions(new Date(), 5 * 86_400_000);
      assert.equal(await count('SELECT count(*) AS n FROM sluice.events WHERE id = $1', [env.id]), 0);
      const day = old.toISOString().slice(0, 10).replace(/-/g, '');
      assert.equal(await count("SELECT count(*) AS n FROM pg_class WHERE relname = $1", [`events_${day}`]), 0);
      assert.ok(await count("SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'events_2%'", []) >= 3, 'partitions exist around today');
    });

    test('answers a ping', async () => {
      assert.equal(await store.ping(), true);
    });

    test("records a worker's progress with its batch, and never lowers it", async () => {
      assert.equal(await store.readProgress('never-recorded'), null, 'events written before progress was recorded: unknown');
      await store.writeBatch([await item(envelope('account.opened', { account_id: 'p1', balance: 1 }))], { consumer: 'w', writtenThrough: 10 });
      assert.equal(await store.readProgress('w'), 10);
      await store.recordProgress({ consumer: 'w', writtenThrough: 5 });
      assert.equal(await store.readProgress('w'), 10, 'an older floor recorded late does not lower it');
      await store.writeBatch([], { consumer: 'w', writtenThrough: 20 });
      assert.equal(await store.readProgress('w'), 20);
    });
  });
}
