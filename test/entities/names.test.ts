import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qualifiedTable, quoteIdent } from '../../src/entities/index.js';

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
