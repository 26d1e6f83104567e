import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { routeOptions, type GatewayServices } from '../../src/gateway/route-options.js';

/** Stand-ins: the test looks at which options each route is given, not at what they do. */
const services = Object.fromEntries(['bus', 'store', 'metrics', 'logger', 'publisher', 'replayer', 'storeHealth'].map((name) => [name, { stands: name }])) as unknown as Omit<GatewayServices, 'version'>;

describe("the routes' options", () => {
  const config = loadConfig({
    NATS_URL: 'nats://nats.internal:4222',
    NATS_USER: 'sluice',
    NATS_PASSWORD: 'nats-password-1',
    NATS_TOKEN: 'nats-token-1',
    DATABASE_URL: 'postgres://sluice:db-password-1@db.internal/sluice',
    MAX_BATCH_EVENTS: '77',
    SLUICE_CONSUMER: 'workers-a',
    SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow',
  });
  const options = routeOptions({ ...services, version: '9.9.9' }, config);

  it('carry no connection settings of the bus or the database', () => {
    const text = JSON.stringify(options);
    for (const secret of ['nats-password-1', 'nats-token-1', 'db-password-1', 'nats.internal', 'db.internal']) assert.ok(!text.includes(secret), secret);
    for (const given of Object.values(options)) for (const value of Object.values(given)) assert.notEqual(value, config);
  });

  it('give each route what it uses, from the configuration', () => {
    const keys = Object.fromEntries(Object.entries(options).map(([route, given]) => [route, Object.keys(given).sort()]));
    assert.deepEqual(keys, {
      typedIngest: ['metrics', 'publisher'],
      cloudEventsIngest: ['maxBatchEvents', 'metrics', 'publisher'],
      messageIngest: ['maxBatchEvents', 'metrics', 'publisher'],
      lookups: ['bus', 'store'],
      listEvents: ['bus', 'consumer', 'store'],
      replay: ['replayer', 'store'],
      subscriptions: ['allowPrivateTargets', 'bus', 'logger', 'store'],
      operate: ['bus', 'metrics', 'store', 'storeHealth', 'version'],
      observe: ['logger', 'metrics'],
    });
    assert.equal(options.cloudEventsIngest.maxBatchEvents, 77);
    assert.equal(options.listEvents.consumer, 'workers-a');
    assert.equal(options.subscriptions.allowPrivateTargets, true);
    assert.equal(options.operate.version, '9.9.9');
  });
});
