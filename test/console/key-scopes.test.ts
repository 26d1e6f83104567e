import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyMay } from '../../console/src/key-scopes.js';

describe('console: what its key may do', () => {
  const key = (scopes: Array<'ingest' | 'read' | 'replay' | 'admin'>) => ({ open: false, name: 'k', scopes, types: null, rate_per_second: null });

  it('shows a view or button only for a scope the key has', () => {
    assert.equal(keyMay(key(['read']), 'read'), true);
    assert.equal(keyMay(key(['read']), 'replay'), false);
    assert.equal(keyMay(key(['ingest']), 'read'), false);
  });

  it('shows everything while the key is not known yet (the gateway still enforces)', () => {
    assert.equal(keyMay(null, 'replay'), true);
  });
});
