import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';

/** JetStream's answer to a publish. */
export interface StreamAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

interface Waiting {
  resolve(ack: StreamAck): void;
  reject(error: Error): void;
  deadline: number;
}

/** One message of `publishMany`. */
export interface BatchItem {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
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

const SWEEP_MS = 100;

/**
 * JetStream publishes with their acks matched on one reply subscription. It does what
 * `js.publish` does (publish with a reply subject, wait for the stream's ack) without the
 * request muxer of nats.js, which builds an Error with a stack trace for every request it
 * completes (its `cancel()` rejects an already-resolved promise): a tenth of the gateway's
 * CPU and much of its garbage under batch load. Timeouts are checked by one timer every
 * 100 ms rather than one timer per publish.
 */
export class AckPublisher {
  private readonly prefix = `${createInbox()}.`;
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.prefix}*`, { callback: (error, msg) => (error === null ? this.answer(msg) : this.failAll(error)) });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Publishes and resolves with the stream's ack; rejects on a JetStream error, no stream, or no ack in time. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs = this.timeoutMs): Promise<StreamAck> {
    const token = (this.next++).toString(36);
    return new Promise<StreamAck>((resolve, reject) => {
      try {
        this.nc.publish(subject, data, { reply: this.prefix + token, headers });
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.waiting.set(token, { resolve, reject, deadline: performance.now() + timeoutMs });
    });
  }

  /**
   * Publishes several messages; resolves once each has its ack or its error, in order. Never
   * rejects: a message that could not be published or was refused has its Error in its place.
   */
  publishMany(items: readonly BatchItem[], timeoutMs = this.timeoutMs): Promise<Array<StreamAck | Error>> {
    const batch = new BatchWait(items.length);
    const deadline = performance.now() + timeoutMs;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const token = (this.next++).toString(36);
      try {
        this.nc.publish(item.subject, item.data, { reply: this.prefix + token, headers: item.headers });
      } catch (error) {
        batch.settle(i, error as Error);
        continue;
      }
      this.waiting.set(token, new BatchEntry(batch, i, deadline));
    }
    return batch.promise;
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const waiting = this.waiting.get(token);
    if (waiting === undefined) return;
    this.waiting.delete(token);
    const status = msg.headers;
    if (status !== undefined && status.code >= 300) {
      waiting.reject(new Error(status.code === 503 ? 'no responders: no stream takes this subject' : `${status.code} ${status.description}`));
      return;
    }
    let ack: { seq?: number; duplicate?: boolean; error?: { description?: string; code?: number } };
    try {
      ack = msg.json();
    } catch {
      waiting.reject(new Error('invalid ack response'));
      return;
    }
    if (ack.error !== undefined) waiting.reject(new Error(ack.error.description ?? `JetStream error ${ack.error.code ?? ''}`));
    else if (typeof ack.seq !== 'number') waiting.reject(new Error('invalid ack response'));
    else waiting.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  private sweep(): void {
    if (this.waiting.size === 0) return;
    const now = performance.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.waiting.delete(token);
      waiting.reject(new Error('timeout'));
    }
  }

  private failAll(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    this.failAll(new Error('the connection is closing'));
  }
}
