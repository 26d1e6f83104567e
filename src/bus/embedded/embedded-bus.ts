import { join } from 'node:path';
import type { EventEnvelope } from '../../envelope/index.js';
import { SluiceError, asError } from '../../errors/index.js';
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
} from '../port.js';
import { withDeadline } from '../deadline.js';
import { DurableConsumer } from './durable-consumer.js';
import { acquireLockFile, ownerOnlyDirectory } from '../../data-dir/index.js';
import { MessageLog } from './message-log.js';
import { envelopeOf } from './records.js';

/** The few logger methods the embedded bus uses (a pino logger fits). */
export interface EmbeddedBusLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface EmbeddedBusOptions {
  /** Sluice's data directory; the bus keeps its files in `${dataDir}/bus`. */
  readonly dataDir: string;
  /** Stream name, reported in logs (the embedded bus has one stream per data directory). */
  readonly stream: string;
  readonly subjectPrefix: string;
  /** How long a message id is remembered for idempotent repeats. */
  readonly duplicateWindowMs: number;
  /** Messages older than this are removed; unset keeps them all. */
  readonly maxAgeMs?: number;
  /** Largest event data taken, in bytes (default 1 MiB, as NATS's default max_payload). */
  readonly maxPayloadBytes?: number;
  /**
   * Longest wait for a publish to be synced to disk; past it the publish fails with
   * `bus_unavailable` (a stalled disk must not hold a request past the gateway's 5 s rule). The
   * write may still land later: a retry under the same idempotency key is then a duplicate.
   */
  readonly publishTimeoutMs?: number;
  readonly logger?: EmbeddedBusLogger;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** As SLUICE_PUBLISH_TIMEOUT's default. */
const DEFAULT_PUBLISH_TIMEOUT_MS = 4_000;
const TRIM_INTERVAL_MS = 60_000;

/** One `consume()` call: a loop taking batches from its durable consumer. */
interface Member {
  readonly consumer: DurableConsumer;
  stopping: boolean;
  readonly loop: Promise<void>;
}

/**
 * The embedded durable bus: an append-only log in LMDB under `${dataDir}/bus`, with the
 * JetStream semantics the gateway and worker rely on (sequences, duplicate window, durable
 * consumers with ack/nak/term and ack-wait redelivery, dead letters). A publish resolves
 * only once its commit is synced to disk. One process per data directory.
 */
export function createEmbeddedBus(options: EmbeddedBusOptions): BusPort {
  return new EmbeddedBus(options);
}

class EmbeddedBus implements BusPort {
  readonly kind = 'embedded' as const;
  private log: MessageLog | null = null;
  private releaseLock: (() => void) | null = null;
  private readonly consumers = new Map<string, DurableConsumer>();
  private readonly members = new Set<Member>();
  private trimTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly maxPayloadBytes: number;

  constructor(private readonly options: EmbeddedBusOptions) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  }

  async start(): Promise<void> {
    if (this.log !== null) return;
    const dir = join(this.options.dataDir, 'bus');
    // The log holds every event's data: the owner's alone, as the database's files are.
    ownerOnlyDirectory(dir);
    this.releaseLock = acquireLockFile(join(dir, 'LOCK'), `the embedded bus in ${dir}`);
    try {
      this.log = new MessageLog({ path: dir, duplicateWindowMs: this.options.duplicateWindowMs });
    } catch (error) {
      this.releaseLock();
      this.releaseLock = null;
      throw new SluiceError('bus_unavailable', `the embedded bus could not open ${dir}: ${asError(error).message}`, { cause: error });
    }
    const log = this.log;
    this.unsubscribe = log.onCommit(() => {
      for (const consumer of this.consumers.values()) consumer.wake();
    });
    if (this.options.maxAgeMs !== undefined) {
      const maxAgeMs = this.options.maxAgeMs;
      this.trimTimer = setInterval(() => void this.trim(log, maxAgeMs), Math.min(TRIM_INTERVAL_MS, maxAgeMs));
      this.trimTimer.unref();
      await this.trim(log, maxAgeMs);
    }
    this.options.logger?.info({ stream: this.options.stream, dir, lastSeq: log.lastSeq }, 'embedded bus opened');
  }

