import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/helpers/webhook-receiver.js';

type Created = { secret: string };

describe('subscriptions on NATS JetStream and PostgreSQL', () => {
  let pipeline: TestPipeline;
  let billing: WebhookReceiver;
  let audit: WebhookReceiver;
  let url: string;
  let restarted: Services | undefined;

  before(async () => {
    billing = await startWebhookReceiver();
    audit = await startWebhookReceiver();
    pipeline = await startTestPipeline({ deliver: true, env: { SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow', SLUICE_DELIVERY_BACKOFF: '100ms' } });
    url = pipeline.url;
  });

  after(async () => {
    await restarted?.stop();
    await pipeline?.stop();
    await billing?.close();
    await audit?.close();
  });

  const send = async (type: string, data: unknown): Promise<string> => {
    const r = await http<{ id: string }>(`${url}/events/${type}`, { body: data });
    assert.equal(r.status, 202);
    return r.body.id;
  };

  it('delivers each subscription its types, survives a receiver outage, dead-letters a poisoned event, replays to one subscription', async () => {
    const b = await http<Created>(`${url}/subscriptions`, { body: { name: 'billing', types: ['order.*', 'invoice.paid'], url: billing.url, max_attempts: 8, timeout: '1s', max_in_flight: 8 } });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    billing.secret = b.body.secret;
    const a = await http<Created>(`${url}/subscriptions`, { body: { name: 'audit', types: ['>'], url: audit.url, filter: { audited: true } } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    audit.secret = a.body.secret;

    let poisoned = '';
    billing.answer = ({ id }) => (id === poisoned ? { status: 500 } : { status: 200 });
    poisoned = await send('order.created', { order_id: 'poison' });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await send(i % 2 === 0 ? 'order.created' : 'invoice.paid', { n: i, audited: i % 4 === 0 }));
    const ignored = await send('user.signup', { user: 'u' });

    // The receiver goes away for a while and comes back: every event arrives after.
    await billing.close();
    const during: string[] = [];
    for (let i = 0; i < 20; i++) during.push(await send('order.updated', { n: 100 + i }));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await billing.listen();

    const wanted = [...ids, ...during];
    await eventually(
      async () => (wanted.every((id) => billing.deliveredIds().has(id)) ? true : undefined),
      60_000,
      `every billing event delivered (missing: ${wanted.filter((id) => !billing.deliveredIds().has(id)).length})`,
    );
    assert.equal(billing.received.every((r) => r.verified), true, 'every request verifies with standardwebhooks');
    assert.equal(billing.received.some((r) => r.id === ignored), false);
    const auditWanted = ids.filter((_, i) => i % 4 === 0);
    await eventually(async () => (auditWanted.every((id) => audit.deliveredIds().has(id)) ? true : undefined), 30_000, 'audit events delivered');
    assert.equal(audit.received.length, auditWanted.length, 'the filter holds back the rest');

    const shown = await eventually(async () => {
      const r = await http<{ failed: number; delivered: number; last_error: { event_id: string } | null }>(`${url}/subscriptions/billing`);
      return r.body.failed === 1 ? r.body : undefined;
    }, 30_000, 'the poisoned event failed');
    assert.equal(shown.last_error?.event_id, poisoned);
    // Attempts made while the receiver was down never reached it; the log has all eight.
    assert.ok(billing.received.filter((r) => r.id === poisoned).length <= 8);
    const attempts = await pipeline.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.delivery_attempts WHERE event_id = $1', [poisoned]);
    assert.equal(Number(attempts[0]!.n), 8);

    // The workers archived everything meanwhile, unaffected.
    await eventually(async () => {
      const rows = await pipeline.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted'");
      return Number(rows[0]!.n) === wanted.length + 2 ? true : undefined;
    }, 30_000, 'every event persisted');

    // Replay to billing only: audit does not see it again, the webhook-id is the event's.
    billing.answer = () => ({ status: 200 });
    const auditBefore = audit.received.length;
    const replay = await http<{ replay_id: string }>(`${url}/replay`, { body: { ids: [poisoned, ids[0]], subscription: 'billing' } });
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    await eventually(async () => (billing.deliveredIds().has(poisoned) ? true : undefined), 30_000, 'replayed to billing');
    await eventually(async () => (billing.received.filter((r) => r.id === ids[0]).length >= 2 ? true : undefined), 30_000, 'second copy to billing');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(audit.received.length, auditBefore, 'a replay for billing is not delivered to audit');
  });

  it('keeps subscriptions across a restart', async () => {
    await pipeline.services.stop();
    restarted = await runServices(pipeline.config, silentLogger(), { gateway: true, worker: true, migrate: true, deliver: true });
    url = restarted.address!;
    const listed = await http<{ subscriptions: Array<{ name: string }> }>(`${url}/subscriptions`);
    assert.deepEqual(listed.body.subscriptions.map((s) => s.name).sort(), ['audit', 'billing']);
    const id = await send('order.created', { after: 'restart' });
    await eventually(async () => (billing.deliveredIds().has(id) ? true : undefined), 30_000, 'delivered after the restart');
  });
});
