import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { sendRecords, waitReplayDone, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';

type Status = { status: string; entity_type: string | null; error: string | null; attempts: number; rows: Array<{ table: string; key: Record<string, unknown>; deleted?: boolean }> };

/** Sends one event with its data as exact JSON text (the gateway keeps the bytes; the worker reads numbers from them). */
async function sendText(url: string, type: string, json: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await http<{ id: string }>(`${url}/events/${type}`, { raw: json, headers: { 'content-type': 'application/json', ...headers } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

describe('entities from outside: the example file, events out of order, redelivered and replayed, read with SQL', () => {
  let p: TestPipeline;
  before(async () => {
    // The example entity file; a one-second duplicate window lets a repeated key reach the workers again.
    p = await startTestPipeline({ env: { SLUICE_ENTITIES: writeEntityFile(), STREAM_DUPLICATE_WINDOW: '1s', SLUICE_WORKER_BATCH: '200' } });
  });
  after(async () => {
    await p?.stop();
  });

  it('writes an invoice, its lines, its customer profile and first invoice from one event, with exact money', async () => {
    const id = await sendText(
      p.url,
      'invoice.issued',
      '{"invoice_id":"i-1","total":19.90,"issued_on":"2026-03-01","customer":{"id":"c-1","email":"ann@example.com","currency":"USD"},"lines":[{"sku":"a","qty":2,"price":4.95},{"sku":"b","unit_price":"10.00"}]}',
    );
    await waitSettled(p.db, [id]);
    assert.deepEqual(await p.db.query('SELECT invoice_id, customer_id, total::text, currency, total_cents::text, channel, issued_on::text FROM invoices'), [
      { invoice_id: 'i-1', customer_id: 'c-1', total: '19.90', currency: 'USD', total_cents: '1990', channel: 'api', issued_on: '2026-03-01' },
    ]);
    assert.deepEqual(await p.db.query('SELECT invoice_id, line_no::int, sku, qty::int, unit_price::text FROM invoice_lines ORDER BY line_no'), [
      { invoice_id: 'i-1', line_no: 0, sku: 'a', qty: 2, unit_price: '4.95' },
      { invoice_id: 'i-1', line_no: 1, sku: 'b', qty: 1, unit_price: '10.00' },
    ]);
    assert.deepEqual(await p.db.query('SELECT customer_id, email, tier FROM customer_profiles'), [{ customer_id: 'c-1', email: 'ann@example.com', tier: 'standard' }]);
    const status = await http<Status>(`${p.url}/ingest/status/${id}`);
    assert.equal(status.body.entity_type, 'Invoice,CustomerProfile,FirstInvoice');
    assert.deepEqual(status.body.rows, [
      { table: 'invoices', key: { invoice_id: 'i-1' } },
      { table: 'customer_profiles', key: { customer_id: 'c-1' } },
      { table: 'first_invoices', key: { customer_id: 'c-1' } },
      { table: 'invoice_lines', key: { invoice_id: 'i-1', line_no: 0 } },
      { table: 'invoice_lines', key: { invoice_id: 'i-1', line_no: 1 } },
    ]);
  });

  it('merges a partial profile update, keeps the newest invoice whatever order updates are sent in, and leaves older lines out', async () => {
    const merged = await sendText(p.url, 'profile.updated', '{"customer":{"id":"c-1","tier":"gold"}}');
    // The newer amendment first, then an older-looking one: stream order decides, so the second one sent wins.
    const a = await sendText(p.url, 'invoice.amended', '{"invoice_id":"i-2","total":"5.00","lines":[{"sku":"x"}]}');
    const b = await sendText(p.url, 'invoice.issued', '{"invoice_id":"i-2","total":"7.00","lines":[{"sku":"y"},{"sku":"z"}]}');
    await waitSettled(p.db, [merged, a, b]);
    assert.deepEqual(await p.db.query('SELECT email, tier FROM customer_profiles WHERE customer_id = $1', ['c-1']), [{ email: 'ann@example.com', tier: 'gold' }]);
    assert.deepEqual(await p.db.query('SELECT total::text FROM invoices WHERE invoice_id = $1', ['i-2']), [{ total: '7.00' }]);
    assert.deepEqual((await p.db.query<{ sku: string }>('SELECT sku FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no', ['i-2'])).map((r) => r.sku), ['y', 'z']);
    // Replaying the older amendment changes nothing: its sequence is lower than the row's.
    const r = await http<{ replay_id: string }>(`${p.url}/replay/${a}`, { method: 'POST' });
    await waitReplayDone(p.url, r.body.replay_id);
    await eventually(async () => ((await http<Status>(`${p.url}/ingest/status/${a}`)).body.attempts === 2 ? true : undefined));
    assert.deepEqual((await p.db.query<{ sku: string }>('SELECT sku FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no', ['i-2'])).map((r) => r.sku), ['y', 'z']);
  });

  it('deletes an invoice with its lines; a replay of an older event does not bring it back', async () => {
    const voided = await sendText(p.url, 'invoice.voided', '{"invoice_id":"i-2"}');
    await waitSettled(p.db, [voided]);
    assert.deepEqual(await p.db.query('SELECT invoice_id FROM invoices WHERE invoice_id = $1', ['i-2']), []);
    assert.deepEqual(await p.db.query('SELECT sku FROM invoice_lines WHERE invoice_id = $1', ['i-2']), []);
    assert.deepEqual((await http<Status>(`${p.url}/ingest/status/${voided}`)).body.rows, [{ table: 'invoices', key: { invoice_id: 'i-2' }, deleted: true }]);
    const older = (await p.db.query<{ message_id: string }>("SELECT message_id FROM sluice.message_status WHERE type = 'invoice.issued' AND rows @> '[{\"key\":{\"invoice_id\":\"i-2\"}}]'"))[0]!.message_id;
    const r = await http<{ replay_id: string }>(`${p.url}/replay/${older}`, { method: 'POST' });
    await waitReplayDone(p.url, r.body.replay_id);
    await eventually(async () => ((await http<Status>(`${p.url}/ingest/status/${older}`)).body.attempts === 2 ? true : undefined));
    assert.deepEqual(await p.db.query('SELECT invoice_id FROM invoices WHERE invoice_id = $1', ['i-2']), [], 'the tombstone keeps the older event out');
  });

  it('appends one ledger row per payment with all 64 bits, however often it is delivered', async () => {
    const ids = await sendRecords(p.url, 'payment.received', [{ account: '9223372036854775807', amount: '0.0001', invoice_id: 'i-1' }], { key: 'pay-1' });
    const exact = await sendText(p.url, 'payment.refunded', '{"account":9007199254740993,"amount":-19.9}');
    await waitSettled(p.db, [...ids, exact]);
    // The same key after the duplicate window: same id, a new stream message, handled as a redelivery.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const again = await sendRecords(p.url, 'payment.received', [{ account: '9223372036854775807', amount: '0.0001', invoice_id: 'i-1' }], { key: 'pay-1' });
    assert.deepEqual(again, ids);
    const r = await http<{ replay_id: string }>(`${p.url}/replay`, { method: 'POST', body: { ids: [exact] } });
    await waitReplayDone(p.url, r.body.replay_id);
    const marker = await sendText(p.url, 'audit.logged', '{"marker":true}');
    await waitSettled(p.db, [marker]);
    await eventually(async () => ((await http<Status>(`${p.url}/ingest/status/${exact}`)).body.attempts === 2 ? true : undefined));
    assert.deepEqual(await p.db.query('SELECT account::text, amount::text, kind FROM payments ORDER BY _stream_seq'), [
      { account: '9223372036854775807', amount: '0.0001', kind: 'payment.received' },
      { account: '9007199254740993', amount: '-19.9000', kind: 'payment.refunded' },
    ]);
  });

  it('fails an event that does not fit, naming the entity, the field and the value', async () => {
    const id = await sendText(p.url, 'invoice.issued', '{"invoice_id":"i-3","total":12.345,"lines":[{"sku":"a"}]}');
    await waitSettled(p.db, [id]);
    const status = await http<Status>(`${p.url}/ingest/status/${id}`);
    assert.equal(status.body.status, 'failed');
    assert.match(status.body.error ?? '', /^Invoice: field "total": must be a decimal number .* got 12\.345$/);
    assert.deepEqual(status.body.rows, []);
    assert.deepEqual(await p.db.query('SELECT invoice_id FROM invoices WHERE invoice_id = $1', ['i-3']), []);
  });
});
