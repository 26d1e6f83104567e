// The console in a real browser against a real gateway and worker (NATS JetStream and
// PostgreSQL): events sent through the API appear, one opens, a replay makes its attempts grow,
// an event's raw bytes download as they were sent.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ARTIFACTS, ensureConsoleBuilt, launchBrowser, skipWithoutBrowser } from './browser.js';
import { http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';

const KEY = 'console-e2e-key';
const TYPE = 'console.check';

async function send(pipeline: TestPipeline, n: number): Promise<string> {
  const answer = await http<{ id: string }>(`${pipeline.url}/events/${TYPE}`, {
    body: { n, note: `console check ${n}` },
    headers: { authorization: `Bearer ${KEY}`, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.id;
}

describe('web console', { skip: skipWithoutBrowser, timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    ensureConsoleBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    pipeline = await startTestPipeline({ env: { SLUICE_API_KEYS: KEY } });
    const home = await fetch(`${pipeline.url}/`);
    assert.equal(home.status, 200, 'the gateway serves the console at / without a key');
    assert.match(await home.text(), /id="app"/);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });

  after(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('asks for the API key once and keeps it for the tab', async () => {
    await page.goto(`${pipeline.url}/#/events`);
    const key = page.getByLabel('API key', { exact: true });
    await key.waitFor({ timeout: 10_000 });
    await key.fill(KEY);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate("sessionStorage.getItem('sluice.apiKey')"), KEY);
  });

  let ids: string[] = [];

  it('shows events sent through the API as they arrive', async () => {
    ids = [await send(pipeline, 0), await send(pipeline, 1), await send(pipeline, 2)];
    for (const id of ids) await page.locator(`tr[data-event-id="${id}"]`).waitFor({ timeout: 15_000 });
    // Newest first.
    const order = await page.locator('tr[data-event-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id')));
    assert.deepEqual(order.slice(0, 3), [...ids].reverse());
    await page.locator(`tr[data-event-id="${ids[0]}"] .badge-persisted`).waitFor({ timeout: 15_000 });
  });

  it('moves between rows with the keyboard', async () => {
    await page.locator(`tr[data-event-id="${ids[2]}"] a.row-link`).focus();
    await page.keyboard.press('j');
    const focused = await page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-event-id')");
    assert.equal(focused, ids[1]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-events.png') });
  });

  it('opens an event with its data, status, attempts and trace id', async () => {
    await page.locator(`tr[data-event-id="${ids[0]}"] a.row-link`).click();
    await page.getByTestId('event-data').waitFor();
    assert.match(await page.getByTestId('event-data').innerText(), /"note": "console check 0"/);
    const status = page.getByTestId('event-status');
    await status.locator('.badge-persisted').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('event-attempts').innerText(), '1');
    assert.match(await status.innerText(), /0af7651916cd43dd8448eb211c80319c/);
  });

  it('replays the event after a confirmation, and its attempts grow', async () => {
    await page.getByRole('button', { name: 'Replay event' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('replay-progress').filter({ hasText: 'done' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('event-attempts').filter({ hasText: '2' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console.png') });
    const answer = await http<{ attempts: number }>(`${pipeline.url}/ingest/status/${ids[0]}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(answer.body.attempts, 2);
  });

  it("downloads an event's raw bytes exactly as sent, the request carrying the tab's key", async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x80, 0x7b]);
    const sent = await http<{ id: string }>(`${pipeline.url}/events/${TYPE}`, { raw: bytes, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'image/png' } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await page.goto(`${pipeline.url}/#/events/${sent.body.id}`);
    const link = page.getByTestId('event-raw-data');
    // The page showed another event a moment ago: wait for this one's view, not the last one's link.
    await link.locator('..').filter({ hasText: 'image/png' }).waitFor();
    assert.match(await link.locator('..').innerText(), /Raw bytes \(image\/png, exactly as the producer sent them\)/);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), `${sent.body.id}.png`);
    // A plain link would get 401 here (the gateway has keys): these are the bytes, so the key went with the request.
    assert.deepEqual(readFileSync(await download.path()), bytes);
  });

  it('replays a selection of events from the list', async () => {
    await page.goto(`${pipeline.url}/#/events`);
    for (const id of [ids[1], ids[2]]) await page.locator(`tr[data-event-id="${id}"] input[type="checkbox"]`).check();
    await page.getByRole('button', { name: 'Replay selected (2)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('replay-progress').filter({ hasText: 'done: 2 of 2' }).waitFor();
    for (const id of [ids[1], ids[2]]) {
      await page.locator(`tr[data-event-id="${id}"] .col-attempts`).filter({ hasText: '2' }).waitFor();
    }
  });

  it('shows live rates, consumer lag and health on the overview', async () => {
    await page.goto(`${pipeline.url}/#/`);
    await send(pipeline, 3);
    // A rate needs two scrapes of /metrics.
    await page.getByTestId('metric-in').filter({ hasText: /\d/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('cell', { name: pipeline.names.consumer }).waitFor({ timeout: 10_000 });
    const health = page.getByRole('region', { name: 'Health' });
    await health.getByText('connected (jetstream)').waitFor({ timeout: 10_000 });
    await health.getByText('connected (postgres)').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png') });
  });

  it('fits a phone-width screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${pipeline.url}/#/events`);
    await page.locator(`tr[data-event-id="${ids[0]}"]`).waitFor({ timeout: 10_000 });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(ARTIFACTS, 'console-phone.png') });
    await page.goto(`${pipeline.url}/#/events/${ids[0]}`);
    await page.getByTestId('event-data').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-phone-detail.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
