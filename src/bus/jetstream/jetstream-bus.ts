import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { EventEnvelope } from '../../envelope/index.js';
import { deadLetterSubjectFor, subjectFor, typeMatches } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type {
  BatchHandler,
  BusHealth,
  BusPort,
  ConsumeOptions,
  ConsumerHandle,
  ConsumerLag,
  Delivery,
  FoundMessage,
  PublishAck,
  PublishRequest,
  ReplayMark,
  StreamMessage,
  StreamState,
} from '../port.js';
import { RecentIds } from '../recent-ids.js';
import { AckPublisher, type BatchItem } from './ack-publisher.js';
import { connectToNats, type NatsConnectionSettings } from './connect.js';
import { deadLetterStreamConfig, ensureStream, eventsStreamConfig, retryWhileForming, type StreamSettings } from './stream-setup.js';
import { rawEnvelope, withStoredId } from './raw-message.js';
import { readStream } from './stream-reader.js';
import { StreamSearch } from './stream-search.js';
import { HEADER, decodeEnvelope, type DecodedMessage, decodeEnvelopeFromBlock, encodeEnvelopeHeaders, envelopeHeaders, rawHeaderBlock } from './wire.js';

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

const RECENT_IDS = 200_000;
/**
 * Bytes a replay's headers add to an event's: `sluice-replay-seq`, `sluice-replay-id` and the
 * longer message id come to about 140, `sluice-replay-for` (a replay for one subscription) about
 * 20 more than its name. Kept free at publish so a replay always fits.
 */
const REPLAY_HEADER_ROOM = 256;
const LOOKUP_TIMEOUT_MS = 300;