  private async trim(log: MessageLog, maxAgeMs: number): Promise<void> {
    try {
      let removed = 0;
      for (let n = await log.trimOlderThan(Date.now() - maxAgeMs); n > 0; n = await log.trimOlderThan(Date.now() - maxAgeMs)) removed += n;
      if (removed > 0) this.options.logger?.info({ stream: this.options.stream, removed }, 'embedded bus removed messages past max age');
    } catch (error) {
      this.options.logger?.warn({ err: asError(error) }, 'embedded bus could not trim old messages');
    }
  }

  private opened(): MessageLog {
    if (this.log === null) throw new SluiceError('bus_unavailable', 'the embedded bus is not started', { retryAfterSeconds: 1 });
    return this.log;
  }

  private checkSize(envelope: EventEnvelope): void {
    if (envelope.data.byteLength > this.maxPayloadBytes) {
      throw new SluiceError(
        'event_too_large',
        `the event is ${envelope.data.byteLength} bytes; the bus takes at most ${this.maxPayloadBytes}`,
      );
    }
  }

  async publish(request: PublishRequest): Promise<PublishAck> {
    const log = this.opened();
    this.checkSize(request.envelope);
    try {
      const ms = this.options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
      return await withDeadline(log.append(request.envelope, request.replay), ms, () =>
        new SluiceError('bus_unavailable', `the embedded bus did not sync the event to disk within ${ms} ms; it may not be stored. Retry shortly with the same idempotency key.`, { retryAfterSeconds: 1 }),
      );
    } catch (error) {
      throw unavailable(error);
    }
  }

