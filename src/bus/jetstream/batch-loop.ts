import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/** How long one pull request waits for messages before the loop asks again. */
const FETCH_EXPIRES_MS = 5_000;
/** Longest wait for the rest of a partly arrived batch. */
const LINGER_MS = 20;
/** A pull that ended at once with nothing (refused, connection away) waits this long before the next. */
const IDLE_PULL_PAUSE_MS = 500;

/** What a batch loop works on: the messages it hands over, and what it calls with them. */
export interface BatchLoopOptions<D extends { nak(delayMs: number): void }> {
  /** Most messages handed to one handler call. */
  readonly batchSize: number;
  /** Most messages held at once, in the handler and arriving; default two batches. */
  readonly holding?: number;
  /**
   * How long a batch that is not full may wait for more messages once the consumer has no more
   * pending, counted from its first message (default 0: handed over at once).
   */
  readonly gatherMs?: number;
  /** Handles one batch; settles each message (an escape naks the batch after 1 s). */
  readonly handler: (batch: D[]) => Promise<void>;
  /** The message as the handler takes it; a throw naks it after 1 s. */
  readonly toDelivery: (m: JsMsg) => D;
  /** A message the consumer's filter let through that this loop does not want: acked unseen. */
  readonly wanted?: (m: JsMsg) => boolean;
  readonly onError?: (error: Error) => void;
}

/**
 * The consumer loop: pulls messages into batches and hands them to the handler one batch at a
 * time. At most `holding` messages are held (one batch in the handler, one arriving): a new
 * pull asks only for what the handler has made room for. `consume()` of nats.js pulls again as
 * soon as messages arrive, whether or not they were handled, so a slow database let up to
 * `max_ack_pending` messages pile up in memory (hundreds of MB, and the garbage collector's
 * time with them). Messages are decoded as they arrive, which overlaps the handler's wait.
 *
 * A batch is handed over when it is full or when no more messages are on their way: each
 * message says how many the consumer still has pending, so while a pull is being filled from
 * a backlog the loop waits for the rest instead of handing over the few that came in the
 * first network read (a backlog otherwise drained as hundreds of batches of 1-10 events, each
 * a whole transaction). A message that arrives on its own (pending 0) goes at once.
 */
export class BatchLoop<D extends { nak(delayMs: number): void }> {
  private readonly buffer: D[] = [];
  /** Messages handed to the handler and not yet returned. */
  private inHand = 0;
  private readonly limit: number;
  private readonly batchSize: number;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private current: ConsumerMessages | undefined;
  private roomMade: (() => void) | undefined;
  /** The pull being read has more messages coming at once (the consumer has them pending). */
  private moreComing = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** When the linger timer fires (performance.now()). */
  private lingerAt = 0;
  private readonly gatherMs: number;
  /** When the oldest message of the buffer arrived (performance.now()). */
  private firstBufferedAt = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: BatchLoopOptions<D>,
  ) {
    this.batchSize = options.batchSize;
    this.limit = Math.max(options.holding ?? options.batchSize * 2, 2);
    this.gatherMs = options.gatherMs ?? 0;
    this.done = this.read();
  }

  private room(): number {
    return this.limit - this.buffer.length - this.inHand;
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      // Pull again once half a batch fits, so a pull is not spent on a handful of messages.
      if (this.room() < Math.max(1, Math.floor(this.batchSize / 2))) {
        await new Promise<void>((resolve) => (this.roomMade = resolve));
        continue;
      }
      const started = performance.now();
      const received = await this.pull(this.room());
      if (received === 0 && !this.stopped && performance.now() - started < IDLE_PULL_PAUSE_MS) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_PULL_PAUSE_MS));
      }
    }
  }

  /** One pull of up to `requested` messages, buffered as they arrive; how many came. */
  private async pull(requested: number): Promise<number> {
    let received = 0;
    try {
      const messages = await this.consumer.fetch({ max_messages: requested, expires: FETCH_EXPIRES_MS });
      this.current = messages;
      if (this.stopped) await messages.close();
      for await (const m of messages) {
        received++;
        this.moreComing = received < requested && m.info.pending > 0;
        this.take(m);
        this.schedule();
      }
    } catch (error) {
      if (!this.stopped) this.options.onError?.(error as Error);
    } finally {
      this.current = undefined;
      this.moreComing = false;
      this.schedule();
    }
    return received;
  }

  private take(m: JsMsg): void {
    if (this.stopped) {
      m.nak();
      return;
    }
    if (this.options.wanted !== undefined && !this.options.wanted(m)) {
      m.ack();
      return;
    }
    try {
      if (this.buffer.length === 0) this.firstBufferedAt = performance.now();
      this.buffer.push(this.options.toDelivery(m));
    } catch (error) {
      this.options.onError?.(error as Error);
      m.nak(1000);
    }
  }

  /** Is a batch ready: full, or all that is coming for now and gathered long enough? */
  private ready(): boolean {
    return !this.stopped && (this.buffer.length >= this.batchSize || (this.buffer.length > 0 && !this.moreComing && this.gathered() <= 0));
  }

  /** Milliseconds a partial batch still waits for more messages (0 or less: none). */
  private gathered(): number {
    return this.gatherMs === 0 ? 0 : this.firstBufferedAt + this.gatherMs - performance.now();
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
    // With nothing pending, a partial batch waits out the rest of its gathering time.
    const forMore = this.moreComing;
    const waitMs = forMore ? LINGER_MS : Math.max(0, this.gathered());
    const at = performance.now() + waitMs;
    // A timer set earlier for a later moment (a linger armed while more were pending) gives way.
    if (this.lingerTimer !== undefined && this.lingerAt <= at) return;
    clearTimeout(this.lingerTimer);
    this.lingerAt = at;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      // Only the linger gives up on pending messages; the end of a gathering time does not.
      if (forMore) this.moreComing = false;
      this.schedule();
    }, waitMs);
  }

  private async drain(): Promise<void> {
    try {
      while (this.ready()) {
        const taken = this.buffer.splice(0, this.batchSize);
        this.inHand = taken.length;
        try {
          await this.options.handler(taken);
        } catch (error) {
          // The handler settles each delivery itself; an escape here is a bug. Redeliver rather than lose.
          this.options.onError?.(error as Error);
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

  /**
   * Stops pulling, waits for the batch in hand (up to `timeoutMs`; without one, until it is
   * done) and hands back at once what was buffered but not handed over.
   */
  async stop(timeoutMs?: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.lingerTimer);
    this.roomMade?.();
    await this.current?.close().catch(() => undefined);
    const inFlight = this.draining ?? Promise.resolve();
    await (timeoutMs === undefined ? inFlight : Promise.race([inFlight, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]));
    for (const d of this.buffer.splice(0)) d.nak(0);
    await Promise.race([this.done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
}
