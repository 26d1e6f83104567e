import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { http } from '../helpers/pipeline.js';
import { neverIssued, sendEveryKind, startGateway, startGatewayProcess, unanswered } from '../helpers/lookup-scenario.js';

describe('lookups after a 202, across gateway restarts, with no worker (embedded bus and database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-lookup-'));
  const env = { PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers every accepted id after a stop and after a SIGKILL, and 404 for ids never issued', async () => {
    const first = await startGateway(loadConfig(env));
    const ids = await sendEveryKind(first.url, 'stopped', 20);
    await first.stop();

    const killed = await startGatewayProcess(env);
    ids.push(...(await sendEveryKind(killed.url, 'killed', 20)));
    await killed.kill();

    const next = await startGateway(loadConfig(env));
    try {
      assert.equal(ids.length, 200);
      assert.deepEqual(await unanswered(next.url, ids), []);
      for (const id of neverIssued()) {
        assert.equal((await http(`${next.url}/ingest/status/${id}`)).status, 404, id);
        assert.equal((await http(`${next.url}/events/${id}`)).status, 404, id);
      }
    } finally {
      await next.stop();
    }
  });
});
