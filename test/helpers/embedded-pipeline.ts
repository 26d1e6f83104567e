import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig, type SluiceConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';

export interface EmbeddedPipeline {
  readonly url: string;
  readonly config: SluiceConfig;
  readonly services: Services;
  stop(): Promise<void>;
}

/**
 * A gateway and worker on the embedded bus and embedded PostgreSQL, in a fresh data
 * directory, listening on a free port: needs nothing but Node.
 */
export async function startEmbeddedPipeline(env: Record<string, string> = {}, parts: { worker?: boolean } = {}): Promise<EmbeddedPipeline> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-embedded-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const services = await runServices(config, silentLogger(), { gateway: true, worker: parts.worker ?? true, migrate: true });
  return {
    url: services.address ?? '',
    config,
    services,
    async stop() {
      await services.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
