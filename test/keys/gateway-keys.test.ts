import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { keyDigest } from '../../src/gateway/keys/index.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually } from '../helpers/pipeline.js';

// The gateway and a worker (as `sluice dev` runs them) on the embedded bus and database, with a keys file: a producer, a reader
// and an operator key, as the check describes; requests go through inject().
const SHOP = 'shop-key-0123456789';
const READER = 'reader-key-0123456789';
const OPS = 'ops-key-0123456789';
const ENV_KEY = 'env-key-0123456789';
const LATER = 'later-key-0123456789';
const METERED = 'metered-key-0123456789';
const ORIGIN = 'https://shop.example.com';

const entry = (name: string, key: string, rest: string): string => `  - name: ${name}\n    hash: sha256:${keyDigest(key).toString('hex')}\n${rest}`;
const FILE = `keys:
${entry('web-shop', SHOP, '    scopes: [ingest]\n    types: ["order.*", "cart.>"]\n    rate: 5/s\n')}
${entry('reader', READER, '    scopes: [read]\n')}
${entry('metered', METERED, '    scopes: [ingest]\n    rate: 2/m\n')}
${entry('ops', OPS, '    scopes: [ingest, read, replay, admin]\n')}
`;

let dir: string;
let keysFile: string;
let services: Services;
let app: FastifyInstance;

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const post = (url: string, key: string | null, body: string, contentType = 'application/json', headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': contentType, ...(key === null ? {} : auth(key)), ...headers }, payload: body });
const get = (url: string, key: string | null) => app.inject({ method: 'GET', url, headers: key === null ? {} : auth(key) });
const code = (res: { body: string }): string => (JSON.parse(res.body) as { error: { code: string } }).error.code;

/** Replaces the file the way editors and deploy tools do: write aside, rename over. */
function replaceKeysFile(text: string): void {
  writeFileSync(`${keysFile}.tmp`, text);
  renameSync(`${keysFile}.tmp`, keysFile);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  keysFile = join(dir, 'keys.yaml');
  writeFileSync(keysFile, FILE);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SLUICE_DATA_DIR: join(dir, 'data'),
    SLUICE_KEYS_FILE: keysFile,
    SLUICE_API_KEYS: ENV_KEY,
    SLUICE_CORS_ORIGINS: ORIGIN,
    LOG_LEVEL: 'silent',
  });
  services = await runServices(config, silentLogger(), { gateway: true, worker: true, migrate: true });
  app = services.gateway!.app;
});

