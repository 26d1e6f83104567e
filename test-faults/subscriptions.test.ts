import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startWebhookReceiver, type WebhookReceiver } from '../test/helpers/webhook-receiver.js';
import { startLoad, type Load } from './harness/load.js';
import { startSluice, type SluiceProcess } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';

const scenarios: Scenario[] = [];
const receivers: WebhookReceiver[] = [];
after(async () => {
  for (const r of receivers) await r.close();
  for (const s of scenarios) await s.close();
});

interface Setup {
  readonly s: Scenario;
  readonly gateway: SluiceProcess;
  /** The process that delivers (a worker, or `sluice deliver`). */
  readonly deliverer: SluiceProcess;
  readonly receiver: WebhookReceiver;
}

/** A scenario with a gateway, a worker that also delivers, and a receiver verifying every signature. */
async function setup(label: string, extraEnv: Record<string, string> = {}, deliverer: 'worker' | 'deliver' = 'worker'): Promise<Setup> {
  const s = await startScenario(label);
  scenarios.push(s);
  const receiver = await startWebhookReceiver();
  receivers.push(receiver);
  const env = s.env({ SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow', ...extraEnv });
  const delivering = s.track(await startSluice(deliverer, { name: deliverer, env }));
  // A worker delivers too: it also needs to reach the receiver on 127.0.0.1.
  if (deliverer === 'deliver') s.track(await startSluice('worker', { name: 'worker', env }));
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env }));
  return { s, gateway, deliverer: delivering, receiver };
}

async function subscribe(gateway: SluiceProcess, receiver: WebhookReceiver, fields: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${gateway.url}/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'counter-hook', types: ['fault.count'], url: receiver.url, ...fields }),
  });
  const body = (await response.json()) as { secret: string };
  assert.equal(response.status, 201, JSON.stringify(body));
  receiver.secret = body.secret;
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every acknowledged event reached the receiver with a good signature; returns how many came more than once. */
async function allDelivered(load: Load, receiver: WebhookReceiver, timeoutMs: number, ids: () => string[] = () => [...load.acked.values()].map((e) => e.id)): Promise<{ repeats: number; unverified: number }> {
  const missing = () => ids().filter((id) => !receiver.deliveredIds().has(id));
  await until(() => missing().length === 0, timeoutMs, () => `${missing().length} of ${ids().length} acknowledged events not delivered`);
  const seen = new Map<string, number>();
  for (const r of receiver.received) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  return { repeats: [...seen.values()].filter((n) => n > 1).length, unverified: receiver.received.filter((r) => !r.verified).length };
}

test('a receiver down for 30 s under load gets every event afterwards, none lost', { timeout: 240_000 }, async () => {
  const { s, gateway, receiver } = await setup('subdown', { SLUICE_DELIVERY_BACKOFF: '250ms' });
  await subscribe(gateway, receiver, { max_attempts: 30, timeout: '2s', max_in_flight: 32 });
  const load = startLoad('subdown', { url: () => gateway.url, clients: 3, eventsPerClient: 500, pauseMs: 10 });
  await load.ackedAtLeast(200);
  await receiver.close();
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const ackedWhileDown = load.acked.size;
  await receiver.listen();
  await load.stop();
  const { repeats, unverified } = await allDelivered(load, receiver, 120_000);
  console.log(`subscription_receiver_down: acked=${load.acked.size} acked_while_down=${ackedWhileDown} down_ms=${Date.now() - downAt} repeats=${repeats}`);
  assert.equal(unverified, 0);
  assert.ok(ackedWhileDown > 300, `events kept arriving while the receiver was down (${ackedWhileDown})`);
  const failed = await s.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.deliveries WHERE status = 'failed'");
  assert.equal(Number(failed[0]!.n), 0);
  assert.ok(await stopsWhenTold(gateway));
});

