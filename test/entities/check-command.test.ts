import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/commands/entities-check.js';
import { parseEntityFile } from '../../src/entities/index.js';
import { captureIo } from '../client/test-io.js';
import { SHOP_ENTITIES } from './fixtures-shop.js';

const definitions = parseEntityFile(SHOP_ENTITIES, 'shop.yaml');
const samples = [
  '{"type":"order.created","data":{"order_id":"o-1","total":12.50,"customer":{"id":"c-1","email":"a@example.com"},"lines":[{"sku":"a","qty":1,"price":"2.50"}]}}',
  '',
  '{"specversion":"1.0","id":"x1","source":"/shop","type":"order.updated","data":{"order_id":"o-1","total":"12.345"}}',
  '{"type":"payment.received","data":{"account":9223372036854775807,"amount":12345678901234567.1234}}',
  '{"type":"order.purged","data":{"order_id":"o-1"}}',
  '{"type":"audit.logged","data":{"who":"u1"}}',
  'not json',
].join('\n');

describe('sluice entities check', () => {
  it('shows the rows each table would receive per sample event, or why it would fail', async () => {
    const io = captureIo({}, samples);
    const code = await run(['--sample', '-'], io, 'shop.yaml', definitions);
    assert.equal(code, 1, 'a sample that would fail makes the exit status 1');
    const out = io.out();
    assert.match(out, /^shop\.yaml: 6 entities, valid\n {2}Order -> orders \(upsert, key order_id\): order\.created, order\.updated; deleted by order\.purged\n/);
    assert.match(out, /\nline 1 order\.created:\n {2}orders {10}\{"order_id":"o-1","customer_id":"c-1","total":"12\.5","currency":"EUR","channel":"web","total_cents":"1250",/);
    assert.match(out, /\n {2}customers {7}\{"customer_id":"c-1","email":"a@example\.com"\} \(merge: columns not shown keep their values\)\n/);
    assert.match(out, /\n {2}order_lines {5}\{"order_id":"o-1","line_no":0,"sku":"a","qty":1,"price":"2\.5"\}\n/);
    // The line carries no discounts: the order's stored discounts would be cleared.
    assert.match(out, /\n {2}line_discounts {2}\{"order_id":"o-1"\}\n/);
    assert.match(out, /\nline 3 order\.updated: would fail: Order: field "total": .* got 12\.345\n/);
    assert.match(out, /\nline 4 payment\.received:\n {2}ledger {2}\{"account":"9223372036854775807","amount":"12345678901234567\.1234","kind":"payment\.received","_message_id":"[0-9a-f-]{36}"\}\n/);
    assert.match(out, /\nline 5 order\.purged:\n {2}orders {2}\{"order_id":"o-1"\} \(delete\)\n/);
    assert.match(out, /\nline 6 audit\.logged: archive only \(no entity takes this type\)\n/);
    assert.match(out, /\nline 7: would fail: not JSON/);
    assert.match(out, /\n6 sample events: 4 map, 2 would fail\n$/);
  });

  it('prints one JSON object per sample with --json, and exits 0 when every sample maps', async () => {
    const io = captureIo({}, samples.split('\n')[0]);
    assert.equal(await run(['--sample', '-', '--json'], io, 'shop.yaml', definitions), 0);
    const result = JSON.parse(io.out()) as { line: number; outcome: string; rows: Array<{ table: string; change: string; values: Record<string, unknown> }> };
    assert.equal(result.outcome, 'rows');
    assert.deepEqual(result.rows.map((r) => [r.table, r.change]), [['orders', 'write'], ['customers', 'merge'], ['first_touch', 'write'], ['order_lines', 'replace-children'], ['line_discounts', 'replace-children']]);
    assert.equal(result.rows[0]!.values.total, '12.5');
  });

  it('checks the file alone without --sample', async () => {
    const io = captureIo();
    assert.equal(await run([], io, 'shop.yaml', definitions), 0);
    assert.match(io.out(), /OrderLine -> order_lines \(upsert, key order_id, line_no\): each lines of Order/);
  });
});
