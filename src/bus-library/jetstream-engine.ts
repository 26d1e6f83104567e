import { openJetStreamLink, type Delivery, type JetStreamLink, type JetStreamLinkSettings } from '../bus/index.js';
import { SluiceError } from '../errors/index.js';
import type { BusEngine, ConsumerSpec, Deliver, RunningConsumer } from './engine.js';
import { buildEnvelope, toBusEvent } from './event-codec.js';
import { redeliveryDelayFor } from './retry-delay.js';
import type { PublishOptions, PublishResult } from './types.js';

export type JetStreamEngineSettings = JetStreamLinkSettings;

/** How long the server waits for an ack before it redelivers; a handler still running keeps it alive with `working()`. */
const ACK_WAIT_MS = 30_000;

/** The bus on NATS JetStream: the gateway's stream, wire format and publisher, the worker's consumer loop (`bus`'s `JetStreamLink`). */
export class JetStreamEngine implements BusEngine {
  readonly kind = 'jetstream' as const;
  private link: JetStreamLink | null = null;

  constructor(private readonly settings: JetStreamEngineSettings) {}

  async start(): Promise<void> {
    this.link = await openJetStreamLink(this.settings);
  }

  async publish(type: string, data: unknown, options: PublishOptions | undefined, id: string): Promise<PublishResult> {
    const { envelope } = buildEnvelope(type, data, options, id);
    if (this.link === null) throw new SluiceError('bus_unavailable', 'the bus is not connected');
    const stored = await this.link.publish(envelope);
    return { id, seq: stored.seq, duplicate: stored.duplicate };
  }

  async consume(spec: ConsumerSpec, deliver: Deliver): Promise<RunningConsumer> {
    const link = this.link;
    if (link === null) throw new SluiceError('bus_unavailable', 'the bus is not connected');
    let stopping = false;
    const handOver = async (batch: Delivery[]): Promise<void> => {
      for (const delivery of batch) {
        // Fetched ahead but never handled: back to the stream for the next member at once.
        if (stopping) delivery.nak(0);
        else await handOne(delivery, deliver);
      }
    };
    const consumer = await link.consume({ pattern: spec.pattern, durable: spec.durable, start: spec.start, ackWaitMs: ACK_WAIT_MS, holding: spec.prefetch }, handOver);
    return {
      name: consumer.name,
      stop: () => {
        stopping = true;
        return consumer.stop();
      },
    };
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close();
  }
}

/** Hands one event to the subscription; acks when it resolves, naks with the handler-failure curve when it throws. */
async function handOne(delivery: Delivery, deliver: Deliver): Promise<void> {
  const attempt = delivery.deliveryCount;
  // A slow handler must not be redelivered elsewhere meanwhile: tell the server it is still in hand.
  const keepAlive = setInterval(() => delivery.working(), ACK_WAIT_MS / 3);
  try {
    await deliver(toBusEvent(delivery.envelope, delivery.seq, attempt));
    delivery.ack();
  } catch (error) {
    // A plain NAK of the last delivered message makes the server rewind, and the redelivery
    // would count as attempt 1 again; any delay puts it on the redelivery queue, counted.
    delivery.nak(Math.max(1, redeliveryDelayFor(error, attempt)));
  } finally {
    clearInterval(keepAlive);
  }
}
