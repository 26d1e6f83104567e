import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeTextProblem, producerAttributesProblem, eventTimeProblem, eventTimeUtc, idFromIdempotencyKey, numberProblem } from '../../src/envelope/index.js';

describe('numbers PostgreSQL numeric holds (limits measured on PostgreSQL 15 and PGlite)', () => {
  const stored = ['1e-16383', '1.5e-16382', '1e131071', '0.1e131072', '0e99999999', '0', '1E+5', '123.456', '1e000000000000000000001', `0.${'0'.repeat(16382)}1`];
  const refused = ['1e-16384', '1.5e-16383', '1.500e-16381', '0.000e-16381', '0.0e-16383', '1e131072', '10e131071', '0e-99999999', '1e2147483647', '1e-2147483648', '1e-20000', '1e200000'];
  it('accepts what numeric stores', () => {
    for (const n of stored) assert.equal(numberProblem(n), null, n);
  });
  it('refuses what numeric refuses, saying why', () => {
    for (const n of refused) assert.match(numberProblem(n) ?? '', /numeric/, n);
  });
});

describe('event times the archive stores', () => {
  it('refuses times outside 0001-9999 in UTC once the offset is applied', () => {
    for (const t of ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '0000-12-31T23:59:59.999Z']) {
      assert.match(eventTimeProblem(t) ?? '', /0001-9999/, t);
    }
  });
  it('refuses impossible dates and times that JavaScript would roll over', () => {
    assert.match(eventTimeProblem('2021-02-29T00:00:00Z') ?? '', /no day 29/);
    assert.match(eventTimeProblem('2020-04-31T00:00:00Z') ?? '', /no day 31/);
    assert.match(eventTimeProblem('2020-13-01T00:00:00Z') ?? '', /no month/);
    assert.match(eventTimeProblem('2020-01-01T24:00:00Z') ?? '', /time of day/);
    assert.match(eventTimeProblem('2016-12-31T23:59:60Z') ?? '', /leap second/);
    assert.match(eventTimeProblem('2020-01-01T00:00:00+24:00') ?? '', /offset/);
    assert.match(eventTimeProblem('yesterday') ?? '', /RFC 3339/);
  });
  it('accepts the edges and carries them in UTC to the millisecond', () => {
    assert.equal(eventTimeProblem('2020-02-29T00:00:00Z'), null);
    assert.equal(eventTimeProblem('0001-01-01T00:30:00+00:30'), null);
    assert.equal(eventTimeUtc('0001-01-01T00:30:00+00:30'), '0001-01-01T00:00:00.000Z');
    assert.equal(eventTimeUtc('9999-12-31T23:59:59.9999999Z'), '9999-12-31T23:59:59.999Z');
    assert.equal(eventTimeUtc('2020-01-01t00:00:00-23:59'), '2020-01-01T23:59:00.000Z');
  });
});

describe('attribute values a NATS header and a text column carry unchanged', () => {
  it('refuses control characters, unpaired surrogates and edge whitespace', () => {
    for (const v of ['a\nb', 'a\rb', 'a\u0000', 'a\tb', '\u007f', 'x\ud800', '\udc00x', ' x', 'x ', 'x\u00a0']) {
      assert.notEqual(attributeTextProblem('source', v), null, JSON.stringify(v));
    }
    assert.match(attributeTextProblem('subject', 'a\nb') ?? '', /subject "a\\u000ab" holds the control character U\+000A/);
  });
  it('accepts any other text', () => {
    for (const v of ['/a b', 'é😀', 'a:b;c=d', '\ufffe', '']) assert.equal(attributeTextProblem('source', v), null, v);
  });
  it("checks every attribute a producer sends, extensions and the length of the indexed source; not Sluice's own", () => {
    const base = { id: 'i', type: 't', source: '/s', time: 't', receivedAt: 'r', data: new Uint8Array() };
    assert.equal(producerAttributesProblem(base), null);
    assert.match(producerAttributesProblem({ ...base, subject: 'a\nb' }) ?? '', /^subject/);
    assert.match(producerAttributesProblem({ ...base, originId: 'a\nb' }) ?? '', /^id/);
    assert.match(producerAttributesProblem({ ...base, extensions: { k: 'a\u0000' } }) ?? '', /^extension k/);
    assert.match(producerAttributesProblem({ ...base, source: `/${'é'.repeat(1024)}` }) ?? '', /2048/);
    assert.match(producerAttributesProblem({ ...base, dataSchema: 'https://x/ s ' }) ?? '', /^dataschema/);
    assert.match(producerAttributesProblem({ ...base, dataContentType: 'text/plain\r' }) ?? '', /^datacontenttype/);
    assert.match(producerAttributesProblem({ ...base, traceparent: ' 00-x' }) ?? '', /^traceparent/);
    // id, time and receivedAt are Sluice's: whatever they hold, they are not the producer's to get wrong.
    assert.equal(producerAttributesProblem({ ...base, id: 'a\nb', time: ' t', receivedAt: 'r\u0000' } as typeof base), null);
  });
});

describe('idempotency keys', () => {
  it('are scoped by event type', () => {
    assert.notEqual(idFromIdempotencyKey('a.b', 'k'), idFromIdempotencyKey('a.c', 'k'));
  });
});
