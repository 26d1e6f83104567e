import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runServices } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { powerLossScenario } from '../helpers/power-loss-scenario.js';

describe("a power cut that takes the embedded database's last commits (embedded bus and database)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-power-'));
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    SLUICE_DATA_DIR: dataDir,
    SLUICE_ENTITIES: fileURLToPath(new URL('../../examples/sluice.entities.yaml', import.meta.url)),
    LOG_LEVEL: 'silent',
  };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes every acknowledged event again at start, once', { timeout: 180_000 }, async () => {
    const result = await powerLossScenario({
      async start() {
        const services = await runServices(loadConfig(env), silentLogger(), { gateway: true, worker: true, migrate: true });
        return { url: services.address!, stop: () => services.stop() };
      },
      async withSql(fn) {
        const sql = await createEmbeddedSqlClient({ dataDir });
        try {
          return await fn(async (text, params) => (await sql.query(text, params)).rows as never);
        } finally {
          await sql.close();
        }
      },
    });
    assert.deepEqual(result, { lost: 60, total: 120 });
  });
});
