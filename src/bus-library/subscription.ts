import type { Deliver, RunningConsumer } from './engine.js';
import { RedeliverLater } from './retry-delay.js';
import type { BusEvent, EventHandler, IteratedEvent, Subscription } from './types.js';

/** An event handed to an iterating loop, waiting to be settled. */
interface Pending {
  readonly event: BusEvent;
  readonly ack: () => void;
  readonly nak: (delayMs?: number) => void;
  settled: boolean;
}

/**
 * A subscription: either a handler is called for each event, or the events are read with
 * `for await`. In a loop an event is acknowledged when the loop asks for the next one (or on
 * `ack()`); leaving the loop, or `stop()`, with an event unacknowledged hands it back.
 */
export class BusSubscription<E> implements Subscription<E> {
  private running: RunningConsumer | null = null;
  private stopping: Promise<void> | null = null;
  private readonly waiting: Pending[] = [];
  private current: Pending | null = null;
  private wake: (() => void) | null = null;
  private iterating = false;

  constructor(
    private readonly handler: EventHandler<E> | null,
    private readonly onStop: (subscription: BusSubscription<E>) => void,
  ) {}

  get name(): string {
    return this.running?.name ?? '';
  }

  /** What the engine calls for each event. */
  readonly deliver: Deliver = (event) => {
    // The engine calls this on a later tick than publish() and inside its try: a handler that throws at once is a failure like a rejection.
    if (this.handler !== null) return this.handler(event as E);
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        event,
        settled: false,
        ack: () => {
          if (pending.settled) return;
          pending.settled = true;
          resolve();
        },
        nak: (delayMs) => {
          if (pending.settled) return;
          pending.settled = true;
          reject(delayMs === undefined ? new Error('handed back by the loop') : new RedeliverLater(delayMs));
        },
      };
      if (this.stopping !== null) {
        pending.nak(0);
        return;
      }
      this.waiting.push(pending);
      this.wake?.();
    });
  };

  attach(running: RunningConsumer): void {
    this.running = running;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.handBackAll();
      this.wake?.();
      await this.running?.stop();
      this.onStop(this);
    })();
    return this.stopping;
  }

  [Symbol.asyncIterator](): AsyncIterator<IteratedEvent<E>> {
    if (this.handler !== null) throw new TypeError('this subscription has a handler; subscribe without one to read it with for await');
    if (this.iterating) throw new TypeError('a subscription can be read by one loop at a time');
    this.iterating = true;
    return {
      next: async () => {
        this.current?.ack();
        this.current = null;
        for (;;) {
          const pending = this.waiting.shift();
          if (pending !== undefined) {
            this.current = pending;
            const event = { ...pending.event, ack: pending.ack, nak: pending.nak };
            return { done: false, value: event as unknown as IteratedEvent<E> };
          }
          if (this.stopping !== null) return { done: true, value: undefined };
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = null;
        }
      },
      return: async () => {
        this.iterating = false;
        this.current?.nak(0);
        this.current = null;
        await this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  private handBackAll(): void {
    this.current?.nak(0);
    this.current = null;
    for (const pending of this.waiting.splice(0)) pending.nak(0);
  }
}