/** Waits (up to 10 s) until a replicated consumer has elected its leader, so the first pull is not lost. */
async function waitForConsumerLeader(jsm: JetStreamManager, stream: string, durable: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
    if (info !== undefined && (info.cluster === undefined || (info.cluster.leader ?? '') !== '')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The JetStream adapter of the bus port. */
export function createJetStreamBus(options: JetStreamBusOptions): BusPort {
  return new JetStreamBus(options);
}

class JetStreamBus implements BusPort {
  readonly kind = 'jetstream' as const;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private connected = false;
  private payloadLimit = 1024 * 1024;
  private readonly recent = new RecentIds(RECENT_IDS);
  private lookupSubscription: Subscription | undefined;
  private readonly consumers = new Set<ConsumerHandle>();
  private readonly lookupSubject: string;
  private acks: AckPublisher | undefined;
  private search: StreamSearch | undefined;

  constructor(private readonly options: JetStreamBusOptions) {
    this.lookupSubject = `_SLUICE.${options.streams.stream}.lookup`;
  }

  async start(): Promise<void> {
    const nc = await connectToNats(this.options.connection, (attempt, error) =>
      this.options.onEvent?.({ kind: 'connect-retry', attempt, error: error.message }),
    );
    this.nc = nc;
    this.connected = true;
    this.payloadLimit = nc.info?.max_payload ?? this.payloadLimit;
    // A cluster still forming has no meta leader yet: stream setup is retried until it has.
    this.jsm = await retryWhileForming(
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: this.options.publishTimeoutMs });
        await ensureStream(jsm, eventsStreamConfig(this.options.streams));
        await ensureStream(jsm, deadLetterStreamConfig(this.options.streams));
        return jsm;
      },
      { onRetry: (attempt, error) => this.options.onEvent?.({ kind: 'stream-setup-retry', attempt, error: error.message }) },
    );
    this.js = jetstream(nc, { timeout: this.options.publishTimeoutMs });
    this.acks = new AckPublisher(nc, this.options.publishTimeoutMs);
    this.search = new StreamSearch(
      this.js,
      this.jsm,
      { ...this.options.streams, consumer: this.options.workerConsumer, timeoutMs: this.options.publishTimeoutMs },
      this.options.publishTimeoutMs,
    );
    void this.watchStatus(nc);
    this.lookupSubscription = nc.subscribe(this.lookupSubject, {
      callback: (_error, msg) => {
        const seq = this.recent.seqOf(msg.string());
        if (seq !== undefined) msg.respond(String(seq));
      },
    });
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

  private client(): JetStreamClient {
    if (this.js === undefined) throw new Error('the JetStream bus is not started');
    return this.js;
  }

  /** Why an event cannot be published now (not connected, larger than the server takes), if it cannot. */
  private refusal(envelope: EventEnvelope): SluiceError | undefined {
    if (!this.connected) {
      return new SluiceError('bus_unavailable', 'NATS is not connected; the event was not stored. Retry shortly.', { retryAfterSeconds: 1 });
    }
    if (envelope.data.byteLength > this.payloadLimit) {
      return new SluiceError('event_too_large', `the event is ${envelope.data.byteLength} bytes; the NATS server takes at most ${this.payloadLimit}`);
    }
    return undefined;
  }

  /**
   * The server counts headers and data against max_payload. An event is taken only if it would
   * still fit as a replay, whose headers are longer (REPLAY_HEADER_ROOM), so every accepted
   * event can be replayed.
   */
  private tooLarge(envelope: EventEnvelope, headers: Uint8Array, replay: ReplayMark | undefined): SluiceError | undefined {
    const size = headers.byteLength + envelope.data.byteLength + (replay === undefined ? REPLAY_HEADER_ROOM : 0);
    if (size <= this.payloadLimit) return undefined;
    return new SluiceError(
      'event_too_large',
      `the event is ${envelope.data.byteLength} bytes of data and ${headers.byteLength} of attributes; the NATS server takes at most ${this.payloadLimit} in all, ${REPLAY_HEADER_ROOM} of them kept for a replay's headers`,
    );
  }

  async publish(request: PublishRequest): Promise<PublishAck> {
    this.client();
    const acks = this.acks!;
    const { envelope, replay } = request;
    const refusal = this.refusal(envelope);
    if (refusal !== undefined) throw refusal;
    const headers = encodeEnvelopeHeaders(envelope, replay);
    const tooLarge = this.tooLarge(envelope, headers, replay);
    if (tooLarge !== undefined) throw tooLarge;
    try {
      const ack = await acks.publish({ subject: subjectFor(this.options.streams.subjectPrefix, envelope.type), data: envelope.data, headers });
      if (replay === undefined) this.recent.remember(envelope.id, ack.seq);
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
    const acks = this.acks;
    if (acks === undefined) return requests.map(() => new Error('the JetStream bus is not started'));
    const results = new Array<PublishAck | Error>(requests.length);
    const items: BatchItem[] = [];
    const positions: number[] = [];
    for (let i = 0; i < requests.length; i++) {
      const { envelope, replay } = requests[i]!;
      const refusal = this.refusal(envelope);
      if (refusal !== undefined) {
        results[i] = refusal;
        continue;
      }
      try {
        const headers = encodeEnvelopeHeaders(envelope, replay);
        const tooLarge = this.tooLarge(envelope, headers, replay);
        if (tooLarge !== undefined) {
          results[i] = tooLarge;
          continue;
        }
        items.push({ subject: subjectFor(this.options.streams.subjectPrefix, envelope.type), data: envelope.data, headers });
      } catch (error) {
        results[i] = error as Error;
        continue;
      }
      positions.push(i);
    }
    if (items.length === 0) return results;
    const answers = await acks.publishMany(items);
    for (let k = 0; k < answers.length; k++) {
      const i = positions[k]!;
      const answer = answers[k]!;
      if (answer instanceof Error) {
        results[i] = publishError(answer, this.payloadLimit);
        continue;
      }
      const { envelope, replay } = requests[i]!;
      if (replay === undefined) this.recent.remember(envelope.id, answer.seq);
      results[i] = { seq: answer.seq, duplicate: answer.duplicate };
    }
    return results;
  }

  /**
   * A dead letter always fits the server's max_payload: when the event's data with the dead
   * letter's headers (the reason adds up to 1000 bytes) would not, the data is left out and
   * `sluice-dlq-data-omitted` says how large it was; the data stays in the stream at
   * `sluice-dlq-stream-seq` and in the archive, from where a replay re-delivers it.
   */
  async publishDeadLetter(delivery: { envelope: EventEnvelope; seq: number; streamSeq?: number }, reason: string): Promise<void> {
    const js = this.client();
    const headers = deadLetterHeaders(delivery.envelope);
    // One message id per message given up on: a retried batch does not dead-letter it twice, a replay that fails again does.
    const msgId = `${delivery.envelope.id}:dlq:${delivery.streamSeq ?? delivery.seq}`;
    headers.set(HEADER.msgId, msgId);
    headers.set(HEADER.deadLetterReason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
    headers.set(HEADER.deadLetterSeq, String(delivery.seq));
    headers.set(HEADER.deadLetterStreamSeq, String(delivery.streamSeq ?? delivery.seq));
    let data = delivery.envelope.data;
    if (encodedLength(headers) + data.byteLength > this.payloadLimit) {
      headers.set(HEADER.deadLetterDataOmitted, String(data.byteLength));
      data = new Uint8Array(0);
    }
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
    const js = this.client();
    const jsm = this.jsm!;
    const { stream, subjectPrefix } = this.options.streams;
    const filter = options.types?.length === 1 ? subjectFor(subjectPrefix, options.types[0]!) : `${subjectPrefix}.>`;
    const config = {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      ...(options.startAt !== undefined ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.startAt.toISOString() } : { deliver_policy: DeliverPolicy.All }),
      ack_wait: options.ackWaitMs * 1_000_000,
      max_deliver: -1,
      max_ack_pending: this.options.maxAckPending ?? 20_000,
      filter_subject: filter,
    };
    try {
      await jsm.consumers.add(stream, config);
    } catch (error) {
      // It exists with other settings: bring it to ours (filter and policy changes are refused by the server, loudly).
      if (error instanceof JetStreamApiError) {
        const { durable_name: _name, deliver_policy: _deliver, opt_start_time: _start, ...update } = config as typeof config & { opt_start_time?: string };
        await jsm.consumers.update(stream, options.durable, update);
      } else {
        throw error;
      }
    }
    await waitForConsumerLeader(jsm, stream, options.durable);
    const consumer = await js.consumers.get(stream, options.durable);
    // nats-server 2.9 takes one filter subject per consumer: several patterns are filtered here.
    const patterns = options.types !== undefined && options.types.length > 1 ? options.types : undefined;
    const wanted = patterns === undefined ? undefined : (m: JsMsg) => patterns.some((p) => typeMatches(p, m.subject.slice(subjectPrefix.length + 1)));
    const loop = new BatchLoop(consumer, options, handler, (m) => this.delivery(m), this.options.onEvent, wanted);
    const handle: ConsumerHandle = {
      stop: async (stopOptions) => {
        this.consumers.delete(handle);
        await loop.stop(stopOptions?.timeoutMs ?? 10_000);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /**
   * A consumed message as a delivery, read tolerantly: a message published straight to NATS
   * may lack Sluice's headers (archived as a raw message), its time of receipt (the stream's
   * time of storing it is taken), or carry a `ce-id` that is no UUID (the id is derived from
   * the stream and sequence, the producer's id kept as `originid`). One whose headers cannot
   * be read at all is handed over with its `problem`, to be settled as failed on its own.
   */
  private delivery(m: JsMsg): Delivery {
    const { envelope, replay, problem } = this.decode(m);
    return new JetStreamDelivery(m, envelope, replay, problem);
  }

  /** The event a consumed message carries, read tolerantly (see `delivery`). */
  private decode(m: JsMsg): DecodedMessage {
    const { subjectPrefix, stream } = this.options.streams;
    const storedAt = () => storedTime(m);
    const raw = (): EventEnvelope => rawEnvelope(
        { subject: m.subject, seq: m.seq, data: m.data, storedAtMs: Math.floor(Number(m.info.timestampNanos) / 1e6), contentType: m.headers?.get(HEADER.contentType) },
        stream,
        subjectPrefix,
      );
    let decoded;
    try {
      const block = rawHeaderBlock(m);
      decoded = block !== undefined ? decodeEnvelopeFromBlock(block, m.data, m.subject, subjectPrefix, storedAt) : decodeEnvelope(m.headers, m.data, m.subject, subjectPrefix, storedAt);
    } catch (error) {
      return { envelope: raw(), problem: `the message could not be read as an event: ${(error as Error).message}` };
    }
    if (decoded === null) return { envelope: raw() };
    const { envelope, replay, problem } = decoded;
    const read = {
      envelope: withStoredId(envelope, stream, replay?.originalSeq ?? m.seq),
      ...(replay !== undefined ? { replay } : {}),
    };
    return problem === undefined ? read : { ...read, problem: `the message could not be read as an event: ${problem}` };
  }

  async *readRange(fromSeq: number, toSeq: number, pageSize: number): AsyncIterable<StreamMessage[]> {
    if (this.js === undefined || this.jsm === undefined) throw new SluiceError('bus_unavailable', 'the JetStream bus is not started', { retryAfterSeconds: 1 });
    const { stream, subjectPrefix } = this.options.streams;
    const pages = readStream(this.js, this.jsm, {
      stream,
      filterSubject: `${subjectPrefix}.>`,
      start: { seq: Math.max(1, fromSeq) },
      headersOnly: false,
      pageSize,
      timeoutMs: this.options.publishTimeoutMs,
    });
    try {
      for await (const page of pages) {
        const messages: StreamMessage[] = [];
        for (const m of page) {
          if (m.seq > toSeq) break;
          const { envelope, replay, problem } = this.decode(m);
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

  /**
   * This gateway's memory of the ids it issued first (no request at all), then the other
   * gateways' (one request), then a search of the stream above the workers' floor: an accepted
   * event is found whatever the workers' lag and however often gateways restarted.
   */
  async lookup(id: string): Promise<FoundMessage | null> {
    const search = this.search;
    if (this.nc === undefined || this.jsm === undefined || search === undefined || !this.connected) {
      throw new SluiceError('bus_unavailable', `NATS is not connected; cannot tell whether event ${id} is on the stream. Retry shortly.`, { retryAfterSeconds: 1 });
    }
    const known = this.recent.seqOf(id) ?? search.remembered(id) ?? (await this.askOtherGateways(this.nc, id));
    if (known !== undefined) {
      const found = await this.messageAt(known, id);
      if (found !== null) return found;
    }
    const seq = await search.find(id);
    return seq === null ? null : this.messageAt(seq, id);
  }

  /** The sequence another gateway remembers for an id it issued; undefined when none answers in time. */
  private async askOtherGateways(nc: NatsConnection, id: string): Promise<number | undefined> {
    try {
      const seq = Number((await nc.request(this.lookupSubject, id, { timeout: LOOKUP_TIMEOUT_MS })).string());
      return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
    } catch {
      return undefined;
    }
  }

  /** The event stored at `seq`, if it is event `id` (null when that message is gone or is another event). */
  private async messageAt(seq: number, id: string): Promise<FoundMessage | null> {
    const { stream, subjectPrefix } = this.options.streams;
    let stored;
    try {
      stored = await this.jsm!.streams.getMessage(stream, { seq });
    } catch (error) {
      throw new SluiceError('bus_unavailable', `the stream could not be read (${(error as Error).message}); retry shortly`, { cause: error, retryAfterSeconds: 1 });
    }
    if (stored === null) return null;
    let decoded: DecodedMessage | null = null;
    try {
      decoded = decodeEnvelope(stored.header, stored.data, stored.subject, subjectPrefix, () => stored.time.toISOString());
    } catch {
      // Headers that cannot be read: the worker takes it as a raw message, and so does the lookup.
    }
    const originalSeq = decoded?.replay?.originalSeq ?? seq;
    const envelope = decoded?.envelope ?? rawEnvelope({ subject: stored.subject, seq, data: stored.data, storedAtMs: stored.time.getTime(), contentType: stored.header?.get(HEADER.contentType) }, stream, subjectPrefix);
    const named = withStoredId(envelope, stream, originalSeq);
    return named.id === id ? { envelope: named, seq: originalSeq } : null;
  }

  async consumerLag(durable: string): Promise<ConsumerLag | null> {
    if (this.jsm === undefined || !this.connected) return null;
    try {
      const info = await this.jsm.consumers.info(this.options.streams.stream, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq, delivered: info.delivered.stream_seq };
    } catch {
      return null;
    }
  }

  async deleteConsumer(durable: string): Promise<void> {
    if (this.jsm === undefined) return;
    try {
      await this.jsm.consumers.delete(this.options.streams.stream, durable);
    } catch (error) {
      if (error instanceof JetStreamApiError && /consumer not found/i.test(error.message)) return;
      throw error;
    }
  }

  async streamState(): Promise<StreamState | null> {
    const jsm = this.jsm;
    if (jsm === undefined) throw new SluiceError('bus_unavailable', 'the JetStream bus is not started', { retryAfterSeconds: 1 });
    const info = await jsm.streams.info(this.options.streams.stream);
    return { name: info.config.name, created: info.created, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, messages: info.state.messages };
  }

  async continueSequenceAfter(seq: number): Promise<void> {
    const jsm = this.jsm;
    if (jsm === undefined) throw new SluiceError('bus_unavailable', 'the JetStream bus is not started', { retryAfterSeconds: 1 });
    // A purge up to a sequence past the last one leaves the stream empty with that as its next sequence.
    await jsm.streams.purge(this.options.streams.stream, { seq: seq + 1 });
  }

  maxPayload(): number {
    return this.payloadLimit;
  }

  health(): BusHealth {
    return { kind: 'jetstream', connected: this.connected };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.lookupSubscription?.unsubscribe();
    this.acks?.close();
    if (this.nc !== undefined && !this.nc.isClosed()) {
      await this.nc.drain().catch(() => this.nc?.close());
    }
    this.connected = false;
  }
}

/** A consumed message: its event, and the settling calls of nats.js (one object per message, no closures). */
class JetStreamDelivery implements Delivery {
  readonly seq: number;
  readonly streamSeq: number;
  readonly deliveryCount: number;
  readonly replayId?: string;
  readonly problem?: string;
  readonly replayTarget?: string;

  constructor(
    private readonly m: JsMsg,
    readonly envelope: EventEnvelope,
    replay: ReplayMark | undefined,
    problem?: string,
  ) {
    const info = m.info;
    this.streamSeq = info.streamSequence;
    this.seq = replay?.originalSeq ?? info.streamSequence;
    this.deliveryCount = info.deliveryCount;
    if (replay !== undefined) this.replayId = replay.replayId;
    if (problem !== undefined) this.problem = problem;
    if (replay?.target !== undefined) this.replayTarget = replay.target;
  }

  // A batch that outlived the stop timeout settles on a connection already drained or closed:
  // nats.js then throws. The message was not acked, so the server redelivers it; nothing to do.
  ack(): void {
    settleQuietly(() => this.m.ack());
  }

  nak(delayMs: number): void {
    settleQuietly(() => this.m.nak(delayMs));
  }

  // nats-server 2.9 does not read a reason after +TERM (it would ignore the term); callers log it.
  term(_reason: string): void {
    settleQuietly(() => this.m.term());
  }

  working(): void {
    settleQuietly(() => this.m.working());
  }
}

function settleQuietly(settle: () => void): void {
  try {
    settle();
  } catch {
    // The connection is closed: the server redelivers the message after its ack wait.
  }
}

/** When the stream stored a message, RFC 3339. */
function storedTime(m: JsMsg): string {
  return new Date(Math.floor(Number(m.info.timestampNanos) / 1e6)).toISOString();
}

/**
 * The event's headers for its dead letter. An event read from a message published straight to
 * NATS may carry extension names or values MsgHdrs refuses to write back: those are left out
 * rather than lose the dead letter.
 */
function deadLetterHeaders(envelope: EventEnvelope): MsgHdrs {
  try {
    return envelopeHeaders(envelope);
  } catch {
    const clean = (value: string): string => value.replace(/[\r\n]+/g, ' ');
    const copy: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
      id: envelope.id,
      type: clean(envelope.type),
      source: clean(envelope.source),
      time: clean(envelope.time),
      receivedAt: clean(envelope.receivedAt),
      data: envelope.data,
      dataContentType: clean(envelope.dataContentType),
    };
    if (envelope.subject !== undefined) copy.subject = clean(envelope.subject);
    if (envelope.originId !== undefined) copy.originId = clean(envelope.originId);
    if (envelope.entity !== undefined) copy.entity = clean(envelope.entity);
    if (envelope.traceparent !== undefined) copy.traceparent = clean(envelope.traceparent);
    const extensions = Object.entries(envelope.extensions ?? {}).filter(([name]) => isHeaderName(`ce-${name}`));
    if (extensions.length > 0) copy.extensions = Object.fromEntries(extensions.map(([name, value]) => [name, clean(value)]));
    return envelopeHeaders(copy);
  }
}

function isHeaderName(name: string): boolean {
  return /^[!-9;-~]+$/.test(name);
}

/** Bytes a header block takes on the wire, as the server counts it against max_payload. */
function encodedLength(headers: MsgHdrs): number {
  return (headers as unknown as { encode(): Uint8Array }).encode().byteLength;
}

/** JetStream's API error for a message the stream would not store: "maximum messages exceeded", "maximum bytes exceeded" (discard new at a limit). */
const STREAM_STORE_FAILED = 10077;

function publishError(error: unknown, payloadLimit: number): SluiceError {
  if (error instanceof SluiceError) return error;
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof JetStreamApiError && error.code === STREAM_STORE_FAILED) {
    return new SluiceError(
      'bus_unavailable',
      `the stream cannot store the event now (${message}): it is at STREAM_MAX_MSGS or STREAM_MAX_BYTES, and never drops accepted events to make room; nothing was stored. Retry later: room comes back as events pass STREAM_MAX_AGE.`,
      { cause: error, retryAfterSeconds: 1 },
    );
  }
  if (/maximum payload|max_payload|payload.*exceed/i.test(message)) {
    return new SluiceError('event_too_large', `the event is larger than the NATS server takes (${payloadLimit} bytes)`, { cause: error });
  }
  return new SluiceError('bus_unavailable', `JetStream did not acknowledge the event (${message.split('\n')[0]}); it was not stored. Retry shortly.`, {
    cause: error,
    retryAfterSeconds: 1,
  });
}

/** How long one pull request waits for messages before the loop asks again. */
const FETCH_EXPIRES_MS = 5_000;
/** Longest wait for the rest of a partly arrived batch. */
const LINGER_MS = 20;

/**
 * Pulls messages into batches and hands them to the handler one batch at a time. At most two
 * batches are held (one in the handler, one arriving): a new pull asks only for what the
 * handler has made room for. `consume()` of nats.js pulls again as soon as messages arrive,
 * whether or not they were handled, so a slow database let up to `max_ack_pending` messages
 * pile up in memory (hundreds of MB, and the garbage collector's time with them). Messages
 * are decoded as they arrive, which overlaps the handler's wait for the database.
 *
 * A batch is handed over when it is full or when no more messages are on their way: each
 * message says how many the consumer still has pending, so while a pull is being filled from
 * a backlog the loop waits for the rest instead of handing over the few that came in the
 * first network read (a backlog otherwise drained as hundreds of batches of 1-10 events, each
 * a whole transaction). A message that arrives on its own (pending 0) goes at once.
 */
class BatchLoop {
  private readonly buffer: Delivery[] = [];
  /** Messages handed to the handler and not yet returned. */
  private inHand = 0;
  private readonly limit: number;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private current: ConsumerMessages | undefined;
  private roomMade: (() => void) | undefined;
  /** The pull being read has more messages coming at once (the consumer has them pending). */
  private moreComing = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: ConsumeOptions,
    private readonly handler: BatchHandler,
    private readonly toDelivery: (m: JsMsg) => Delivery,
    private readonly onEvent?: (event: BusLogEvent) => void,
    private readonly wanted?: (m: JsMsg) => boolean,
  ) {
    this.limit = Math.max(options.batchSize * 2, 2);
    this.done = this.read();
  }

  private room(): number {
    return this.limit - this.buffer.length - this.inHand;
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      // Pull again once half a batch fits, so a pull is not spent on a handful of messages.
      if (this.room() < Math.max(1, Math.floor(this.options.batchSize / 2))) {
        await new Promise<void>((resolve) => (this.roomMade = resolve));
        continue;
      }
      const started = performance.now();
      const requested = this.room();
      let received = 0;
      try {
        const messages = await this.consumer.fetch({ max_messages: requested, expires: FETCH_EXPIRES_MS });
        this.current = messages;
        if (this.stopped) await messages.close();
        for await (const m of messages) {
          received++;
          this.moreComing = received < requested && m.info.pending > 0;
          if (this.stopped) {
            m.nak();
            continue;
          }
          if (this.wanted !== undefined && !this.wanted(m)) {
            m.ack();
          } else {
            try {
              this.buffer.push(this.toDelivery(m));
            } catch (error) {
              this.onEvent?.({ kind: 'consumer-error', error: (error as Error).message });
              m.nak(1000);
            }
          }
          this.schedule();
        }
      } catch (error) {
        if (this.stopped) break;
        this.onEvent?.({ kind: 'consumer-error', error: (error as Error).message });
      } finally {
        this.current = undefined;
        this.moreComing = false;
        this.schedule();
      }
      // A pull that ended at once with nothing (the server refused it, the connection is away): do not spin.
      if (received === 0 && !this.stopped && performance.now() - started < 500) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Is a batch ready: full, or all that is coming for now? */
  private ready(): boolean {
    return !this.stopped && (this.buffer.length >= this.options.batchSize || (this.buffer.length > 0 && !this.moreComing));
  }

  /** Starts the handler on the next turn if a batch is ready and it is idle; a partial batch waits at most LINGER_MS for the rest. */
  private schedule(): void {
    if (this.draining !== undefined || this.buffer.length === 0 || this.stopped) return;
    if (this.ready()) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
      return;
    }
    // The server said more are pending but they may not come (max_ack_pending reached): do not wait long.
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      this.moreComing = false;
      this.schedule();
    }, LINGER_MS);
  }

  private async drain(): Promise<void> {
    try {
      while (this.ready()) {
        const taken = this.buffer.splice(0, this.options.batchSize);
        this.inHand = taken.length;
        try {
          await this.handler(taken);
        } catch (error) {
          // The handler settles each delivery itself; an escape here is a bug. Redeliver rather than lose.
          this.onEvent?.({ kind: 'consumer-error', error: (error as Error).message });
          for (const d of taken) d.nak(1000);
        } finally {
          this.inHand = 0;
          this.roomMade?.();
          this.roomMade = undefined;
        }
      }
    } finally {
      this.draining = undefined;
      this.schedule();
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.lingerTimer);
    this.roomMade?.();
    await this.current?.close().catch(() => undefined);
    const inFlight = this.draining ?? Promise.resolve();
    await Promise.race([inFlight, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    // Whatever was buffered but not handed to the handler goes back at once.
    for (const d of this.buffer.splice(0)) d.nak(0);
    await Promise.race([this.done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
}
