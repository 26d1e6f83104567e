import assert from 'node:assert/strict';
import { eventually, http } from './pipeline.js';
import { sendRecords } from './flows.js';

type Query = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;

export interface PowerLossSetup {
  /** Starts a gateway and a worker on the same bus and database as every earlier start. */
  start(): Promise<{ url: string; stop(): Promise<void> }>;
  /** Runs `fn` with SQL access to the database while nothing else runs. */
  withSql<T>(fn: (query: Query) => Promise<T>): Promise<T>;
}

async function waitPersisted(url: string, ids: readonly string[]): Promise<void> {
  await eventually(async () => {
    for (const id of ids) {
      const r = await http<{ status: string }>(`${url}/ingest/status/${id}`);
      if (r.body.status !== 'persisted') return undefined;
    }
    return true;
  }, 60_000, `${ids.length} events persisted`);
}

/** Orders (an entity row each) and notes (archive only), numbered from `from`. */
async function sendSome(url: string, from: number): Promise<string[]> {
  const orders = Array.from({ length: 40 }, (_, i) => ({ order_id: `o-${from + i}`, total: from + i, status: 'paid' }));
  const notes = Array.from({ length: 20 }, (_, i) => ({ note: from + i }));
  return [...(await sendRecords(url, 'order.created', orders)), ...(await sendRecords(url, 'note.added', notes))];
}

/**
 * Writes two rounds of events; then, as a power cut that takes the database's last commits
 * after the bus was told they were written, removes the second round's rows (archive, status,
 * entity) and rolls the workers' progress record back to what it was after the first round.
 * After a restart every event must be back, once. Returns what the restart found.
 */
export async function powerLossScenario(setup: PowerLossSetup): Promise<{ lost: number; total: number }> {
  let running = await setup.start();
  const first = await sendSome(running.url, 0);
  await waitPersisted(running.url, first);
  await running.stop();
  const progressAfterFirst = await setup.withSql(async (query) => {
    const [row] = await query<{ written_through: string }>('SELECT written_through FROM sluice.worker_progress');
    const [max] = await query<{ m: string }>('SELECT max(stream_seq) AS m FROM sluice.message_status');
    assert.ok(row !== undefined, 'the worker recorded its progress');
    assert.equal(Number(row.written_through), Number(max!.m), 'a stopped worker has recorded everything it wrote');
    return Number(row.written_through);
  });

  running = await setup.start();
  const second = await sendSome(running.url, 1000);
  await waitPersisted(running.url, second);
  await running.stop();

  const lost = await setup.withSql(async (query) => {
    const removed = await query<{ n: string }>('WITH gone AS (DELETE FROM sluice.events WHERE stream_seq > $1 RETURNING 1) SELECT count(*) AS n FROM gone', [progressAfterFirst]);
    await query('DELETE FROM sluice.message_status WHERE stream_seq > $1', [progressAfterFirst]);
    await query('DELETE FROM orders WHERE _stream_seq > $1', [progressAfterFirst]);
    await query('UPDATE sluice.worker_progress SET written_through = $1', [progressAfterFirst]);
    return Number(removed[0]!.n);
  });
  assert.equal(lost, second.length, 'the cut took the second round');

  running = await setup.start();
  const all = [...first, ...second];
  await waitPersisted(running.url, all);
  await running.stop();
  await setup.withSql(async (query) => {
    const [events] = await query<{ n: string; ids: string }>('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM sluice.events');
    assert.deepEqual({ n: Number(events!.n), ids: Number(events!.ids) }, { n: all.length, ids: all.length }, 'every event archived once');
    const [statuses] = await query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted' AND message_id = ANY($1::uuid[])", [all]);
    assert.equal(Number(statuses!.n), all.length);
    const orders = await query<{ order_id: string; total: string }>('SELECT order_id, total FROM orders ORDER BY total');
    assert.equal(orders.length, 80, 'every order row is back');
    assert.deepEqual(orders.slice(38, 42).map((o) => o.order_id), ['o-38', 'o-39', 'o-1000', 'o-1001']);
  });
  return { lost, total: all.length };
}