  async publishMany(requests: readonly PublishRequest[]): Promise<Array<PublishAck | Error>> {
    const settled = await Promise.allSettled(requests.map((r) => this.publish(r)));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : asError(s.reason)));
  }

  async publishDeadLetter(delivery: { envelope: EventEnvelope; seq: number; streamSeq?: number }, reason: string): Promise<void> {
    const log = this.opened();
    try {
      await log.appendDeadLetter(delivery.envelope, delivery.seq, reason, `${delivery.envelope.id}:${delivery.streamSeq ?? delivery.seq}`);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private consumerFor(durable: string, startAt?: Date): DurableConsumer {
    let consumer = this.consumers.get(durable);
    if (consumer === undefined) {
      const log = this.opened();
      const startAfterSeq = startAt !== undefined && log.consumers.get(durable) === undefined ? log.lastSeqBefore(startAt.getTime()) : 0;
      consumer = new DurableConsumer(
        durable,
        log,
        (error) => this.options.logger?.error({ err: asError(error), consumer: durable }, 'embedded bus could not save consumer state'),
        startAfterSeq,
      );
      this.consumers.set(durable, consumer);
    }
    return consumer;
  }

  async consume(options: ConsumeOptions, handler: BatchHandler): Promise<ConsumerHandle> {
    this.opened();
    const consumer = this.consumerFor(options.durable, options.startAt);
    consumer.setTypes(options.types);
    consumer.ackWaitMs = options.ackWaitMs;
    const batchSize = Math.max(1, options.batchSize);
    // Below the ack wait, so a message of the batch is never due again while it gathers.
    const gatherMs = Math.min(options.gatherMs ?? 0, Math.floor(options.ackWaitMs / 2));
    const member: { consumer: DurableConsumer; stopping: boolean; loop?: Promise<void> } = { consumer, stopping: false };
    const logger = this.options.logger;
    const run = async (): Promise<void> => {
      while (!member.stopping) {
        let batch = consumer.takeBatch(batchSize, Date.now());
        if (batch.length === 0) {
          await consumer.waitForWork();
          continue;
        }
        if (batch.length < batchSize && gatherMs > 0 && !member.stopping) {
          // Woken by the first of them: what comes within gatherMs joins the batch, unless the
          // consumer is stopping (what it took already is handled; nothing more is taken).
          await new Promise((resolve) => setTimeout(resolve, gatherMs));
          if (!member.stopping) batch = batch.concat(consumer.takeBatch(batchSize - batch.length, Date.now()));
        }
        try {
          await handler(batch);
        } catch (error) {
          // Unsettled deliveries come back after the ack wait, as they would from JetStream.
          logger?.error({ err: asError(error), consumer: options.durable }, 'batch handler failed');
        }
      }
    };
    member.loop = run();
    this.members.add(member as Member);
    return {
      stop: async ({ timeoutMs = 10_000 } = {}) => {
        member.stopping = true;
        consumer.wake();
        await withTimeout(member.loop!, timeoutMs);
        this.members.delete(member as Member);
        await consumer.save();
      },
    };
  }

  async lookup(id: string): Promise<FoundMessage | null> {
    const log = this.opened();
    const known = log.ids.get(id);
    if (known === undefined) return null;
    const message = log.messages.get(known.seq);
    if (message === undefined) return null;
    return { envelope: envelopeOf(message), seq: message.r?.s ?? known.seq };
  }

  async *readRange(fromSeq: number, toSeq: number, pageSize: number): AsyncIterable<StreamMessage[]> {
    let next = Math.max(1, fromSeq);
    while (next <= toSeq) {
      const page: StreamMessage[] = [];
      for (const { key, value } of this.opened().messages.getRange({ start: next, end: toSeq + 1, limit: pageSize })) {
        page.push({ envelope: envelopeOf(value), seq: value.r?.s ?? key, streamSeq: key, ...(value.r !== undefined ? { replayId: value.r.i } : {}) });
      }
      if (page.length === 0) return;
      yield page;
      next = page[page.length - 1]!.streamSeq + 1;
    }
  }

  async consumerLag(durable: string): Promise<ConsumerLag | null> {
    const log = this.opened();
    const consumer = this.consumers.get(durable);
    if (consumer !== undefined) return consumer.lag();
    if (log.consumers.get(durable) === undefined) return null;
    return this.consumerFor(durable).lag();
  }

  async deleteConsumer(durable: string): Promise<void> {
    const log = this.opened();
    for (const m of this.members) if (m.consumer.name === durable) m.stopping = true;
    this.consumers.get(durable)?.wake();
    this.consumers.delete(durable);
    await log.consumers.remove(durable);
  }

  // The embedded log lives beside the embedded database in one data directory: no separate stream to be recreated.
  async streamState(): Promise<null> {
    return null;
  }

  async continueSequenceAfter(): Promise<void> {
    throw new Error('the embedded bus has no separate stream to renumber');
  }

  maxPayload(): number {
    return this.maxPayloadBytes;
  }

  health(): BusHealth {
    return { kind: 'embedded', connected: this.log !== null };
  }

  async stop(): Promise<void> {
    const log = this.log;
    if (log === null) return;
    const members = [...this.members];
    for (const m of members) {
      m.stopping = true;
      m.consumer.wake();
    }
    await withTimeout(Promise.all(members.map((m) => m.loop)), 10_000);
    this.members.clear();
    if (this.trimTimer !== null) clearInterval(this.trimTimer);
    this.trimTimer = null;
    this.unsubscribe?.();
    await Promise.all([...this.consumers.values()].map((c) => c.close()));
    this.consumers.clear();
    this.log = null;
    try {
      await log.close();
    } finally {
      this.releaseLock?.();
      this.releaseLock = null;
    }
  }
}

function unavailable(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError('bus_unavailable', `the embedded bus could not store the event: ${asError(error).message}`, {
    cause: error,
    retryAfterSeconds: 1,
  });
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
