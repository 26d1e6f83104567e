import { typePatternProblem } from '../envelope/index.js';
import { SluiceError, asError } from '../errors/index.js';
import type { BusEngine, StartPosition } from './engine.js';
import { eventIdFor } from './event-codec.js';
import { BusSubscription } from './subscription.js';
import type {
  AnyEvents,
  BatchEntry,
  Bus,
  EventHandler,
  EventMap,
  PublishFailure,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  Subscription,
} from './types.js';

const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DEFAULT_PREFETCH = 64;

/** The typed API over an engine (memory or JetStream); the types live in the `Bus` interface. */
export class TypedBus<Events extends EventMap = AnyEvents> implements Bus<Events> {
  private starting: Promise<void> | null = null;
  private started = false;
  private readonly subscriptions = new Set<BusSubscription<unknown>>();
  private closing: Promise<void> | null = null;

  constructor(private readonly engine: BusEngine) {}

  get kind(): 'memory' | 'jetstream' {
    return this.engine.kind;
  }

  ready(): Promise<void> {
    if (this.closing !== null) return Promise.reject(new SluiceError('bus_unavailable', 'the bus is closed'));
    this.starting ??= this.engine.start().then(() => {
      this.started = true;
    });
    return this.starting;
  }

  publish(type: string, data: unknown, options?: PublishOptions): Promise<PublishResult> {
    // Once started, no wait for ready(), and no async function: each await or promise of its
    // own was a tenth of a memory bus's publish.
    if (!this.started || this.closing !== null) return this.ready().then(() => this.publishNow(type, data, options));
    try {
      return Promise.resolve(this.publishNow(type, data, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private publishNow(type: string, data: unknown, options: PublishOptions | undefined): PublishResult | Promise<PublishResult> {
    return this.engine.publish(type, data, options, eventIdFor(type, options));
  }

  async publishBatch(entries: ReadonlyArray<BatchEntry<Events>>): Promise<Array<PublishResult | PublishFailure>> {
    await this.ready();
    return Promise.all(
      (entries as ReadonlyArray<{ type: string; data: unknown } & PublishOptions>).map(async (entry) => {
        let id: string | null = null;
        try {
          id = eventIdFor(entry.type, entry);
          return await this.engine.publish(entry.type, entry.data, entry, id);
        } catch (error) {
          return { id, error: toSluiceError(error) };
        }
      }),
    );
  }

  subscribe(pattern: string, handlerOrOptions?: EventHandler<never> | SubscribeOptions, maybeOptions?: SubscribeOptions): Promise<Subscription<never>>;
  async subscribe(
    pattern: string,
    handlerOrOptions?: EventHandler<never> | SubscribeOptions,
    maybeOptions?: SubscribeOptions,
  ): Promise<Subscription<unknown>> {
    const handler = typeof handlerOrOptions === 'function' ? (handlerOrOptions as EventHandler<unknown>) : null;
    const options = (typeof handlerOrOptions === 'function' ? maybeOptions : handlerOrOptions) ?? {};
    const problem = typePatternProblem(pattern);
    if (problem !== null) throw new SluiceError('invalid_event_type', problem);
    const durable = options.durable ?? options.group ?? null;
    if (durable !== null && !CONSUMER_NAME.test(durable)) {
      throw new SluiceError('invalid_parameter', `"${durable.slice(0, 60)}" is not a group or durable name; use letters, digits, "_" and "-"`);
    }
    const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new SluiceError('invalid_parameter', 'prefetch must be a whole number of at least 1');
    const start = startPosition(options.from);
    await this.ready();
    if (this.closing !== null) throw new SluiceError('bus_unavailable', 'the bus is closed');
    const subscription = new BusSubscription<unknown>(handler, (s) => this.subscriptions.delete(s));
    const running = await this.engine.consume({ pattern, durable, start, prefetch }, subscription.deliver);
    subscription.attach(running);
    this.subscriptions.add(subscription);
    return subscription;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      // A start still under way is waited for, so its connection is closed too.
      await this.starting?.catch(() => undefined);
      await this.engine.close();
    })();
    return this.closing;
  }
}

function startPosition(from: SubscribeOptions['from']): StartPosition {
  if (from === undefined) return { kind: 'new' };
  if (typeof from === 'number') {
    if (!Number.isSafeInteger(from) || from < 1) throw new SluiceError('invalid_parameter', `from: ${from} is not a stream sequence (a whole number from 1)`);
    return { kind: 'seq', seq: from };
  }
  const time = from instanceof Date ? from : RFC3339.test(from) ? new Date(from) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw new SluiceError('invalid_parameter', `from: "${String(from).slice(0, 60)}" is neither a sequence number, a Date, nor an RFC 3339 time`);
  return { kind: 'time', time };
}

function toSluiceError(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const e = asError(error);
  return new SluiceError('bus_unavailable', e.message, { cause: e });
}
