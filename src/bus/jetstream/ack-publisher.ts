import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { JetStreamApiError } from '@nats-io/jetstream';
import { WaitingRing } from './waiting-ring.js';

/** JetStream's answer to a publish. */
export interface StreamAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** One message to publish: its header block already encoded (see `encodeEnvelopeHeaders`). */
export interface BatchItem {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Uint8Array;
}

interface Waiting {
  resolve(ack: StreamAck): void;
  reject(error: Error): void;
  readonly deadline: number;
}

/** The waiting entry of a single publish: settles its own promise. */
class SingleWait implements Waiting {
  resolve!: (ack: StreamAck) => void;
  reject!: (error: Error) => void;
  readonly promise: Promise<StreamAck>;

  constructor(readonly deadline: number) {
    this.promise = new Promise<StreamAck>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * The publishes of one `publishMany`, settled together: one promise for the batch rather
 * than one per message (the per-message promises and closures outlived two scavenges while
 * the batch waited for its acks, and were promoted to old space as garbage).
 */
class BatchWait {
  readonly results: Array<StreamAck | Error>;
  private left: number;
  private done!: (results: Array<StreamAck | Error>) => void;
  readonly promise: Promise<Array<StreamAck | Error>>;

  constructor(size: number) {
    this.results = new Array<StreamAck | Error>(size);
    this.left = size;
    this.promise = new Promise((resolve) => (this.done = resolve));
    if (size === 0) this.done(this.results);
  }

  settle(index: number, result: StreamAck | Error): void {
    this.results[index] = result;
    if (--this.left === 0) this.done(this.results);
  }
}

/** A waiting entry of one message of a batch. */
class BatchEntry implements Waiting {
  constructor(
    private readonly batch: BatchWait,
    private readonly index: number,
    readonly deadline: number,
  ) {}

  resolve(ack: StreamAck): void {
    this.batch.settle(this.index, ack);
  }

  reject(error: Error): void {
    this.batch.settle(this.index, error);
  }
}

/** A message waiting for the end of the loop turn to be written. */
interface Queued {
  readonly item: BatchItem;
  readonly waiting: Waiting;
}

/**
 * nats.js takes a header object and calls only its `encode()` when it writes a message; this
 * one hands over a block encoded beforehand, byte for byte what `MsgHdrs` would have encoded.
 */
class EncodedHeaders {
  constructor(private readonly block: Uint8Array) {}

  encode(): Uint8Array {
    return this.block;
  }
}

const SWEEP_MS = 100;
const decoder = new TextDecoder();

/**
 * JetStream publishes with their acks matched on one reply subscription. It does what
 * `js.publish` does (publish with a reply subject, wait for the stream's ack) without the
 * request muxer of nats.js, which builds an Error with a stack trace for every request it
 * completes (its `cancel()` rejects an already-resolved promise): a tenth of the gateway's
 * CPU and much of its garbage under batch load. Timeouts are checked by one timer every
 * 100 ms rather than one timer per publish.
 *
 * Messages are held until the event loop has read every request that is ready, then written
 * together: nats.js sends whatever was queued within one microtask turn as one socket write,
 * and without this each HTTP request (its own macrotask) cost a write of its own, a third of
 * the gateway's CPU. The wait is one turn of the loop (setImmediate).
 */
export class AckPublisher {
  private readonly prefix = `${createInbox()}.`;
  private readonly waiting = new WaitingRing<Waiting>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private queue: Queued[] = [];
  private flushScheduled = false;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.prefix}*`, { callback: (error, msg) => (error === null ? this.answer(msg) : this.failAll(error)) });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Publishes at the end of this loop turn; resolves with the stream's ack; rejects on a JetStream error, no stream, or no ack in time. */
  publish(item: BatchItem, timeoutMs = this.timeoutMs): Promise<StreamAck> {
    const waiting = new SingleWait(performance.now() + timeoutMs);
    this.enqueue({ item, waiting });
    return waiting.promise;
  }

  /**
   * Publishes several messages; resolves once each has its ack or its error, in order. Never
   * rejects: a message that could not be published or was refused has its Error in its place.
   */
  publishMany(items: readonly BatchItem[], timeoutMs = this.timeoutMs): Promise<Array<StreamAck | Error>> {
    const batch = new BatchWait(items.length);
    const deadline = performance.now() + timeoutMs;
    for (let i = 0; i < items.length; i++) this.enqueue({ item: items[i]!, waiting: new BatchEntry(batch, i, deadline) });
    return batch.promise;
  }

  private enqueue(queued: Queued): void {
    this.queue.push(queued);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const queue = this.queue;
    this.queue = [];
    this.flushScheduled = false;
    for (const { item, waiting } of queue) {
      const n = this.next++;
      try {
        this.nc.publish(item.subject, item.data, { reply: this.prefix + n.toString(36), headers: new EncodedHeaders(item.headers) as unknown as MsgHdrs });
      } catch (error) {
        waiting.reject(error as Error);
        continue;
      }
      this.waiting.set(n, waiting);
    }
  };

  private answer(msg: Msg): void {
    const waiting = this.waiting.take(parseInt(msg.subject.slice(this.prefix.length), 36));
    if (waiting === undefined) return;
    const status = msg.headers;
    if (status !== undefined && status.code >= 300) {
      waiting.reject(new Error(status.code === 503 ? 'no responders: no stream takes this subject' : `${status.code} ${status.description}`));
      return;
    }
    const ack = parseStreamAck(msg.data);
    if (ack instanceof Error) waiting.reject(ack);
    else waiting.resolve(ack);
  }

  private sweep(): void {
    if (this.waiting.size === 0) return;
    const now = performance.now();
    for (const waiting of this.waiting.takeWhere((w) => w.deadline <= now)) waiting.reject(new Error('timeout'));
  }

  private failAll(error: Error): void {
    for (const waiting of this.waiting.takeWhere(() => true)) waiting.reject(error);
    const queue = this.queue;
    this.queue = [];
    for (const { waiting } of queue) waiting.reject(error);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    this.failAll(new Error('the connection is closing'));
  }
}

const USUAL_ACK = /^\{"stream":"[^"\\]*", ?"seq":(\d+)(, ?"duplicate": ?true)?\}$/;

/**
 * Reads a JetStream publish ack (`{"stream":"S","seq":N}`, with `"duplicate":true` for a
 * repeat): the usual shape by a pattern, anything else (an error, a domain) through JSON.parse.
 */
export function parseStreamAck(data: Uint8Array): StreamAck | Error {
  const text = decoder.decode(data);
  const usual = USUAL_ACK.exec(text);
  if (usual !== null) return { seq: Number(usual[1]), duplicate: usual[2] !== undefined };
  let ack: { seq?: unknown; duplicate?: unknown; error?: { description?: string; code?: number; err_code?: number } };
  try {
    ack = JSON.parse(text) as typeof ack;
  } catch {
    return new Error('invalid ack response');
  }
  if (ack === null || typeof ack !== 'object') return new Error('invalid ack response');
  if (ack.error !== undefined) {
    const { code = 500, err_code = 0, description = `JetStream error ${code}` } = ack.error;
    return new JetStreamApiError({ code, err_code, description });
  }
  if (typeof ack.seq !== 'number') return new Error('invalid ack response');
  return { seq: ack.seq, duplicate: ack.duplicate === true };
}