test('timeouts are retried (at least once: repeats counted, dropped by webhook-id); an event answered 500 for ever is dead-lettered while the rest flow', { timeout: 180_000 }, async () => {
  const { s, gateway, receiver } = await setup('subslow', { SLUICE_DELIVERY_BACKOFF: '100ms' });
  await subscribe(gateway, receiver, { max_attempts: 4, timeout: '1s', max_in_flight: 16 });
  // A receiver that keeps what it processed by webhook-id: a repeat is answered 200 and not processed twice.
  const processed = new Set<string>();
  let dropped = 0;
  let poisoned = '';
  let slowOnes = 0;
  // Counted as the receiver answers (the receiver's log of requests may miss one whose connection Sluice cut at its timeout).
  const slowIds = new Set<string>();
  const slowCameAgain = new Set<string>();
  receiver.answer = ({ id, attempt }) => {
    if (id === poisoned) return { status: 500 };
    if (processed.has(id)) {
      dropped++;
      if (slowIds.has(id)) slowCameAgain.add(id);
      return { status: 200 };
    }
    processed.add(id);
    // Every 10th event is processed but answered after the 1 s timeout: Sluice must send it again.
    if (attempt === 1 && processed.size % 10 === 0) {
      slowOnes++;
      slowIds.add(id);
      return { status: 200, delayMs: 1500 };
    }
    return { status: 200 };
  };
  const load = startLoad('subslow', { url: () => gateway.url, clients: 2, eventsPerClient: 150, pauseMs: 5 });
  await load.ackedAtLeast(20);
  const poison = await fetch(`${gateway.url}/events/fault.count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"account":"poison","counter":0}' });
  poisoned = ((await poison.json()) as { id: string }).id;
  await load.done;
  await allDelivered(load, receiver, 90_000);
  // A timed-out event was received on its first attempt: its retry comes after its back-off, so
  // the last ones may still be on their way when every event has been seen once.
  await until(() => slowCameAgain.size === slowIds.size, 30_000, () => `${slowCameAgain.size} of ${slowIds.size} timed-out events came again`);
  const { repeats, unverified } = await allDelivered(load, receiver, 1_000);
  await until(() => receiver.received.filter((r) => r.id === poisoned).length >= 4, 30_000, () => 'the poisoned event tried 4 times');
  const row = await until2(async () => {
    const rows = await s.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM sluice.deliveries WHERE event_id = $1', [poisoned]);
    return rows[0]?.status === 'failed' ? rows[0] : undefined;
  });
  console.log(`subscription_timeouts: acked=${load.acked.size} slow=${slowOnes} repeats=${repeats} dropped_by_webhook_id=${dropped} poisoned_attempts=${row.attempts}`);
  assert.equal(unverified, 0);
  assert.equal(row.attempts, 4);
  assert.ok(slowOnes > 0 && slowCameAgain.size === slowOnes, `every timed-out event came again (${slowOnes} slow, ${slowCameAgain.size} came again)`);
  assert.ok(dropped >= slowOnes, 'the receiver dropped the repeats by webhook-id');
  assert.equal(processed.size, load.acked.size, 'each event processed once');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(receiver.received.filter((r) => r.id === poisoned).length, 4, 'a failed delivery is not tried again');
});

async function until2<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('the delivering process SIGKILLed mid-delivery: its deliveries come again from the next one', { timeout: 180_000 }, async () => {
  const { s, gateway, deliverer, receiver } = await setup('subkill', {}, 'deliver');
  // Slow answers keep deliveries in flight when the process dies.
  receiver.answer = () => ({ status: 200, delayMs: 100 });
  await subscribe(gateway, receiver, { max_attempts: 10, timeout: '2s', max_in_flight: 8 });
  const load = startLoad('subkill', { url: () => gateway.url, clients: 2, eventsPerClient: 300, pauseMs: 5 });
  await until(() => receiver.received.length >= 100, 60_000, () => `${receiver.received.length} delivered before the kill`);
  await deliverer.kill('SIGKILL');
  const killedAt = receiver.received.length;
  s.track(await startSluice('deliver', { name: 'deliver 2', env: s.env({ SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow' }) }));
  await load.done;
  const { repeats, unverified } = await allDelivered(load, receiver, 90_000).catch(async (error) => {
    const missing = [...load.acked.values()].map((e) => e.id).filter((id) => !receiver.deliveredIds().has(id));
    const rows = await s.db.query('SELECT event_id, status, attempts, error FROM sluice.deliveries WHERE event_id = ANY($1::uuid[])', [missing]);
    const seen = receiver.received.filter((r) => missing.includes(r.id)).map((r) => [r.id.slice(0, 8), r.status, r.verified]);
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: s.nats.url });
    const jsm = await jetstreamManager(nc);
    const infos = [];
    for await (const c of jsm.consumers.list(s.names.stream)) infos.push({ name: c.name, pending: c.num_pending, ack_pending: c.num_ack_pending, redelivered: c.num_redelivered, floor: c.ack_floor.stream_seq, delivered: c.delivered.stream_seq });
    await nc.close();
    console.log(JSON.stringify({ missing: missing.length, rows, seen, infos, logs: deliverer.logTail(20) }, null, 1));
    throw error;
  });
  console.log(`subscription_deliverer_sigkill: acked=${load.acked.size} received_at_kill=${killedAt} repeats=${repeats}`);
  assert.equal(unverified, 0);
});

test('a subscription added while events flow gets what came after it; paused and resumed, it loses nothing', { timeout: 180_000 }, async () => {
  const { s, gateway, receiver } = await setup('subadd');
  const load = startLoad('subadd', { url: () => gateway.url, clients: 2, eventsPerClient: 600, pauseMs: 10 });
  await load.ackedAtLeast(150);
  const before = new Set([...load.acked.values()].map((e) => e.id));
  await subscribe(gateway, receiver, { max_attempts: 10, timeout: '2s' });
  await load.ackedAtLeast(load.acked.size + 150);
  const pause = await fetch(`${gateway.url}/subscriptions/counter-hook`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"paused":true}' });
  assert.equal(pause.status, 200);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const duringPauseStart = receiver.received.length;
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const duringPauseEnd = receiver.received.length;
  await fetch(`${gateway.url}/subscriptions/counter-hook`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"paused":false}' });
  await load.done;
  // Its consumer starts at its creation time: every event received from then on is its business
  // (an event in flight while it was created may fall either side), and none acknowledged before.
  await until2(async () => {
    const rows = await s.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events');
    return Number(rows[0]!.n) >= load.acked.size ? true : undefined;
  }, 60_000);
  const expected = (
    await s.db.query<{ id: string }>("SELECT e.id FROM sluice.events e, sluice.subscriptions s WHERE s.name = 'counter-hook' AND e.received_at >= s.created_at")
  ).map((r) => r.id);
  assert.ok(expected.length >= load.acked.size - before.size - 50, `most events came after the subscription (${expected.length})`);
  const { repeats, unverified } = await allDelivered(load, receiver, 90_000, () => expected);
  const early = receiver.received.filter((r) => before.has(r.id)).length;
  console.log(`subscription_added_paused: acked=${load.acked.size} before_subscription=${before.size} delivered_during_pause=${duringPauseEnd - duringPauseStart} early=${early} repeats=${repeats}`);
  assert.equal(unverified, 0);
  assert.equal(duringPauseEnd - duringPauseStart, 0, 'nothing is delivered while paused');
  assert.equal(early, 0, 'events from before the subscription are not delivered');
});
