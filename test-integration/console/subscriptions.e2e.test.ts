// The console's subscriptions view in a real browser: a subscription's failures and last error
// show, and its button re-delivers the failed deliveries to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { ensureConsoleBuilt, launchBrowser, skipWithoutBrowser } from './browser.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/helpers/webhook-receiver.js';


describe('web console: subscriptions', { skip: skipWithoutBrowser, timeout: 120_000 }, () => {
  let pipeline: TestPipeline;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureConsoleBuilt();
    receiver = await startWebhookReceiver();
    pipeline = await startTestPipeline({ deliver: true, env: { SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow', SLUICE_DELIVERY_BACKOFF: '100ms' } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    await pipeline?.stop();
    await receiver?.close();
  });

  it('shows failures and the last error, and replays the failed deliveries after a confirmation', async () => {
    const created = await http<{ secret: string }>(`${pipeline.url}/subscriptions`, { body: { name: 'billing', types: ['order.*'], url: receiver.url, max_attempts: 2, timeout: '1s' } });
    assert.equal(created.status, 201);
    receiver.secret = created.body.secret;
    receiver.answer = () => ({ status: 500 });
    const sent = await http<{ id: string }>(`${pipeline.url}/events/order.created`, { body: { order_id: 'o-1' } });
    await eventually(async () => ((await http<{ failed: number }>(`${pipeline.url}/subscriptions/billing`)).body.failed === 1 ? true : undefined), 20_000, 'the delivery failed');

    await page.goto(`${pipeline.url}/#/subscriptions`);
    const row = page.getByRole('row', { name: /billing/ });
    await row.waitFor();
    assert.match(await row.innerText(), /HTTP 500/);
    await row.getByRole('button', { name: 'billing' }).click();
    await page.getByRole('table', { name: /Latest failed deliveries of billing/ }).getByText(sent.body.id).waitFor();

    receiver.answer = () => ({ status: 200 });
    await row.getByRole('button', { name: 'Replay 1 failed' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: 'being sent again' }).waitFor();
    await eventually(async () => (receiver.deliveredIds().has(sent.body.id) ? true : undefined), 20_000, 'the replayed delivery');
    await page.getByRole('button', { name: 'Replay 0 failed' }).waitFor({ timeout: 20_000 });

    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByRole('button', { name: 'Resume' }).waitFor();
    assert.equal((await http<{ paused: boolean }>(`${pipeline.url}/subscriptions/billing`)).body.paused, true);
  });
});
