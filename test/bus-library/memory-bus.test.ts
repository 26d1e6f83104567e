import { createBus } from '../../src/bus-library/index.js';
import { busContract, type ContractEvents } from './contract.js';

busContract('memory bus', async () => {
  const bus = createBus<ContractEvents>({ kind: 'memory' });
  return { bus, cleanup: () => bus.close() };
});
