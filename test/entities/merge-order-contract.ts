import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { compileEntities, parseEntityFile, parseEventText, type EntityModel } from '../../src/entities/index.js';
import { newEventId, type EventEnvelope } from '../../src/envelope/index.js';
import { createEntityTables, createSqlStore, type StorePort, type WriteItem } from '../../src/store/index.js';
import type { MakeClient } from './mapping-contract.js';

const encoder = new TextEncoder();

/** A merge entity with deletes: partial updates of a profile, and a purge. */
const PROFILES = `entities:
  - name: Profile
    table: profiles
    types: ["profile.*"]
    deletes: ["profile.erased"]
    mode: merge
    key: [profile_id]
    fields:
      profile_id: { type: string, required: true }
      a: { type: string }
      b: { type: string }
      c: { type: string }
`;

type Field = 'a' | 'b' | 'c';
type Profile = Record<Field, string | null>;

/** One event of the stream: a partial update (the fields it carries) or an erase. */
interface StreamEvent {
  readonly seq: number;
  readonly key: string;
  readonly erase: boolean;
  readonly fields: Partial<Profile>;
}

/** What the table must hold: the distinct events applied one at a time in stream order. */
function applyInStreamOrder(events: readonly StreamEvent[]): Map<string, Profile> {
  const rows = new Map<string, Profile>();
  const distinct = new Map(events.map((e) => [e.seq, e]));
  for (const e of [...distinct.values()].sort((x, y) => x.seq - y.seq)) {
    if (e.erase) rows.delete(e.key);
    else rows.set(e.key, { ...(rows.get(e.key) ?? { a: null, b: null, c: null }), ...e.fields });
  }
  return rows;
}

/**
 * `merge` under newest-wins: whatever order and batches a key's partial updates arrive in,
 * redelivered or replayed, the row equals applying them one at a time in stream order.
 */
export function mergeOrderContract(name: string, makeClient: MakeClient): void {
  describe(`merge entities in stream order (${name})`, { timeout: 300_000 }, () => {
    let cleanup: () => Promise<void>;
    let store: StorePort;
    let model: EntityModel;
    let query: <T>(text: string, params?: unknown[]) => Promise<T[]>;

    before(async () => {
      const made = await makeClient();
      cleanup = made.cleanup;
      store = createSqlStore(made.client, { entityTables: createEntityTables() });
      query = async <T>(text: string, params: unknown[] = []) => (await made.client.query<T>(text, params)).rows;
      const defs = parseEntityFile(PROFILES, 'profiles.yaml');
      model = compileEntities(defs);
      await store.migrate(defs);
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    /** The event as the worker prepares it, under one id per sequence (a redelivery keeps its id). */
    const ids = new Map<number, string>();
    const item = async (e: StreamEvent, replay = false): Promise<WriteItem> => {
      const id = ids.get(e.seq) ?? newEventId();
      ids.set(e.seq, id);
      const type = e.erase ? 'profile.erased' : 'profile.updated';
      const json = JSON.stringify({ profile_id: e.key, ...(e.erase ? {} : e.fields) });
      const now = new Date().toISOString();
      const envelope: EventEnvelope = { id, type, source: '/test', time: now, receivedAt: now, data: encoder.encode(json), dataContentType: 'application/json' };
      const mapping = await model.map({ id, type, source: '/test', time: now }, parseEventText(json));
      assert.equal(mapping.ok, true);
      return { envelope, seq: e.seq, replay, entityType: mapping.entityType, rows: mapping.ok ? mapping.rows : null };
    };
    const stored = async (keys: readonly string[]): Promise<Map<string, Profile>> => {
      const rows = await query<Profile & { profile_id: string }>('SELECT profile_id, a, b, c FROM profiles WHERE profile_id = ANY($1::text[])', [keys]);
      return new Map(rows.map((r) => [r.profile_id, { a: r.a, b: r.b, c: r.c }]));
    };
    it('an older event in the batch does not bring back a field a newer stored event set', async () => {
      await store.writeBatch([await item({ seq: 7, key: 'p-1', erase: false, fields: { b: 'b7' } })]);
      await store.writeBatch([
        await item({ seq: 5, key: 'p-1', erase: false, fields: { a: 'a5', b: 'b5' } }),
        await item({ seq: 10, key: 'p-1', erase: false, fields: { a: 'a10' } }),
      ]);
      assert.deepEqual((await stored(['p-1'])).get('p-1'), { a: 'a10', b: 'b7', c: null });
    });

    it('an older event arriving after a newer one still sets the fields no newer event carried', async () => {
      await store.writeBatch([await item({ seq: 20, key: 'p-2', erase: false, fields: { a: 'a20' } })]);
      await store.writeBatch([await item({ seq: 15, key: 'p-2', erase: false, fields: { a: 'a15', c: 'c15' } })]);
      assert.deepEqual((await stored(['p-2'])).get('p-2'), { a: 'a20', b: null, c: 'c15' });
      // An erase older than the row clears what came before it only.
      await store.writeBatch([await item({ seq: 18, key: 'p-2', erase: true, fields: {} })]);
      assert.deepEqual((await stored(['p-2'])).get('p-2'), { a: 'a20', b: null, c: null });
      // And nothing older than the erase comes back.
      await store.writeBatch([await item({ seq: 16, key: 'p-2', erase: false, fields: { b: 'b16' } })]);
      assert.deepEqual((await stored(['p-2'])).get('p-2'), { a: 'a20', b: null, c: null });
    });

    it('equals applying the events one at a time in stream order, whatever the arrival order, batches and redeliveries', async () => {
      let round = 0;
      const value = fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null });
      const event = fc.record({
        key: fc.constantFrom('k0', 'k1', 'k2'),
        erase: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
        fields: fc.record({ a: value, b: value, c: value }, { requiredKeys: [] }),
      });
      const scenario = fc.record({
        events: fc.array(event, { minLength: 1, maxLength: 14 }),
        order: fc.array(fc.nat(), { minLength: 14, maxLength: 14 }),
        redeliver: fc.array(fc.nat({ max: 13 }), { maxLength: 5 }),
        cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 20, maxLength: 20 }),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          round += 1;
          const events: StreamEvent[] = s.events.map((e, i) => ({ seq: round * 100 + i + 1, key: `r${round}-${e.key}`, erase: e.erase, fields: e.fields }));
          // Arrival: a permutation of the stream, then some events again (a redelivery or a replay).
          const arrival = events.map((e, i) => ({ e, rank: s.order[i] ?? 0, replay: false }));
          arrival.sort((x, y) => x.rank - y.rank);
          for (const i of s.redeliver) if (i < events.length) arrival.splice((i * 7) % (arrival.length + 1), 0, { e: events[i]!, rank: 0, replay: i % 2 === 0 });
          // A worker's batch holds a message once; a redelivery lands in a later batch.
          const send = async (batch: typeof arrival) => {
            const once = [...new Map(batch.map((a) => [a.e.seq, a])).values()];
            await store.writeBatch(await Promise.all(once.map((a) => item(a.e, a.replay))));
          };
          let at = 0;
          for (const cut of s.cuts) {
            if (at >= arrival.length) break;
            await send(arrival.slice(at, at + cut));
            at += cut;
          }
          if (at < arrival.length) await send(arrival.slice(at));
          const keys = [...new Set(events.map((e) => e.key))];
          assert.deepEqual(await stored(keys), applyInStreamOrder(events));
        }),
        { numRuns: 60 },
      );
    });
  });
}
