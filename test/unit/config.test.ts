import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration, parseSize } from '../../src/config/index.js';

describe('configuration', () => {
  it('defaults every variable as the contract says', () => {
    const c = loadConfig({});
    assert.equal(c.http.port, 8080);
    assert.equal(c.http.host, '0.0.0.0');
    assert.equal(c.nats.servers, null);
    assert.equal(c.nats.stream, 'EVENTS');
    assert.equal(c.nats.subjectPrefix, 'events');
    assert.equal(c.nats.streamMaxAgeMs, 7 * 86_400_000);
    assert.equal(c.nats.streamMaxMsgs, -1);
    assert.equal(c.nats.streamMaxBytes, -1);
    assert.equal(c.nats.replicas, 1);
    assert.equal(c.nats.duplicateWindowMs, 120_000);
    assert.equal(c.database.url, null);
    assert.equal(c.database.dataIndex, 'none');
    assert.equal(c.dataDir, './.sluice');
    assert.equal(c.worker.consumer, 'sluice-worker');
    assert.equal(c.worker.maxDeliver, 5);
    assert.equal(c.http.maxBodyBytes, 1_048_576);
    assert.equal(c.http.maxBatchEvents, 10_000);
    assert.deepEqual(c.http.apiKeys, []);
    assert.equal(c.metricsPort, null);
  });

  it('reads the data index choice and refuses another', () => {
    assert.equal(loadConfig({ SLUICE_DATA_INDEX: 'gin' }).database.dataIndex, 'gin');
    assert.throws(() => loadConfig({ SLUICE_DATA_INDEX: 'btree' }), /SLUICE_DATA_INDEX: "btree" is not an index; use gin or none/);
  });

  it('refuses a bad duration naming the variable and what it expects', () => {
    assert.throws(() => loadConfig({ STREAM_MAX_AGE: 'banana' }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.variable, 'STREAM_MAX_AGE');
      assert.match(e.message, /STREAM_MAX_AGE: "banana" is not a duration; use a number with ms, s, m, h, d or w/);
      return true;
    });
  });

  it('refuses a publish timeout that would break the 503-within-5-s rule', () => {
    assert.equal(loadConfig({ SLUICE_PUBLISH_TIMEOUT: '4500ms' }).nats.publishTimeoutMs, 4500);
    for (const text of ['5s', '4501ms', '1m']) {
      assert.throws(() => loadConfig({ SLUICE_PUBLISH_TIMEOUT: text }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.variable, 'SLUICE_PUBLISH_TIMEOUT');
        assert.match(e.message, /longer than 4500 ms.*503 within 5 s/);
        return true;
      });
    }
  });

  it('refuses an ack wait or connect delay beyond what a Node timer holds (2^31-1 ms)', () => {
    assert.equal(loadConfig({ SLUICE_ACK_WAIT: '24d' }).worker.ackWaitMs, 24 * 86_400_000);
    for (const [name, text] of [['SLUICE_ACK_WAIT', '25d'], ['SLUICE_ACK_WAIT', '2147483648ms'], ['NATS_CONNECT_DELAY', '4w']] as const) {
      assert.throws(() => loadConfig({ [name]: text }), (e: unknown) => e instanceof ConfigError && e.variable === name && /2\^31-1 ms/.test(e.message));
    }
  });

  it('reads sizes in decimal and binary units', () => {
    assert.equal(parseSize('1MiB'), 1_048_576);
    assert.equal(parseSize('1MB'), 1_000_000);
    assert.equal(parseSize('512KB'), 512_000);
    assert.equal(parseSize('2KiB'), 2048);
    assert.equal(parseSize('1GB'), 1e9);
    assert.equal(parseSize('12'), 12);
    assert.equal(parseSize('ten'), null);
    assert.equal(loadConfig({ STREAM_MAX_BYTES: '1GB' }).nats.streamMaxBytes, 1e9);
    assert.equal(loadConfig({ MAX_BODY_BYTES: '64KiB' }).http.maxBodyBytes, 65_536);
  });

  it('reads durations', () => {
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('7'), null);
  });

  it('splits NATS_URL into cluster seeds and API keys into a list', () => {
    const c = loadConfig({ NATS_URL: 'nats://a:4222, nats://b:4222,nats://c:4222', SLUICE_API_KEYS: 'k1, k2' });
    assert.deepEqual(c.nats.servers, ['nats://a:4222', 'nats://b:4222', 'nats://c:4222']);
    assert.deepEqual(c.http.apiKeys, ['k1', 'k2']);
  });

  it('refuses half-configured credentials and out-of-range numbers', () => {
    assert.throws(() => loadConfig({ NATS_USER: 'u' }), /NATS_PASSWORD: set both NATS_USER and NATS_PASSWORD/);
    assert.throws(() => loadConfig({ NATS_TLS_CERT: '/c.pem' }), /NATS_TLS_KEY: mutual TLS needs both/);
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT: "70000" is not a whole number from 0 to 65535/);
    assert.throws(() => loadConfig({ STREAM_REPLICAS: '0' }), /STREAM_REPLICAS/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL: expected a PostgreSQL connection string/);
    assert.throws(() => loadConfig({ NATS_STREAM: 'a.b' }), /NATS_STREAM/);
    assert.throws(() => loadConfig({ NATS_SUBJECT_PREFIX: 'a.*' }), /NATS_SUBJECT_PREFIX/);
  });

  it('is frozen', () => {
    const c = loadConfig({});
    assert.throws(() => {
      (c.http as { port: number }).port = 1;
    }, TypeError);
  });
});
