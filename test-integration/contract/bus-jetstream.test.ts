import { createJetStreamBus } from '../../src/bus/jetstream/index.js';
import { SHARED_NATS_URL, deleteStreams, uniqueNames } from '../../test/helpers/nats.js';
import { busContract } from '../../test/contract/bus-contract.js';

busContract('jetstream', async () => {
  const names = uniqueNames('bc');
  const bus = createJetStreamBus({
    connection: { servers: [SHARED_NATS_URL], connectAttempts: 3, connectDelayMs: 200 },
    streams: {
      stream: names.stream,
      subjectPrefix: names.prefix,
      streamMaxAgeMs: 3_600_000,
      streamMaxMsgs: -1,
      streamMaxBytes: -1,
      replicas: 1,
      duplicateWindowMs: 120_000,
    },
    publishTimeoutMs: 4000,
    workerConsumer: names.consumer,
  });
  return { bus, cleanup: () => deleteStreams(SHARED_NATS_URL, names.stream) };
});
