import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { mergeOrderContract } from './merge-order-contract.js';

mergeOrderContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-merge-'));
  return { client: await createEmbeddedSqlClient({ dataDir: dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
