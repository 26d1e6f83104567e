import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { EventEnvelope } from '../../envelope/index.js';
import { deadLetterSubjectFor, subjectFor } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type {
  BatchHandler,
  BusHealth,
  BusPort,
  ConsumeOptions,
  ConsumerHandle,
  ConsumerLag,
  FoundMessage,
  PublishAck,
  PublishRequest,
  StreamMessage,
  StreamState,
} from '../port.js';
import { AckPublisher, type BatchItem } from './ack-publisher.js';
import { BatchLoop } from './batch-loop.js';
import { connectToNats, type NatsConnectionSettings } from './connect.js';
import { deadLetterMessage, type GivenUp } from './dead-letter.js';
import { EventLookup } from './event-lookup.js';
import { dataTooLarge, messageTooLarge } from './event-size.js';
import { JetStreamDelivery } from './jetstream-delivery.js';
import { readConsumedMessage } from './message-reading.js';
import { API_CODE, isApiError, publishError } from './nats-errors.js';
import { readStream } from './stream-reader.js';
import { StreamSearch } from './stream-search.js';
import { deadLetterStreamConfig, ensureStream, eventsStreamConfig, retryWhileForming, type StreamSettings } from './stream-setup.js';
import { encodeEnvelopeHeaders } from './wire.js';
import { ensureDurableConsumer } from './worker-consumer.js';

export interface JetStreamBusOptions {
  readonly connection: NatsConnectionSettings;
  readonly streams: StreamSettings;
  /** Longest wait for a publish ack; past it the publish fails with `bus_unavailable`. */
  readonly publishTimeoutMs: number;
  /** Most consumers' messages waiting for ack at once (shared by all workers of a consumer). */
  readonly maxAckPending?: number;
  /** The workers' durable consumer: a lookup searches what it has not acknowledged (not in the database yet). */
  readonly workerConsumer: string;
  readonly onEvent?: (event: BusLogEvent) => void;
}

export type BusLogEvent =
  | { kind: 'connect-retry'; attempt: number; error: string }
  | { kind: 'stream-setup-retry'; attempt: number; error: string }
  | { kind: 'disconnected'; server: string }
  | { kind: 'reconnected'; server: string }
  | { kind: 'consumer-error'; error: string };

const DEFAULT_MAX_ACK_PENDING = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** The JetStream adapter of the bus port. */
export function createJetStreamBus(options: JetStreamBusOptions): BusPort {
  return new JetStreamBus(options);
}

/** What a started bus holds; absent before `start()`. */
interface Started {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly acks: AckPublisher;
  readonly lookup: EventLookup;
}

class JetStreamBus implements BusPort {
  readonly kind = 'jetstream' as const;
  private started: Started | undefined;
  private connected = false;
  private payloadLimit = 1024 * 1024;
  private readonly consumers = new Set<ConsumerHandle>();

  constructor(private readonly options: JetStreamBusOptions) {}

