import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually, http } from '../helpers/pipeline.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { run as subscriptionsCommand } from '../../src/cli/commands/subscriptions.js';
import { captureIo } from '../client/test-io.js';

type Created = { name: string; secret: string; types: string[]; timeout: string; max_attempts: number };
type Shown = { name: string; pending: number; delivered: number; failed: number; retrying: number; last_error: { event_id: string; error: string } | null; secret?: string; paused: boolean };

describe('subscriptions on the embedded bus and database', () => {
  let dataDir: string;
  let services: Services;
  let url: string;
  let receiver: WebhookReceiver;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-subs-'));
    receiver = await startWebhookReceiver();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SLUICE_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow',
      SLUICE_DELIVERY_BACKOFF: '100ms',
    });
    services = await runServices(config, silentLogger(), { gateway: true, worker: true, migrate: true, deliver: true });
    url = services.address!;
  });

  after(async () => {
    await services?.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = async (type: string, raw: string): Promise<string> => {
    const r = await http<{ id: string }>(`${url}/events/${type}`, { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 202);
    return r.body.id;
  };

  it('creates a subscription, shows its secret once, and delivers matching events signed, in CloudEvents binary mode, byte for byte', async () => {
    const created = await http<Created>(`${url}/subscriptions`, { body: { name: 'billing', types: ['order.*'], url: receiver.url, max_attempts: 3, timeout: '2s' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(created.body.timeout, '2s');
    receiver.secret = created.body.secret;

    const listed = await http<{ subscriptions: Shown[] }>(`${url}/subscriptions`);
    assert.equal(listed.body.subscriptions.length, 1);
    assert.equal(listed.body.subscriptions[0]!.secret, undefined, 'the secret is never shown again');
    assert.equal(JSON.stringify(listed.body).includes(created.body.secret), false);

    const body = '{ "order_id": "o-1",  "total": 12.50 }';
    const id = await send('order.created', body);
    const other = await send('user.signup', '{"user":"u-1"}');
    await eventually(async () => (receiver.deliveredIds().has(id) ? true : undefined), 20_000, 'the order event delivered');
    const got = receiver.received.find((r) => r.id === id)!;
    assert.equal(got.verified, true, got.verifyError);
    assert.equal(got.body.toString('utf8'), body, 'the exact bytes');
    assert.equal(got.headers['ce-id'], id);
    assert.equal(got.headers['ce-type'], 'order.created');
    assert.equal(got.headers['ce-specversion'], '1.0');
    assert.equal(got.headers['ce-source'], '/sluice');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.match(String(got.headers['webhook-signature']), /^v1,/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.received.some((r) => r.id === other), false, 'an event of another type is not delivered');
  });

  it('retries an endpoint that fails, then marks the delivery failed after max_attempts and lists every attempt', async () => {
    let poisoned = '';
    receiver.answer = ({ id }) => (id === poisoned ? { status: 500 } : { status: 200 });
    poisoned = await send('order.created', '{"order_id":"poison"}');
    const fine = await send('order.updated', '{"order_id":"o-2"}');
    await eventually(async () => (receiver.deliveredIds().has(fine) ? true : undefined), 20_000, 'the healthy event delivered');
    const shown = await eventually(async () => {
      const r = await http<Shown>(`${url}/subscriptions/billing`);
      return r.body.failed === 1 ? r.body : undefined;
    }, 20_000, 'the poisoned delivery failed');
    assert.equal(shown.last_error?.event_id, poisoned);
    assert.match(shown.last_error!.error, /HTTP 500/);
    assert.equal(receiver.received.filter((r) => r.id === poisoned).length, 3, 'max_attempts: 3');

    const failed = await http<{ deliveries: Array<{ event_id: string; status: string; attempts: number; attempt_log: Array<{ attempt: number; status_code: number; duration_ms: number; outcome: string }> }> }>(
      `${url}/subscriptions/billing/deliveries?status=failed`,
    );
    assert.equal(failed.status, 200);
    assert.deepEqual(failed.body.deliveries.map((d) => d.event_id), [poisoned]);
    assert.deepEqual(failed.body.deliveries[0]!.attempt_log.map((a) => [a.attempt, a.status_code, a.outcome]), [
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 500, 'failed'],
    ]);
    const byEvent = await http<{ deliveries: Array<{ subscription: string; outcome: string }> }>(`${url}/events/${poisoned}/deliveries`);
    assert.equal(byEvent.body.deliveries.length, 3);
    assert.equal(byEvent.body.deliveries[0]!.subscription, 'billing');

    // Fixed: a replay to this subscription delivers it, under the same webhook-id.
    receiver.answer = () => ({ status: 200 });
    const replay = await http<{ replayed: number }>(`${url}/replay`, { body: { ids: [poisoned], subscription: 'billing' } });
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    await eventually(async () => (receiver.deliveredIds().has(poisoned) ? true : undefined), 20_000, 'the replayed event delivered');
    const after = await http<{ deliveries: Array<{ status: string }> }>(`${url}/subscriptions/billing/deliveries?status=failed`);
    assert.equal(after.body.deliveries.length, 0);
  });

  it('holds deliveries while paused and delivers them on resume', async () => {
    const paused = await http<{ paused: boolean }>(`${url}/subscriptions/billing`, { method: 'PATCH', body: { paused: true } });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const id = await send('order.created', '{"order_id":"o-3"}');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(receiver.deliveredIds().has(id), false, 'nothing is delivered while paused');
    await http(`${url}/subscriptions/billing`, { method: 'PATCH', body: { paused: false } });
    await eventually(async () => (receiver.deliveredIds().has(id) ? true : undefined), 20_000, 'delivered after resume');
  });

  it('is managed from the command line: add, list, pause, resume, deliveries, replay-failed, remove', async () => {
    const cli = async (...args: string[]) => {
      const io = captureIo({ SLUICE_URL: url });
      const code = await subscriptionsCommand(args, io);
      return { code, out: io.out(), err: io.err() };
    };
    const other = await startWebhookReceiver();
    try {
      const added = await cli('add', 'shipping', other.url, '--type', 'parcel.*', '--max-attempts', '2', '--timeout', '1s', '--json');
      assert.equal(added.code, 0, added.err);
      other.secret = (JSON.parse(added.out) as { secret: string }).secret;
      other.answer = () => ({ status: 503, headers: { 'retry-after': '0' } });
      const id = await send('parcel.sent', '{"parcel":"p-1"}');
      await eventually(async () => ((await http<{ failed: number }>(`${url}/subscriptions/shipping`)).body.failed === 1 ? true : undefined), 20_000, 'failed after 2 attempts');
      const listed = await cli('list');
      assert.equal(listed.code, 0, listed.err);
      assert.match(listed.out, /^shipping {2}active {2}pending \d+ {2}delivered 0 {2}failed 1 {2}parcel\.\* -> http:\/\/127\.0\.0\.1:\d+\/hook {2}last error: HTTP 503/m);
      const failed = await cli('deliveries', 'shipping', '--status', 'failed');
      assert.match(failed.out, new RegExp(`failed +parcel\\.sent +${id} +attempts 2 +HTTP 503`));
      other.answer = () => ({ status: 200 });
      const replayed = await cli('replay-failed', 'shipping');
      assert.equal(replayed.code, 0, replayed.err);
      assert.match(replayed.out, /^1 failed deliveries of shipping to re-deliver/);
      await eventually(async () => (other.deliveredIds().has(id) ? true : undefined), 20_000, 'the failed delivery replayed');
      assert.equal((await cli('pause', 'shipping')).out, 'shipping paused\n');
      assert.equal((await cli('resume', 'shipping')).out, 'shipping resumed\n');
      assert.equal((await cli('remove', 'shipping')).out, 'shipping removed\n');
      const missing = await cli('pause', 'shipping');
      assert.equal(missing.code, 1);
      assert.match(missing.err, /^not_found: /);
      assert.equal((await cli('add', 'x')).code, 2);
    } finally {
      await other.close();
    }
  });

  it('refuses bad definitions and names the field, and removes a subscription', async () => {
    const bad = await http<{ error: { code: string; message: string } }>(`${url}/subscriptions`, { body: { name: 'x', types: ['order.*'], url: 'ftp://example.com' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^url:/);
    const twice = await http(`${url}/subscriptions`, { body: { name: 'billing', types: ['order.*'], url: receiver.url } });
    assert.equal(twice.status, 409);
    const removed = await http(`${url}/subscriptions/billing`, { method: 'DELETE' });
    assert.equal(removed.status, 204);
    assert.equal((await http(`${url}/subscriptions/billing`)).status, 404);
  });
});
