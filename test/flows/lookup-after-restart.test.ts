import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { acceptAcrossRestarts, assertNeverIssuedUnknown, unanswered } from '../helpers/lookup-scenario.js';

describe('lookups after a 202, across gateway restarts, with no worker (embedded bus and database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-lookup-'));
  const env = { PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers every accepted id after a stop and after a SIGKILL, and 404 for ids never issued', async () => {
    const { ids, next } = await acceptAcrossRestarts(env);
    try {
      assert.deepEqual(await unanswered(next.url, ids), []);
      await assertNeverIssuedUnknown(next.url);
    } finally {
      await next.stop();
    }
  });
});
