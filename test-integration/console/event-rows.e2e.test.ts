// The console's event view in a real browser names the entity rows an event wrote (its status
// `rows`: an order, its lines, its customer), each with the SQL that reads it, and a delete's row
// marked as deleted; the SQL given reads the very row from the database.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ARTIFACTS, ensureConsoleBuilt, launchBrowser, skipWithoutBrowser } from './browser.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';

const KEY = 'console-rows-key';

const ENTITIES = `entities:
  - name: Order
    table: orders
    types: ["order.created"]
    deletes: ["order.purged"]
    key: [order_id]
    fields:
      order_id: { type: string, required: true }
      total:    { type: decimal, precision: 10, scale: 2 }
  - name: OrderLine
    table: order_lines
    parent: Order
    each: lines
    key: [line_no]
    fields:
      line_no: { from: $index, type: integer }
      sku:     { type: string, required: true }
  - name: Customer
    table: customers
    types: ["order.created"]
    mode: merge
    when: { path: customer.id, exists: true }
    key: [customer_id]
    fields:
      customer_id: { from: customer.id, type: string, required: true }
      name:        { from: customer.name, type: string }
`;

describe('console: the rows an event wrote', { skip: skipWithoutBrowser, timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const pageErrors: string[] = [];

  before(async () => {
    ensureConsoleBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'sluice-console-rows-'));
    writeFileSync(join(dir, 'entities.yaml'), ENTITIES);
    pipeline = await startTestPipeline({ env: { SLUICE_API_KEYS: KEY, SLUICE_ENTITIES: join(dir, 'entities.yaml') } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.addInitScript(`sessionStorage.setItem('sluice.apiKey', ${JSON.stringify(KEY)})`);
  });

  after(async () => {
    await browser?.close();
    await pipeline?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const send = async (type: string, data: unknown): Promise<string> => {
    const answer = await http<{ id: string }>(`${pipeline.url}/events/${type}`, { body: data, headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const id = answer.body.id;
    await eventually(async () => {
      const status = await http<{ status: string }>(`${pipeline.url}/ingest/status/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
      return status.body.status === 'persisted' ? true : undefined;
    }, 20_000, `event ${id} persisted`);
    return id;
  };

  it("lists an order's row, its lines' and its customer's, each with the SQL that reads it", async () => {
    const id = await send('order.created', { order_id: "o-'1", total: '12.50', customer: { id: 'c-1', name: 'Ann' }, lines: [{ sku: 'a' }, { sku: 'b' }] });
    await page.goto(`${pipeline.url}/#/events/${id}`);
    const rows = page.getByTestId('event-rows');
    await rows.waitFor();
    const items = await rows.locator('li').allInnerTexts();
    assert.equal(items.length, 4, items.join('\n'));
    const queries = await rows.locator('code').allInnerTexts();
    // The status keeps a key as a JSON object (jsonb orders its names by length), so a line's
    // two key columns may come in either order.
    assert.deepEqual(queries.slice(0, 2), ["SELECT * FROM orders WHERE order_id = 'o-''1';", "SELECT * FROM customers WHERE customer_id = 'c-1';"]);
    for (const n of [0, 1]) {
      assert.match(queries[2 + n]!, new RegExp(`^SELECT \\* FROM order_lines WHERE (order_id = 'o-''1' AND line_no = ${n}|line_no = ${n} AND order_id = 'o-''1');$`));
    }
    assert.match(items[0]!, /^orders order_id=o-'1/);
    assert.match(items[3]!, /^order_lines (order_id=o-'1, line_no=1|line_no=1, order_id=o-'1)/);
    // The SQL the console gives reads exactly the row the event wrote.
    for (const [query, wanted] of [
      [queries[0]!, { total: '12.50' }],
      [queries[1]!, { name: 'Ann' }],
      [queries[3]!, { sku: 'b' }],
    ] as const) {
      const found = await pipeline.db.query<Record<string, unknown>>(query.replace(/;$/, ''));
      assert.equal(found.length, 1, query);
      for (const [column, value] of Object.entries(wanted)) assert.equal(String(found[0]![column]), value, query);
      assert.equal(found[0]!._message_id, id, query);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'console-event-rows.png') });
  });

  it('marks the row a delete event removed', async () => {
    const id = await send('order.purged', { order_id: "o-'1" });
    await page.goto(`${pipeline.url}/#/events/${id}`);
    const rows = page.getByTestId('event-rows');
    // The page showed the order's event a moment ago: wait for this event's rows, not that one's.
    await rows.locator('li').filter({ hasText: '(deleted)' }).waitFor();
    const items = await rows.locator('li').allInnerTexts();
    assert.equal(items.length, 1, items.join('\n'));
    assert.match(items[0]!, /^orders order_id=o-'1 \(deleted\)/);
    assert.deepEqual(await rows.locator('code').allInnerTexts(), ["SELECT * FROM orders WHERE order_id = 'o-''1';"]);
    assert.deepEqual(await pipeline.db.query("SELECT order_id FROM orders WHERE order_id = 'o-''1'"), []);
    assert.deepEqual(pageErrors, []);
  });
});
