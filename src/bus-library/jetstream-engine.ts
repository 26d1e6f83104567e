import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectToNats, type NatsConnectionSettings } from '../bus/jetstream/index.js';
import { ensureStream, eventsStreamConfig, type StreamSettings } from '../bus/jetstream/index.js';
import { HEADER, decodeEnvelope, envelopeHeaders, rawContentType } from '../bus/jetstream/index.js';
import { subjectFor, type EventEnvelope } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import type { BusEngine, ConsumerSpec, Deliver, RunningConsumer } from './engine.js';
import { toBusEvent } from './event-codec.js';
import { redeliveryDelayFor } from './retry-delay.js';

export interface JetStreamEngineSettings {
  readonly connection: NatsConnectionSettings;
  readonly stream: StreamSettings;
  /**
   * Update an existing stream to `stream` (true when the settings come from Sluice's own
   * environment, as the gateway does). False: create the stream when missing, never change it.
   */
  readonly updateStream: boolean;
  readonly publishTimeoutMs: number;
}

const NANOS_PER_MS = 1_000_000;
/** How long the server waits for an ack before it redelivers; a handler still running keeps it alive with `working()`. */
const ACK_WAIT_MS = 30_000;
/** A subscription's own consumer disappears this long after its process stopped pulling. */
const EPHEMERAL_INACTIVE_MS = 60_000;
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NOT_FOUND = 10059;

/** The bus on NATS JetStream: the gateway's stream, its wire format, pull consumers. */
export class JetStreamEngine implements BusEngine {
  readonly kind = 'jetstream' as const;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;

  constructor(private readonly settings: JetStreamEngineSettings) {}

  async start(): Promise<void> {
    this.nc = await connectToNats(this.settings.connection);
    try {
      this.jsm = await jetstreamManager(this.nc, { timeout: this.settings.publishTimeoutMs });
      this.js = jetstream(this.nc, { timeout: this.settings.publishTimeoutMs });
      const config = eventsStreamConfig(this.settings.stream);
      if (this.settings.updateStream) {
        await ensureStream(this.jsm, config);
      } else {
        await this.jsm.streams.info(config.name).catch(async (error: unknown) => {
          if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return this.jsm!.streams.add(config);
          throw error;
        });
      }
    } catch (error) {
      await this.nc.close().catch(() => undefined);
      this.nc = null;
      throw error;
    }
  }

  async publish(envelope: EventEnvelope): Promise<{ seq: number; duplicate: boolean }> {
    const js = this.js;
    if (js === null) throw new SluiceError('bus_unavailable', 'the bus is not connected');
    try {
      const ack = await js.publish(subjectFor(this.settings.stream.subjectPrefix, envelope.type), envelope.data, {
        headers: envelopeHeaders(envelope),
        timeout: this.settings.publishTimeoutMs,
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (/max.?payload|payload.*(too large|exceed)/i.test(message)) {
        throw new SluiceError('event_too_large', `the ${envelope.type} event is larger than the NATS server's max_payload`, { cause: error });
      }
      throw new SluiceError('bus_unavailable', `JetStream did not store the ${envelope.type} event: ${message}`, { cause: error, retryAfterSeconds: 1 });
    }
  }

  async consume(spec: ConsumerSpec, deliver: Deliver): Promise<RunningConsumer> {
    const jsm = this.jsm;
    const js = this.js;
    if (jsm === null || js === null) throw new SluiceError('bus_unavailable', 'the bus is not connected');
    const stream = this.settings.stream.stream;
    const name = await this.ensureConsumer(jsm, spec);
    const consumer = await js.consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: spec.prefetch });
    const loop = new ConsumeLoop(messages, deliver, this.settings.stream.subjectPrefix);
    const done = loop.run();
    let stopped: Promise<void> | null = null;
    return {
      name,
      stop: () => {
        stopped ??= (async () => {
          loop.stop();
          await done;
          // Acks are fire-and-forget: make sure the server has them before a successor asks for more.
          await this.nc?.flush().catch(() => undefined);
          if (spec.durable === null) await jsm.consumers.delete(stream, name).catch(() => undefined);
        })();
        return stopped;
      },
    };
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    this.js = null;
    this.jsm = null;
    if (nc !== null && !nc.isClosed()) await nc.drain().catch(() => undefined);
  }

