#!/usr/bin/env node
// Sends sample events that match examples/sluice.entities.yaml to a running Sluice gateway:
// orders and customers, later updates of some of them, and a few records that fail validation
// (they are accepted by the gateway, then marked failed by a worker).
//
//   node examples/send-sample-traffic.mjs [N]
//
// SLUICE_URL (default http://127.0.0.1:8080) and SLUICE_API_KEY (optional) choose the gateway.
/* eslint-disable no-restricted-properties -- a standalone script reads its own environment */
const baseUrl = (process.env.SLUICE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const apiKey = process.env.SLUICE_API_KEY;
/* eslint-enable no-restricted-properties */
const count = Number.parseInt(process.argv[2] ?? '20', 10);
if (!Number.isSafeInteger(count) || count < 1) {
  console.error('usage: node examples/send-sample-traffic.mjs [N]   (N: how many orders and customers, default 20)');
  process.exit(2);
}

const statuses = ['pending', 'paid', 'shipped'];
const run = Date.now().toString(36);
const customerId = (i) => `c-${run}-${i}`;
const orderId = (i) => `o-${run}-${i}`;

/** Every event to send, in order: [type, data, expected to pass validation]. */
function sampleEvents() {
  const events = [];
  for (let i = 0; i < count; i++) {
    events.push(['customer.created', { customer_id: customerId(i), name: `Customer ${i}`, email: `customer${i}@example.com`, vip: i % 5 === 0, orders: 0, signed_up: new Date().toISOString() }, true]);
  }
  for (let i = 0; i < count; i++) {
    events.push([
      'order.created',
      {
        order_id: orderId(i),
        status: 'pending',
        total: Math.round(Math.random() * 50000) / 100,
        currency: 'EUR',
        customer: customerId(i % Math.max(1, Math.ceil(count / 2))),
        placed_at: new Date().toISOString(),
        lines: [{ sku: `sku-${i % 7}`, qty: 1 + (i % 3) }],
        note: 'undeclared properties are ignored',
      },
      true,
    ]);
  }
  // Updates: the newest event per key is what the tables end up holding.
  for (let i = 0; i < count; i += 2) {
    events.push(['order.updated', { order_id: orderId(i), status: statuses[1 + (i % 2)] }, true]);
  }
  for (let i = 0; i < count; i += 3) {
    events.push(['customer.updated', { customer_id: customerId(i), vip: true, orders: 1 + (i % 4) }, true]);
  }
  // Invalid records: each fails validation with a message naming the field.
  events.push(['order.created', { order_id: `o-${run}-bad-total`, total: -5 }, false]);
  events.push(['order.created', { total: 10 }, false]);
  events.push(['order.updated', { order_id: `o-${run}-bad-status`, status: 'lost' }, false]);
  events.push(['customer.created', { customer_id: `c-${run}-bad-email`, email: 'not an email' }, false]);
  events.push(['customer.updated', { customer_id: `c-${run}-bad-date`, signed_up: 'yesterday' }, false]);
  return events;
}

async function send(type, data) {
  const headers = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch(`${baseUrl}/events/${encodeURIComponent(type)}`, { method: 'POST', headers, body: JSON.stringify(data) });
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

const events = sampleEvents();
const tally = { accepted: 0, refused: 0, invalidSent: 0 };
const byType = new Map();
const ids = [];
let next = 0;
async function sender() {
  while (next < events.length) {
    const [type, data, valid] = events[next++];
    let result;
    try {
      result = await send(type, data);
    } catch (error) {
      console.error(`cannot reach ${baseUrl}: ${error.cause?.message ?? error.message}`);
      process.exit(1);
    }
    if (result.status === 202) {
      tally.accepted++;
      byType.set(type, (byType.get(type) ?? 0) + 1);
      if (!valid) {
        tally.invalidSent++;
        ids.push(result.body?.id);
      }
    } else {
      tally.refused++;
      console.error(`${type}: HTTP ${result.status} ${result.body?.error?.message ?? ''}`);
    }
  }
}
// A few requests at a time: enough to be quick, gentle on a laptop.
await Promise.all(Array.from({ length: 8 }, sender));

console.log(`sent ${events.length} events to ${baseUrl}: ${tally.accepted} accepted, ${tally.refused} refused`);
for (const [type, n] of [...byType].sort()) console.log(`  ${type.padEnd(18)} ${n}`);
console.log(`${tally.invalidSent} of the accepted events fail validation on purpose; a worker marks them failed. Check one with:`);
if (ids[0]) console.log(`  curl ${baseUrl}/ingest/status/${ids[0]}`);
process.exit(tally.refused > 0 ? 1 : 0);
