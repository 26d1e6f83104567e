import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { cloudEventHeaders, retryDelayMs, settle, webhookSignature } from '../../src/delivery/index.js';
import { parseRetryAfter } from '../../src/delivery/post-event.js';
import { newSecret, secretKey, secretProblem } from '../../src/subscriptions/index.js';

describe('delivery signatures', () => {
  it('signs as the standardwebhooks package does, and the package verifies it', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string(), fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), (id, text, timestamp) => {
        const secret = newSecret();
        const body = Buffer.from(text, 'utf8');
        const ours = webhookSignature(secretKey(secret), id, timestamp, body);
        assert.equal(ours, new Webhook(secret).sign(id, new Date(timestamp * 1000), text));
      }),
      { numRuns: 200 },
    );
    const secret = newSecret();
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from('{"a": 1}');
    const headers = { 'webhook-id': 'e1', 'webhook-timestamp': String(now), 'webhook-signature': webhookSignature(secretKey(secret), 'e1', now, body) };
    assert.doesNotThrow(() => new Webhook(secret).verify(body, headers));
    assert.throws(() => new Webhook(newSecret()).verify(body, headers), /signature/i);
  });

  it('generates whsec_ secrets and refuses malformed ones', () => {
    assert.equal(secretProblem(newSecret()), null);
    assert.match(secretProblem('abc') ?? '', /whsec_/);
    assert.match(secretProblem('whsec_c2hvcnQ=') ?? '', /16 to 64 bytes/);
    assert.match(secretProblem('whsec_not base64!') ?? '', /base64/);
  });
});

describe('retry schedule', () => {
  it('grows with each attempt, jittered within the upper half, capped at 10 minutes', () => {
    assert.equal(retryDelayMs(1, 1000, () => 0), 500);
    assert.equal(retryDelayMs(1, 1000, () => 1), 1000);
    assert.equal(retryDelayMs(4, 1000, () => 1), 8000);
    assert.equal(retryDelayMs(30, 1000, () => 1), 600_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = retryDelayMs(attempt, 1000, () => r);
        const ceiling = Math.min(600_000, 1000 * 2 ** (attempt - 1));
        return d >= ceiling / 2 - 1 && d <= ceiling + 1;
      }),
    );
  });

  it('delivers on 2xx, honours Retry-After on 429 and 503, fails after max_attempts', () => {
    assert.deepEqual(settle({ statusCode: 204, retryAfterMs: null }, 1, 3, 1000), { kind: 'delivered' });
    assert.deepEqual(settle({ statusCode: 429, retryAfterMs: 7000 }, 1, 3, 1000), { kind: 'retry', delayMs: 7000 });
    assert.deepEqual(settle({ statusCode: 503, retryAfterMs: 2000 }, 2, 3, 1000), { kind: 'retry', delayMs: 2000 });
    assert.equal(settle({ statusCode: 500, retryAfterMs: 9000 }, 1, 3, 1000).kind, 'retry');
    assert.notEqual((settle({ statusCode: 500, retryAfterMs: 9000 }, 1, 3, 1000) as { delayMs: number }).delayMs, 9000);
    assert.equal(settle({ statusCode: null, retryAfterMs: null }, 2, 3, 1000).kind, 'retry');
    assert.deepEqual(settle({ statusCode: 500, retryAfterMs: null }, 3, 3, 1000), { kind: 'failed' });
    assert.deepEqual(settle({ statusCode: 429, retryAfterMs: 1000 }, 3, 3, 1000), { kind: 'failed' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('5'), 5000);
    assert.equal(parseRetryAfter(undefined), null);
    assert.equal(parseRetryAfter('soon'), null);
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    const ms = parseRetryAfter(inTen)!;
    assert.ok(ms > 8000 && ms <= 10_000, String(ms));
    assert.equal(parseRetryAfter('999999'), 3_600_000);
  });
});

describe('CloudEvents binary-mode headers', () => {
  it('carries the attributes as ce-* headers and percent-encodes what HTTP cannot carry', () => {
    const headers = cloudEventHeaders({
      id: 'e1',
      type: 'order.created',
      source: '/shop/ü',
      subject: 'a "b" 100%',
      time: '2026-01-01T00:00:00Z',
      receivedAt: '2026-01-01T00:00:00.000Z',
      data: new Uint8Array(),
      dataContentType: 'text/csv; charset=utf-8',
      dataSchema: 'https://schemas.example/order.csv',
      extensions: { tenant: 'acme' },
    });
    assert.equal(headers['ce-specversion'], '1.0');
    assert.equal(headers['ce-id'], 'e1');
    assert.equal(headers['ce-source'], '/shop/%C3%BC');
    assert.equal(headers['ce-subject'], 'a %22b%22 100%25');
    assert.equal(headers['ce-tenant'], 'acme');
    assert.equal(headers['content-type'], 'text/csv; charset=utf-8', "the producer's content type");
    assert.equal(headers['ce-dataschema'], 'https://schemas.example/order.csv');
  });
});

describe('endpoint client', () => {
  it('refuses private targets when connecting, whether the URL names an IP or a host that resolves to one', async () => {
    const { EndpointClient } = await import('../../src/delivery/post-event.js');
    const { createServer } = await import('node:http');
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const client = new EndpointClient(`http://${host}:${port}/hook`, { maxSockets: 2, timeoutMs: 2000, allowPrivate: false });
        const result = await client.post({ 'content-type': 'application/json' }, Buffer.from('{}'));
        client.close();
        assert.equal(result.statusCode, null, host);
        assert.match(result.error ?? '', /loopback, private or link-local/, host);
      }
      assert.equal(hits, 0, 'nothing reached the private address');
      const allowed = new EndpointClient(`http://localhost:${port}/hook`, { maxSockets: 2, timeoutMs: 2000, allowPrivate: true });
      assert.equal((await allowed.post({}, Buffer.from('{}'))).statusCode, 204);
      allowed.close();
    } finally {
      server.close();
    }
  });
});

describe('endpoint timeouts', () => {
  it('gives up on an endpoint that does not answer within the timeout, and says so', async () => {
    const { EndpointClient } = await import('../../src/delivery/post-event.js');
    const { createServer } = await import('node:http');
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const client = new EndpointClient(`http://127.0.0.1:${port}/hook`, { maxSockets: 1, timeoutMs: 300, allowPrivate: true });
      const result = await client.post({}, Buffer.from('{}'));
      client.close();
      assert.equal(result.statusCode, null);
      assert.equal(result.error, 'no answer within 300 ms (timeout)');
      assert.ok(result.durationMs >= 290 && result.durationMs < 2000, String(result.durationMs));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
