import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  SubscriptionFileError,
  TargetRefusedError,
  checkTarget,
  isPrivateAddress,
  jsonContains,
  parseSubscriptionFile,
  parseSubscriptionInput,
  parseSubscriptionPatch,
} from '../../src/subscriptions/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('subscription definitions', () => {
  it('defaults what is not given', () => {
    const s = parseSubscriptionInput({ name: 'billing', types: ['order.*'], url: 'https://billing.example.com/hook' });
    assert.deepEqual(
      { maxAttempts: s.maxAttempts, timeoutMs: s.timeoutMs, maxInFlight: s.maxInFlight, ordered: s.ordered, paused: s.paused, filter: s.filter, secret: s.secret },
      { maxAttempts: 10, timeoutMs: 10_000, maxInFlight: 16, ordered: false, paused: false, filter: null, secret: undefined },
    );
  });

  it('names the field that is wrong', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'a b', types: ['x'], url: 'https://e.com' }, /^name:/],
      [{ name: 'a', types: [], url: 'https://e.com' }, /^types:/],
      [{ name: 'a', types: ['order.>.x'], url: 'https://e.com' }, /^types:/],
      [{ name: 'a', types: ['x'], url: 'mailto:x@e.com' }, /^url:/],
      [{ name: 'a', types: ['x'], url: 'https://e.com', timeout: '2h' }, /^timeout:/],
      [{ name: 'a', types: ['x'], url: 'https://e.com', max_attempts: 0 }, /^max_attempts:/],
      [{ name: 'a', types: ['x'], url: 'https://e.com', secret: 'plain' }, /^secret:/],
      [{ name: 'a', types: ['x'], url: 'https://e.com', retries: 3 }, /^retries: unknown field/],
    ];
    for (const [input, message] of cases) assert.throws(() => parseSubscriptionInput(input), { message });
    assert.throws(() => parseSubscriptionPatch({}), /empty/);
    assert.deepEqual(parseSubscriptionPatch({ paused: true, timeout: 3 }), { paused: true, timeoutMs: 3000 });
  });

  it('reads the file, expanding ${ENV} references, and points at the line of a mistake', () => {
    const text = ['subscriptions:', '  - name: billing', '    types: ["order.*"]', '    url: https://billing.example.com/hooks', '    secret: ${BILLING_SECRET}', '    filter: { status: paid }', '    timeout: 5s', ''].join('\n');
    const [billing] = parseSubscriptionFile(text, 'subs.yaml', { BILLING_SECRET: SECRET });
    assert.equal(billing!.secret, SECRET);
    assert.deepEqual(billing!.filter, { status: 'paid' });
    assert.equal(billing!.timeoutMs, 5000);

    const missing = (() => {
      try {
        parseSubscriptionFile(text, 'subs.yaml', {});
      } catch (error) {
        return error as SubscriptionFileError;
      }
      return null;
    })();
    assert.ok(missing instanceof SubscriptionFileError);
    assert.equal(missing.line, 5);
    assert.match(missing.message, /^subs\.yaml:5: \$\{BILLING_SECRET\} refers to an environment variable that is not set/);

    assert.throws(() => parseSubscriptionFile(text.replace('timeout: 5s', 'timeout: forever'), 'subs.yaml', { BILLING_SECRET: SECRET }), /^SubscriptionFileError: subs\.yaml:7: timeout:/);
    assert.throws(() => parseSubscriptionFile(text.replace('    secret: ${BILLING_SECRET}\n', ''), 'subs.yaml', {}), /subs\.yaml:2: a declared subscription needs a secret/);
    assert.throws(() => parseSubscriptionFile('subscriptions:\n  - name: a\n    types: [x]\n    url: https://e.com\n    secret: ' + SECRET + '\n  - name: a\n    types: [y]\n    url: https://e.com\n    secret: ' + SECRET + '\n', 'f', {}), /f:6: the name "a" is already used by the subscription on line 2/);
    assert.deepEqual(parseSubscriptionFile('', 'f', {}), []);
  });
});

describe('target addresses', () => {
  it('knows loopback, private and link-local addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
      assert.equal(isPrivateAddress(a), true, a);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a);
  });

  it('refuses a URL whose host resolves to a private address, unless allowed', async () => {
    const resolve = async (host: string) => (host === 'internal.example' ? ['93.184.216.34', '10.0.0.7'] : ['93.184.216.34']);
    await assert.rejects(checkTarget('https://internal.example/hook', { allowPrivate: false, resolve }), (e: unknown) => e instanceof TargetRefusedError && /10\.0\.0\.7/.test((e as Error).message));
    await assert.rejects(checkTarget('http://127.0.0.1:9000/hook', { allowPrivate: false, resolve }), TargetRefusedError);
    await assert.rejects(checkTarget('http://[::1]:9000/hook', { allowPrivate: false, resolve }), TargetRefusedError);
    await checkTarget('https://public.example/hook', { allowPrivate: false, resolve });
    await checkTarget('http://127.0.0.1:9000/hook', { allowPrivate: true, resolve });
  });
});

describe('filter containment', () => {
  it('decides as PostgreSQL @> does', () => {
    assert.equal(jsonContains({ status: 'paid', total: 3 }, { status: 'paid' }), true);
    assert.equal(jsonContains({ status: 'open' }, { status: 'paid' }), false);
    assert.equal(jsonContains({ customer: { id: 'c', tier: 'gold' } }, { customer: { tier: 'gold' } }), true);
    assert.equal(jsonContains({ tags: ['a', 'b', 'c'] }, { tags: ['c', 'a'] }), true);
    assert.equal(jsonContains({ tags: ['a'] }, { tags: 'a' }), false);
    assert.equal(jsonContains(['a', 'b'], 'a'), true);
    assert.equal(jsonContains({ n: 1 }, { n: '1' }), false);
    fc.assert(fc.property(fc.jsonValue(), (v) => jsonContains(v, v)));
  });
});
