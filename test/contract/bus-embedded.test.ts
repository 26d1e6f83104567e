import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBus } from '../../src/bus/embedded/index.js';
import { busContract } from './bus-contract.js';

busContract('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bus-'));
  const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 120_000 });
  return { bus, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
