import assert from 'node:assert/strict';
import fc from 'fast-check';
import { typeMatches, typePatternsRegExp } from '../../src/envelope/index.js';
import { describe, it } from 'node:test';
import { KeyRing, KeysFileError, keyAllowsType, keyDigest, parseKeysFile } from '../../src/gateway/keys/index.js';

const hash = (key: string): string => `sha256:${keyDigest(key).toString('hex')}`;

const FILE = `keys:
  - name: web-shop
    hash: ${hash('shop-key')}
    scopes: [ingest]
    types: ["order.*", "cart.>"]
    rate: 500/s
  - name: ops
    hash: ${hash('ops-key')}
    scopes: [ingest, read, replay, admin]
  - name: nightly
    hash: ${hash('nightly-key').toUpperCase().replace('SHA256', 'sha256')}
    scopes: read
    rate: 60/m
`;

function failure(text: string): KeysFileError {
  try {
    parseKeysFile(text, 'keys.yaml');
  } catch (error) {
    assert.ok(error instanceof KeysFileError, String(error));
    return error;
  }
  assert.fail('the file was accepted');
}

describe('keys file', () => {
  it('reads names, hashes, scopes, types and rates', () => {
    const keys = parseKeysFile(FILE, 'keys.yaml');
    assert.deepEqual(keys.map((k) => k.name), ['web-shop', 'ops', 'nightly']);
    assert.deepEqual([...keys[0]!.scopes], ['ingest']);
    assert.deepEqual(keys[0]!.types, ['order.*', 'cart.>']);
    assert.equal(keys[0]!.ratePerSecond, 500);
    assert.equal(keys[0]!.burst, 1000, 'twice the rate');
    assert.equal(keys[1]!.types, null);
    assert.equal(keys[1]!.ratePerSecond, null);
    assert.deepEqual([...keys[2]!.scopes], ['read']);
    assert.equal(keys[2]!.ratePerSecond, 1);
    assert.equal(keys[2]!.burst, 120, 'twice the rate as written: 60/m bursts to 120');
    assert.ok(keys[2]!.digest.equals(keyDigest('nightly-key')), 'hex digits in either case');
  });

  it('an empty key list is no keys', () => {
    assert.deepEqual(parseKeysFile('keys:\n', 'k.yaml'), []);
    assert.deepEqual(parseKeysFile('keys: []\n', 'k.yaml'), []);
  });

  const cases: Array<[string, string, number, RegExp]> = [
    ['a plain-text key instead of a hash', `keys:\n  - name: a\n    hash: my-secret-key\n    scopes: [ingest]\n`, 3, /sha256: and 64 hex digits/],
    ['an unknown scope', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [ingest, write]\n`, 4, /"write" is not a scope/],
    ['no scopes', `keys:\n  - name: a\n    hash: ${hash('a')}\n`, 2, /no "scopes"/],
    ['a bad type pattern', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [ingest]\n    types: ["order.>.x"]\n`, 5, /not a valid type pattern/],
    ['a bad rate', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [ingest]\n    rate: fast\n`, 5, /rate "fast"/],
    ['a zero rate', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [ingest]\n    rate: 0/s\n`, 5, /positive number/],
    ['a repeated name', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [read]\n  - name: a\n    hash: ${hash('b')}\n    scopes: [read]\n`, 5, /already used on line 2/],
    ['a repeated hash', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [read]\n  - name: b\n    hash: ${hash('a')}\n    scopes: [read]\n`, 6, /same hash as key a/],
    ['an unknown field', `keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [read]\n    key: plain\n`, 5, /unknown field "key"/],
    ['an unknown top-level key', `tokens:\n  - name: a\n`, 1, /only "keys"/],
    ['broken YAML', `keys:\n  - name: a\n   hash: [\n`, 3, /not valid YAML/],
    ['an empty file', ``, 1, /the file is empty/],
    ['a name with spaces', `keys:\n  - name: web shop\n    hash: ${hash('a')}\n    scopes: [read]\n`, 2, /name "web shop"/],
  ];
  for (const [what, text, line, reason] of cases) {
    it(`refuses ${what}, naming the line`, () => {
      const error = failure(text);
      assert.equal(error.line, line, error.message);
      assert.match(error.message, new RegExp(`^keys\\.yaml:${line}: `));
      assert.match(error.message, reason);
    });
  }
});

