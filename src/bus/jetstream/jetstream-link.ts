import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { subjectFor, type EventEnvelope } from '../../envelope/index.js';
import type { Delivery, PublishAck } from '../port.js';
import { AckPublisher } from './ack-publisher.js';
import { BatchLoop } from './batch-loop.js';
import { connectToNats, type NatsConnectionSettings } from './connect.js';
import { dataTooLarge, messageTooLarge } from './event-size.js';
import { JetStreamDelivery } from './jetstream-delivery.js';
import { readConsumedMessage } from './message-reading.js';
import { API_CODE, isApiError, publishError } from './nats-errors.js';
import { ensureStream, eventsStreamConfig, type StreamSettings } from './stream-setup.js';
import { ensureSubscriberConsumer, type SubscriberConsumerSpec } from './subscriber-consumer.js';
import { encodeEnvelopeHeaders } from './wire.js';

export interface JetStreamLinkSettings {
  readonly connection: NatsConnectionSettings;
  readonly stream: StreamSettings;
  /**
   * Update an existing stream to `stream` (true when the settings come from Sluice's own
   * environment, as the gateway does). False: create the stream when missing, never change it.
   */
  readonly updateStream: boolean;
  readonly publishTimeoutMs: number;
}

export interface LinkConsumerSpec extends SubscriberConsumerSpec {
  /** Most messages held at once (in the handler and arriving). */
  readonly holding: number;
}

export interface LinkConsumer {
  readonly name: string;
  /** Stops pulling, waits for the batch in hand, hands back at once what was fetched ahead. */
  stop(): Promise<void>;
}

/** Handles one batch in order; settles each delivery (ack or nak) before it resolves. */
export type LinkBatchHandler = (batch: Delivery[]) => Promise<void>;

/**
 * The bus library's JetStream plumbing: the same connection, stream settings, publisher
 * (`AckPublisher`, the gateway's), wire format, consumer loop (`BatchLoop`, the worker's) and
 * error classes as the bus port's JetStream adapter, without the pipeline's parts (dead letters,
 * the lookup by id, the workers' consumer).
 */
export class JetStreamLink {
  private readonly acks: AckPublisher;
  private readonly payloadLimit: number;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly settings: JetStreamLinkSettings,
  ) {
    this.acks = new AckPublisher(nc, settings.publishTimeoutMs);
    this.payloadLimit = nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Connects and creates the stream (or brings it to the settings, with `updateStream`). */
  static async open(settings: JetStreamLinkSettings): Promise<JetStreamLink> {
    const nc = await connectToNats(settings.connection);
    try {
      const jsm = await jetstreamManager(nc, { timeout: settings.publishTimeoutMs });
      const config = eventsStreamConfig(settings.stream);
      if (settings.updateStream) {
        await ensureStream(jsm, config);
      } else {
        await jsm.streams.info(config.name).catch(async (error: unknown) => {
          if (isApiError(error, API_CODE.streamNotFound)) return jsm.streams.add(config);
          throw error;
        });
      }
      return new JetStreamLink(nc, jsm, settings);
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  /** Stores one event; rejects with SluiceError `event_too_large` or `bus_unavailable`, as the gateway's publish does. */
  async publish(envelope: EventEnvelope): Promise<PublishAck> {
    const headers = encodeEnvelopeHeaders(envelope);
    const tooLarge = dataTooLarge(envelope, this.payloadLimit) ?? messageTooLarge(envelope, headers, undefined, this.payloadLimit);
    if (tooLarge !== undefined) throw tooLarge;
    try {
      const ack = await this.acks.publish({ subject: subjectFor(this.settings.stream.subjectPrefix, envelope.type), data: envelope.data, headers });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw publishError(error, this.payloadLimit);
    }
  }

  /** Creates (or finds) the consumer and pulls from it through the consumer loop. */
  async consume(spec: LinkConsumerSpec, handler: LinkBatchHandler): Promise<LinkConsumer> {
    const place = this.settings.stream;
    const name = await ensureSubscriberConsumer(this.jsm, place, spec);
    const consumer = await jetstream(this.nc, { timeout: this.settings.publishTimeoutMs }).consumers.get(place.stream, name);
    const loop = new BatchLoop(consumer, {
      // Half the holding per batch: the next half arrives while the handler works through one.
      batchSize: Math.max(1, Math.ceil(spec.holding / 2)),
      holding: spec.holding,
      handler,
      toDelivery: (m) => {
        const { envelope, replay, problem } = readConsumedMessage(m, place);
        return new JetStreamDelivery(m, envelope, replay, problem);
      },
    });
    let stopped: Promise<void> | null = null;
    return {
      name,
      stop: () => {
        stopped ??= (async () => {
          await loop.stop();
          // Acks are fire-and-forget: make sure the server has them before a successor asks for more.
          await this.nc.flush().catch(() => undefined);
          if (spec.durable === null) await this.jsm.consumers.delete(place.stream, name).catch(() => undefined);
        })();
        return stopped;
      },
    };
  }

  /** Drains and closes the connection (stop the consumers first). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.acks.close();
      if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
    })();
    return this.closing;
  }
}
