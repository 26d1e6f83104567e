// Against the real NATS JetStream on 127.0.0.1:4222; each test has its own stream and subject prefix.
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createBus } from '../../src/bus-library/index.js';
import { busContract, type ContractEvents } from '../../test/bus-library/contract.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

busContract('jetstream bus', async () => {
  const suffix = randomBytes(6).toString('hex');
  const stream = `BUSLIB_${suffix}`;
  const bus = createBus<ContractEvents>({ kind: 'jetstream', url: NATS_URL, stream, subjectPrefix: `buslib_${suffix}` });
  await bus.ready();
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      const nc = await connect({ servers: NATS_URL });
      try {
        await (await jetstreamManager(nc)).streams.delete(stream);
      } finally {
        await nc.close();
      }
    },
  };
});