describe('key ring', () => {
  it('finds a key by its text, and nothing for another text', () => {
    const ring = KeyRing.fromEnvironment(['env-key']);
    ring.replaceFileKeys(parseKeysFile(FILE, 'keys.yaml'));
    assert.equal(ring.find('shop-key')?.name, 'web-shop');
    assert.equal(ring.find('env-key')?.name, 'SLUICE_API_KEYS#1');
    assert.equal(ring.find('env-key')?.scopes.size, 4);
    assert.equal(ring.find('shop-key '), undefined);
    assert.equal(ring.find(''), undefined);
  });

  it('finds a key by its Authorization header, the scheme in any case', () => {
    const ring = KeyRing.fromEnvironment(['env-key']);
    ring.replaceFileKeys(parseKeysFile(FILE, 'keys.yaml'));
    for (let i = 0; i < 2; i++) {
      assert.equal(ring.findByHeader('Bearer shop-key')?.name, 'web-shop');
      assert.equal(ring.findByHeader('bearer  shop-key ')?.name, 'web-shop');
      assert.equal(ring.findByHeader('Bearer env-key')?.name, 'SLUICE_API_KEYS#1');
      assert.equal(ring.findByHeader('Bearer other-key'), undefined);
      assert.equal(ring.findByHeader('Basic shop-key'), undefined);
      assert.equal(ring.findByHeader('shop-key'), undefined);
      assert.equal(ring.findByHeader('Bearer '), undefined);
    }
  });

  it('forgets headers found before a reload: removed keys stop, changed keys change', () => {
    const ring = KeyRing.fromEnvironment(['env-key']);
    const file = (scopes: string) => parseKeysFile(`keys:\n  - name: a\n    hash: ${hash('a-key')}\n    scopes: [${scopes}]\n`, 'k.yaml');
    ring.replaceFileKeys(file('ingest'));
    assert.deepEqual([...ring.findByHeader('Bearer a-key')!.scopes], ['ingest']);
    ring.replaceFileKeys(file('read'));
    assert.deepEqual([...ring.findByHeader('Bearer a-key')!.scopes], ['read']);
    assert.equal(ring.findByHeader('Bearer env-key')?.name, 'SLUICE_API_KEYS#1');
    ring.replaceFileKeys([]);
    assert.equal(ring.findByHeader('Bearer a-key'), undefined);
    assert.equal(ring.findByHeader('Bearer env-key')?.name, 'SLUICE_API_KEYS#1', 'keys of SLUICE_API_KEYS stay');
  });

  it('finds keys by header however many different headers come', () => {
    const ring = new KeyRing();
    ring.replaceFileKeys(parseKeysFile(FILE, 'keys.yaml'));
    // More variants of a valid header than the ring remembers, then the first ones again.
    const variants = Array.from({ length: 2500 }, (_, i) => `${i % 2 === 0 ? 'Bearer' : 'bEARER'} shop-key${' '.repeat(i)}`);
    for (const header of [...variants, ...variants.slice(0, 10)]) assert.equal(ring.findByHeader(header)?.name, 'web-shop', JSON.stringify(header));
    assert.equal(ring.findByHeader('Bearer shop-kez'), undefined);
  });

  it('matches types with NATS wildcards', () => {
    const [shop] = parseKeysFile(FILE, 'keys.yaml');
    assert.ok(keyAllowsType(shop!, 'order.created'));
    assert.ok(keyAllowsType(shop!, 'cart.item.added'));
    assert.ok(!keyAllowsType(shop!, 'order.created.v2'));
    assert.ok(!keyAllowsType(shop!, 'payment.done'));
  });

  it('keeps a key\'s bucket across a reload unless its rate changed', () => {
    const ring = new KeyRing();
    const limited = (rate: string) => parseKeysFile(`keys:\n  - name: a\n    hash: ${hash('a')}\n    scopes: [ingest]\n    rate: ${rate}\n`, 'k.yaml');
    ring.replaceFileKeys(limited('1/s'));
    const key = ring.find('a')!;
    assert.equal(ring.takeToken(key, 0), 0);
    assert.equal(ring.takeToken(key, 0), 0);
    assert.ok(ring.takeToken(key, 0) > 0, 'burst of 2 spent');
    ring.replaceFileKeys(limited('1/s'));
    assert.ok(ring.takeToken(ring.find('a')!, 0) > 0, 'same rate: still spent');
    ring.replaceFileKeys(limited('5/s'));
    assert.equal(ring.takeToken(ring.find('a')!, 0), 0, 'new rate: a fresh bucket');
  });
});

describe('type patterns as one regular expression', () => {
  it('matches exactly what typeMatches matches', () => {
    const token = fc.constantFrom('a', 'b', 'order', 'x-1', 'y_2');
    const type = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join('.'));
    const pattern = fc
      .tuple(fc.array(fc.oneof(token, fc.constant('*')), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([tokens, rest]) => [...tokens, ...(rest ? ['>'] : [])].join('.'));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), type, (patterns, t) => {
        assert.equal(typePatternsRegExp(patterns).test(t), patterns.some((p) => typeMatches(p, t)), `${patterns.join(' | ')} against ${t}`);
      }),
    );
  });
});