  async start(): Promise<void> {
    const { onEvent, publishTimeoutMs, streams } = this.options;
    const nc = await connectToNats(this.options.connection, (attempt, error) => onEvent?.({ kind: 'connect-retry', attempt, error: error.message }));
    this.connected = true;
    this.payloadLimit = nc.info?.max_payload ?? this.payloadLimit;
    // A cluster still forming has no meta leader yet: stream setup is retried until it has.
    const jsm = await retryWhileForming(
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: publishTimeoutMs });
        await ensureStream(jsm, eventsStreamConfig(streams));
        await ensureStream(jsm, deadLetterStreamConfig(streams));
        return jsm;
      },
      { onRetry: (attempt, error) => onEvent?.({ kind: 'stream-setup-retry', attempt, error: error.message }) },
    );
    const js = jetstream(nc, { timeout: publishTimeoutMs });
    const search = new StreamSearch(js, jsm, { ...streams, consumer: this.options.workerConsumer, timeoutMs: publishTimeoutMs }, publishTimeoutMs);
    const lookup = new EventLookup(nc, jsm, search, streams, publishTimeoutMs);
    this.started = { nc, js, jsm, acks: new AckPublisher(nc, publishTimeoutMs), lookup };
    void this.watchStatus(nc);
    lookup.listen();
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.options.onEvent?.({ kind: 'disconnected', server: status.server });
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.options.onEvent?.({ kind: 'reconnected', server: status.server });
      }
    }
  }

  private running(): Started {
    if (this.started === undefined) throw new Error('the JetStream bus is not started');
    return this.started;
  }

  /** The same as `running()`, for the calls whose failure the port says is `bus_unavailable`. */
  private available(): Started {
    if (this.started === undefined) throw new SluiceError('bus_unavailable', 'the JetStream bus is not started', { retryAfterSeconds: 1 });
    return this.started;
  }

  /** Why an event cannot be published now (not connected, larger than the server takes), if it cannot. */
  private refusal(envelope: EventEnvelope): SluiceError | undefined {
    if (!this.connected) {
      return new SluiceError('bus_unavailable', 'NATS is not connected; the event was not stored. Retry shortly.', { retryAfterSeconds: 1 });
    }
    return dataTooLarge(envelope, this.payloadLimit);
  }

  async publish(request: PublishRequest): Promise<PublishAck> {
    const { acks, lookup } = this.running();
    const { envelope, replay } = request;
    const refusal = this.refusal(envelope);
    if (refusal !== undefined) throw refusal;
    const headers = encodeEnvelopeHeaders(envelope, replay);
    const tooLarge = messageTooLarge(envelope, headers, replay, this.payloadLimit);
    if (tooLarge !== undefined) throw tooLarge;
    try {
      const ack = await acks.publish({ subject: subjectFor(this.options.streams.subjectPrefix, envelope.type), data: envelope.data, headers });
      if (replay === undefined) lookup.remember(envelope.id, ack.seq);
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw publishError(error, this.payloadLimit);
    }
  }

  /**
   * The same checks and answers as `publish` for each request, with the batch's messages
   * written together and awaited together (see `AckPublisher.publishMany`).
   */
  async publishMany(requests: readonly PublishRequest[]): Promise<Array<PublishAck | Error>> {
    const started = this.started;
    if (started === undefined) return requests.map(() => new Error('the JetStream bus is not started'));
    const results = new Array<PublishAck | Error>(requests.length);
    const items: BatchItem[] = [];
    const positions: number[] = [];
    for (let i = 0; i < requests.length; i++) {
      const item = this.batchItem(requests[i]!);
      if (item instanceof Error) {
        results[i] = item;
        continue;
      }
      items.push(item);
      positions.push(i);
    }
    if (items.length === 0) return results;
    const answers = await started.acks.publishMany(items);
    for (let k = 0; k < answers.length; k++) {
      const i = positions[k]!;
      const answer = answers[k]!;
      if (answer instanceof Error) {
        results[i] = publishError(answer, this.payloadLimit);
        continue;
      }
      const { envelope, replay } = requests[i]!;
      if (replay === undefined) started.lookup.remember(envelope.id, answer.seq);
      results[i] = { seq: answer.seq, duplicate: answer.duplicate };
    }
    return results;
  }

  /** A request as the message to write, or why it cannot be published. */
  private batchItem({ envelope, replay }: PublishRequest): BatchItem | Error {
    const refusal = this.refusal(envelope);
    if (refusal !== undefined) return refusal;
    try {
      const headers = encodeEnvelopeHeaders(envelope, replay);
      return messageTooLarge(envelope, headers, replay, this.payloadLimit) ?? { subject: subjectFor(this.options.streams.subjectPrefix, envelope.type), data: envelope.data, headers };
    } catch (error) {
      return error as Error;
    }
  }

  async publishDeadLetter(delivery: GivenUp, reason: string): Promise<void> {
    const { js } = this.running();
    const { msgId, headers, data } = deadLetterMessage(delivery, reason, this.payloadLimit);
    try {
      await js.publish(deadLetterSubjectFor(this.options.streams.subjectPrefix, delivery.envelope.type), data, {
        msgID: msgId,
        headers,
        timeout: this.options.publishTimeoutMs,
      });
    } catch (error) {
      throw publishError(error, this.payloadLimit);
    }
  }

  async consume(options: ConsumeOptions, handler: BatchHandler): Promise<ConsumerHandle> {
    const { js, jsm } = this.running();
    const streams = this.options.streams;
    const wanted = await ensureDurableConsumer(jsm, streams, options, this.options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING);
    const consumer = await js.consumers.get(streams.stream, options.durable);
    const onEvent = this.options.onEvent;
    const loop = new BatchLoop(consumer, {
      batchSize: options.batchSize,
      gatherMs: options.gatherMs ?? 0,
      handler,
      toDelivery: (m) => {
        const { envelope, replay, problem } = readConsumedMessage(m, streams);
        return new JetStreamDelivery(m, envelope, replay, problem);
      },
      ...(wanted !== undefined ? { wanted } : {}),
      ...(onEvent !== undefined ? { onError: (error: Error) => onEvent({ kind: 'consumer-error', error: error.message }) } : {}),
    });
    const handle: ConsumerHandle = {
      stop: async (stopOptions) => {
        this.consumers.delete(handle);
        await loop.stop(stopOptions?.timeoutMs ?? STOP_TIMEOUT_MS);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  async *readRange(fromSeq: number, toSeq: number, pageSize: number): AsyncIterable<StreamMessage[]> {
    const { js, jsm } = this.available();
    const streams = this.options.streams;
    const pages = readStream(js, jsm, {
      stream: streams.stream,
      filterSubject: `${streams.subjectPrefix}.>`,
      start: { seq: Math.max(1, fromSeq) },
      endSeq: toSeq,
      headersOnly: false,
      pageSize,
      timeoutMs: this.options.publishTimeoutMs,
    });
    try {
      for await (const page of pages) {
        const messages: StreamMessage[] = [];
        for (const m of page) {
          if (m.seq > toSeq) break;
          const { envelope, replay, problem } = readConsumedMessage(m, streams);
          messages.push({
            envelope,
            seq: replay?.originalSeq ?? m.seq,
            streamSeq: m.seq,
            ...(replay !== undefined ? { replayId: replay.replayId } : {}),
            ...(problem !== undefined ? { problem } : {}),
          });
        }
        if (messages.length > 0) yield messages;
        if (messages.length < page.length || page[page.length - 1]!.seq >= toSeq) return;
      }
    } catch (error) {
      throw error instanceof SluiceError ? error : new SluiceError('bus_unavailable', `the stream could not be read (${(error as Error).message})`, { cause: error, retryAfterSeconds: 1 });
    }
  }

  async lookup(id: string): Promise<FoundMessage | null> {
    if (this.started === undefined || !this.connected) {
      throw new SluiceError('bus_unavailable', `NATS is not connected; cannot tell whether event ${id} is on the stream. Retry shortly.`, { retryAfterSeconds: 1 });
    }
    return this.started.lookup.find(id);
  }

  async consumerLag(durable: string): Promise<ConsumerLag | null> {
    if (this.started === undefined || !this.connected) return null;
    try {
      const info = await this.started.jsm.consumers.info(this.options.streams.stream, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq, delivered: info.delivered.stream_seq };
    } catch {
      return null;
    }
  }

  async deleteConsumer(durable: string): Promise<void> {
    if (this.started === undefined) return;
    try {
      await this.started.jsm.consumers.delete(this.options.streams.stream, durable);
    } catch (error) {
      if (isApiError(error, API_CODE.consumerNotFound)) return;
      throw error;
    }
  }

  async streamState(): Promise<StreamState | null> {
    const info = await this.available().jsm.streams.info(this.options.streams.stream);
    return { name: info.config.name, created: info.created, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, messages: info.state.messages };
  }

  async continueSequenceAfter(seq: number): Promise<void> {
    // A purge up to a sequence past the last one leaves the stream empty with that as its next sequence.
    await this.available().jsm.streams.purge(this.options.streams.stream, { seq: seq + 1 });
  }

  maxPayload(): number {
    return this.payloadLimit;
  }

  health(): BusHealth {
    return { kind: 'jetstream', connected: this.connected };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    const started = this.started;
    if (started !== undefined) {
      started.lookup.close();
      started.acks.close();
      if (!started.nc.isClosed()) await started.nc.drain().catch(() => started.nc.close());
    }
    this.connected = false;
  }
}