after(async () => {
  await services.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('scoped API keys', () => {
  it('answers 401 for a missing or unknown key, on ingest and read routes alike', async () => {
    for (const res of [await post('/events/order.created', null, '{}'), await post('/events/order.created', 'nope', '{}'), await get('/events', null), await get('/events', `${OPS}x`)]) {
      assert.equal(res.statusCode, 401);
      assert.equal(code(res), 'unauthorized');
    }
  });

  it('lets an ingest key send its types and nothing else: 403 for reads, replays and other types', async () => {
    assert.equal((await post('/events/order.created', SHOP, '{"n":1}')).statusCode, 202);
    assert.equal((await post('/ingest/message?type=cart.item.added', SHOP, '{"n":1}')).statusCode, 202);
    const otherType = await post('/events/payment.done', SHOP, '{"n":1}');
    assert.equal(otherType.statusCode, 403);
    assert.equal(code(otherType), 'type_not_allowed');
    assert.match((JSON.parse(otherType.body) as { error: { message: string } }).error.message, /web-shop may not send events of type "payment\.done"/);
    const read = await get('/events', SHOP);
    assert.equal(read.statusCode, 403);
    assert.equal(code(read), 'forbidden');
    assert.match((JSON.parse(read.body) as { error: { message: string } }).error.message, /lacks the "read" scope/);
    assert.equal((await post('/replay', SHOP, '{"type":"order.>"}')).statusCode, 403);
  });

  it('checks types in batches: NDJSON by its ?type=, CloudEvents event by event', async () => {
    const ndjson = await post('/ingest/batch?type=payment.done', OPS, '{"a":1}\n{"a":2}\n', 'application/x-ndjson');
    assert.equal(ndjson.statusCode, 202, 'ops may send any type');
    assert.equal((await post('/ingest/batch?type=payment.done', SHOP, '{"a":1}\n', 'application/x-ndjson')).statusCode, 403);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // let the shop's bucket refill
    const event = (type: string, id: string) => ({ specversion: '1.0', id, source: '/shop', type, data: { n: 1 } });
    const mixed = await post('/events', SHOP, JSON.stringify([event('order.paid', 'a'), event('payment.done', 'b')]), 'application/cloudevents-batch+json');
    assert.equal(mixed.statusCode, 202);
    const results = JSON.parse(mixed.body) as Array<{ id?: string; error?: { code: string } }>;
    assert.equal(typeof results[0]!.id, 'string');
    assert.equal(results[1]!.error?.code, 'type_not_allowed');
    const none = await post('/events', SHOP, JSON.stringify([event('payment.done', 'c')]), 'application/cloudevents-batch+json');
    assert.equal(none.statusCode, 403);
    const single = await post('/events', SHOP, JSON.stringify(event('payment.done', 'd')), 'application/cloudevents+json');
    assert.equal(single.statusCode, 403);
  });

  it('lets a read key read and nothing else', async () => {
    const sent = await post('/events/order.created', OPS, '{"n":2}');
    const id = (JSON.parse(sent.body) as { id: string }).id;
    assert.equal((await get(`/events/${id}/status`, READER)).statusCode, 200);
    assert.equal((await get('/events?limit=1', READER)).statusCode, 200);
    assert.equal((await post('/events/order.created', READER, '{}')).statusCode, 403);
    assert.equal((await post(`/replay/${id}`, READER, '')).statusCode, 403);
    assert.equal((await post(`/replay/${id}`, OPS, '')).statusCode, 202, 'the operator may replay');
  });

  it('needs admin for subscriptions and for a route the scope table does not list', async () => {
    assert.equal((await get('/no/such/route', READER)).statusCode, 403);
    assert.equal((await get('/no/such/route', OPS)).statusCode, 404);
    assert.equal((await get('/subscriptions', READER)).statusCode, 403);
    assert.equal((await post('/subscriptions', SHOP, '{}')).statusCode, 403);
    assert.equal((await get('/subscriptions', OPS)).statusCode, 200);
  });

  it('keeps SLUICE_API_KEYS working with every scope', async () => {
    assert.equal((await post('/events/anything.at.all', ENV_KEY, '{}')).statusCode, 202);
    assert.equal((await get('/events?limit=1', ENV_KEY)).statusCode, 200);
  });

  it('tells a key who it is and what it may do', async () => {
    const shop = JSON.parse((await get('/auth/key', SHOP)).body) as Record<string, unknown>;
    assert.deepEqual(shop, { open: false, name: 'web-shop', scopes: ['ingest'], types: ['order.*', 'cart.>'], rate_per_second: 5 });
    const ops = JSON.parse((await get('/auth/key', OPS)).body) as Record<string, unknown>;
    assert.deepEqual(ops.scopes, ['ingest', 'read', 'replay', 'admin']);
    assert.equal((await get('/auth/key', null)).statusCode, 401);
  });

  it('answers 429 with Retry-After past a key\'s rate (burst of twice the rate)', async () => {
    // 2/m: a bucket of 4, one token back every 30 s, so timing on a busy machine cannot blur the count.
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 7; i++) {
      const res = await post('/events/order.created', METERED, '{}');
      statuses.push(res.statusCode);
      if (res.statusCode === 429) limited ??= res;
    }
    assert.deepEqual(statuses, [202, 202, 202, 202, 429, 429, 429]);
    assert.equal(code(limited!), 'rate_limited');
    const retryAfter = Number(limited!.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
    // Other keys have their own limits (none here).
    assert.equal((await post('/events/order.created', OPS, '{}')).statusCode, 202);
  });

  it('counts requests by key name, never by key', async () => {
    const text = (await get('/metrics', null)).body;
    assert.match(text, /sluice_key_requests_total\{key="web-shop",route="\/events\/:type",status="202"\} \d+/);
    assert.match(text, /sluice_key_requests_total\{key="metered",route="\/events\/:type",status="429"\} 3/);
    assert.match(text, /sluice_key_requests_total\{key="reader",route="\/events",status="200"\} \d+/);
    assert.ok(!text.includes(SHOP) && !text.includes(OPS));
  });

  it('answers a browser preflight from an allowed origin on the ingest routes, and marks answers readable', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/events/order.created',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sent = await post('/events/order.created', SHOP, '{}', 'application/json', { origin: ORIGIN });
    assert.equal(sent.statusCode, 202);
    assert.equal(sent.headers['access-control-allow-origin'], ORIGIN);
    const refused = await post('/events/order.created', null, '{}', 'application/json', { origin: ORIGIN });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['access-control-allow-origin'], ORIGIN, 'the page can read why');
    const otherOrigin = await app.inject({ method: 'OPTIONS', url: '/events/order.created', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(otherOrigin.headers['access-control-allow-origin'], undefined);
    const readRoute = await app.inject({ method: 'GET', url: '/events', headers: { origin: ORIGIN, ...auth(OPS) } });
    assert.equal(readRoute.headers['access-control-allow-origin'], undefined, 'reads are not offered to pages');
  });

  it('picks up an edited keys file without a restart, and keeps the last good keys when it breaks', async () => {
    assert.equal((await get('/auth/key', LATER)).statusCode, 401);
    replaceKeysFile(`keys:\n${entry('later', LATER, '    scopes: [read]\n')}\n${entry('ops', OPS, '    scopes: [ingest, read, replay, admin]\n')}\n`);
    await eventually(async () => ((await get('/auth/key', LATER)).statusCode === 200 ? true : undefined), 10_000, 'the new key to work');
    await eventually(async () => ((await get('/auth/key', READER)).statusCode === 401 ? true : undefined), 10_000, 'the removed key to stop');
    replaceKeysFile('keys:\n  - name: broken\n    hash: plain-text\n');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await get('/auth/key', LATER)).statusCode, 200, 'a broken file keeps the last good keys');
    // Written in place (no rename): the periodic check or the watcher sees it too.
    writeFileSync(keysFile, `keys:\n${entry('ops', OPS, '    scopes: [ingest, read, replay, admin]\n')}\n`);
    await eventually(async () => ((await get('/auth/key', LATER)).statusCode === 401 ? true : undefined), 10_000, 'the key removed in place to stop');
  });
});