  /** Creates the consumer, or finds the durable one that exists (and points it at the pattern). Returns its name. */
  private async ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<string> {
    const stream = this.settings.stream.stream;
    const filter = subjectFor(this.settings.stream.subjectPrefix, spec.pattern);
    const config: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_MS * NANOS_PER_MS,
      max_deliver: -1,
      filter_subject: filter,
      ...(spec.start.kind === 'seq'
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, spec.start.seq) }
        : spec.start.kind === 'time'
          ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: spec.start.time.toISOString() }
          : { deliver_policy: DeliverPolicy.New }),
    };
    if (spec.durable === null) {
      const info = await jsm.consumers.add(stream, { ...config, inactive_threshold: EPHEMERAL_INACTIVE_MS * NANOS_PER_MS });
      return info.name;
    }
    const durable = spec.durable;
    const existing = await consumerInfo(jsm, stream, durable);
    if (existing === null) {
      try {
        await jsm.consumers.add(stream, { ...config, durable_name: durable });
      } catch (error) {
        // Another member of the group created it first with other start settings: use theirs.
        if ((await consumerInfo(jsm, stream, durable)) === null) throw error;
      }
      return durable;
    }
    if (existing.config.filter_subject !== filter) {
      await jsm.consumers.update(stream, durable, { filter_subject: filter });
    }
    return durable;
  }
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string) {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND) return null;
    throw error;
  }
}

/** Hands pulled messages to the subscription one at a time; acks, naks, and hands back what is left on stop. */
class ConsumeLoop {
  private stopping = false;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly deliver: Deliver,
    private readonly subjectPrefix: string,
  ) {}

  stop(): void {
    this.stopping = true;
    this.messages.stop();
  }

  async run(): Promise<void> {
    try {
      for await (const message of this.messages) {
        if (this.stopping) {
          // Fetched ahead but never handled: back to the stream for the next member at once.
          message.nak();
          continue;
        }
        await this.handle(message);
      }
    } catch {
      // The consumer or the stream went away (deleted, or the connection closed): the subscription ends.
    }
  }

  private async handle(message: JsMsg): Promise<void> {
    const decoded = decodeEnvelope(message.headers, message.data, message.subject, this.subjectPrefix);
    const envelope = decoded?.envelope ?? rawEnvelope(message, this.subjectPrefix);
    const seq = decoded?.replay?.originalSeq ?? message.seq;
    const attempt = message.info.deliveryCount;
    // A slow handler must not be redelivered elsewhere meanwhile: tell the server it is still in hand.
    const keepAlive = setInterval(() => message.working(), ACK_WAIT_MS / 3);
    try {
      await this.deliver(toBusEvent(envelope, seq, attempt));
      message.ack();
    } catch (error) {
      // A plain NAK of the last delivered message makes the server rewind, and the redelivery
      // would count as attempt 1 again; any delay puts it on the redelivery queue, counted.
      message.nak(Math.max(1, redeliveryDelayFor(error, attempt)));
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/** A message a plain NATS client put on the stream without Sluice's headers. */
function rawEnvelope(message: JsMsg, subjectPrefix: string): EventEnvelope {
  const at = new Date(Math.floor(Number(message.info.timestampNanos) / NANOS_PER_MS)).toISOString();
  const msgId = message.headers?.get(HEADER.msgId);
  return {
    id: msgId !== undefined && msgId !== '' ? msgId : `${message.info.stream}:${message.seq}`,
    type: message.subject.slice(subjectPrefix.length + 1),
    source: '/sluice',
    time: at,
    receivedAt: at,
    data: message.data,
    dataContentType: rawContentType(message.headers?.get(HEADER.contentType)),
  };
}
