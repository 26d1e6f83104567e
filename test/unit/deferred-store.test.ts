import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deferredStore } from '../../src/cli/deferred-store.js';
import { StoreUnavailableError, isConnectionError, type StorePort } from '../../src/store/index.js';

describe('a store that is still opening', () => {
  it('fails every call as an outage (StoreUnavailableError), then goes straight through once open', async () => {
    let open!: (store: StorePort) => void;
    const opening = new Promise<StorePort>((resolve) => {
      open = resolve;
    });
    const store = deferredStore({ kind: 'postgres', concurrentWrites: true }, opening);
    assert.equal(store.kind, 'postgres');
    assert.equal(store.concurrentWrites, true);
    const early = await store.getStatus('x').catch((error: unknown) => error);
    assert.ok(early instanceof StoreUnavailableError, String(early));
    assert.equal(isConnectionError(early), true, 'the worker pauses on it and never counts it against an event');
    open({ getStatus: async () => null } as unknown as StorePort);
    await opening;
    assert.equal(await store.getStatus('x'), null);
  });

  it('an unavailable store wrapped as a cause is still an outage', () => {
    assert.equal(isConnectionError(new Error('write failed', { cause: new StoreUnavailableError('starting') })), true);
    assert.equal(isConnectionError(new Error('the database is still starting')), false);
  });
});
