import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qualifiedTable, quoteIdent, typePatternsOverlap } from '../../src/entities/index.js';

describe('typePatternsOverlap', () => {
  const overlapping: [string, string][] = [
    ['order.*', 'order.created'],
    ['order.*', 'order.>'],
    ['order.>', 'order.created.v2'],
    ['*.created', 'order.*'],
    ['>', 'anything'],
    ['order.created', 'order.created'],
    ['*.*', 'a.b'],
  ];
  const apart: [string, string][] = [
    ['order.*', 'order.created.v2'],
    ['order.created', 'order.updated'],
    ['order.>', 'order'],
    ['order.*', 'customer.*'],
    ['a.*', 'a'],
    ['*.b.c', 'x.y.>'],
  ];
  it('finds patterns one event type could match both ways round', () => {
    for (const [a, b] of overlapping) {
      assert.equal(typePatternsOverlap(a, b), true, `${a} / ${b}`);
      assert.equal(typePatternsOverlap(b, a), true, `${b} / ${a}`);
    }
  });
  it('keeps apart patterns no event type matches both', () => {
    for (const [a, b] of apart) {
      assert.equal(typePatternsOverlap(a, b), false, `${a} / ${b}`);
      assert.equal(typePatternsOverlap(b, a), false, `${b} / ${a}`);
    }
  });
});

describe('identifier quoting', () => {
  it('always quotes and doubles embedded quotes', () => {
    assert.equal(quoteIdent('orders'), '"orders"');
    assert.equal(quoteIdent('Order'), '"Order"');
    assert.equal(quoteIdent('a"; DROP TABLE x; --'), '"a""; DROP TABLE x; --"');
    assert.throws(() => quoteIdent('a\u0000b'), /NUL/);
  });
  it('qualifies tables with their schema', () => {
    assert.equal(qualifiedTable({ table: { schema: 'public', name: 'orders' } }), '"public"."orders"');
    assert.equal(qualifiedTable({ table: { schema: 'an"alytics', name: 'o' } }), '"an""alytics"."o"');
  });
});
