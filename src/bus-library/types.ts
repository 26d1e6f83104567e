import type { SluiceError } from '../errors/index.js';
import type { EventType, PatternCheck, TypesMatching } from './pattern-types.js';

/**
 * Maps each event type an application uses to the type of its data:
 *
 * ```ts
 * interface JobEvents {
 *   'job.created': { jobId: string; kind: string };
 *   'job.failed': { jobId: string; error: string };
 * }
 * const bus = createBus<JobEvents>();
 * ```
 */
export type EventMap = object;

/** The bus of an application that declares no event map: any type, data `unknown`. */
export type AnyEvents = Record<string, unknown>;

/** The data type of event type `K`. */
export type DataOf<Events, K extends string> = K extends keyof Events ? Events[K] : unknown;

/** One event as a subscriber sees it. */
export interface BusEvent<Type extends string = string, Data = unknown> {
  /** Sluice's event id (UUID); the same id the gateway, the workers and the database use. */
  readonly id: string;
  readonly type: Type;
  /** CloudEvents `source` (`/sluice` unless the publisher gave one). */
  readonly source: string;
  /** CloudEvents `time`, RFC 3339. */
  readonly time: string;
  /**
   * The data: parsed when its content type is JSON, a string when it is text, else the bytes.
   * (Data that is labelled JSON but is not, from a plain NATS publisher, arrives as a string.)
   * Each delivery has its own copy: changing it changes nothing another handler, a redelivery
   * or a replay sees. On the memory bus it is parsed when first read (an own enumerable getter,
   * as `bytes` is), so a spread copy (`{ ...event }`), `Object.assign` and `structuredClone`
   * hold its value as they do on JetStream.
   */
  readonly data: Data;
  /** CloudEvents `datacontenttype` of the data (`application/json` for what `publish` sends by default). */
  readonly datacontenttype: string;
  /**
   * The data's exact bytes, as the producer sent them (a signature over them verifies). Each
   * delivery has its own copy, as of `data` (for data that is neither JSON nor text, `data` is
   * this same array). On the memory bus, copied from the log when first read.
   */
  readonly bytes: Uint8Array;
  /** The stream sequence the event was stored under (kept across replays). */
  readonly seq: number;
  /** 1 on the first delivery to this subscription, 2 on the first redelivery, ... */
  readonly attempt: number;
}

/** The event a handler of `Pattern` receives: a union over the matching types, so `event.type` narrows `event.data`. */
export type EventFor<Events, Types extends string> = Types extends string ? BusEvent<Types, DataOf<Events, Types>> : never;

/** An event taken from a subscription by async iteration: settle it yourself, or let the loop do it. */
export type IteratedEvent<E> = E extends unknown
  ? E & {
      /** Acknowledges now (otherwise asking for the next event does it). */
      ack(): void;
      /** Hands the event back for redelivery after `delayMs` (default: the retry delay of its attempt). */
      nak(delayMs?: number): void;
    }
  : never;

export interface PublishOptions {
  /** The event id (a UUID). Default: a new UUID v7. Cannot be combined with `idempotencyKey`. */
  readonly id?: string;
  /** CloudEvents `source`. Default `/sluice`. */
  readonly source?: string;
  /**
   * Publishing twice with the same key stores the event once: the id is derived from the key
   * (as the gateway's `Idempotency-Key`), and the repeat answers the same id with `duplicate: true`.
   */
  readonly idempotencyKey?: string;
  /**
   * The data's media type. Default `application/json`: the data is written as JSON. With any
   * other type, `data` must be a string (sent as UTF-8) or a Uint8Array (sent as is).
   */
  readonly datacontenttype?: string;
}

export interface PublishResult {
  readonly id: string;
  /** Stream sequence of the stored event (of the first copy when `duplicate`). */
  readonly seq: number;
  /** The bus already held an event with this id; nothing new was stored. */
  readonly duplicate: boolean;
}

/** A batch entry that could not be stored; the others are unaffected. */
export interface PublishFailure {
  readonly id: string | null;
  readonly error: SluiceError;
}

/** One entry of `publishBatch`: `{ type, data, ...PublishOptions }`, checked against the event map. */
export type BatchEntry<Events> = {
  [K in EventType<Events>]: { readonly type: K; readonly data: DataOf<Events, K> } & PublishOptions;
}[EventType<Events>];

export interface SubscribeOptions {
  /**
   * Members subscribing with the same group share the work: each event goes to one of them.
   * The group is a durable consumer named after the group (unless `durable` names one).
   */
  readonly group?: string;
  /** Name of a durable consumer: a subscription with this name resumes where the last one stopped. */
  readonly durable?: string;
  /**
   * Where a new subscription starts: a stream sequence, a `Date`, or an RFC 3339 time.
   * Default: events published from now on. A durable consumer that already exists resumes
   * where it stopped and ignores `from`.
   */
  readonly from?: number | Date | string;
  /** Events fetched ahead of the handler (JetStream pull batch). Default 64. Members of a group share work at this grain. */
  readonly prefetch?: number;
}

/** A running subscription. Without a handler it is consumed by `for await`. */
export interface Subscription<E> extends AsyncIterable<IteratedEvent<E>> {
  /** The consumer name (the durable or group name, or a generated one). */
  readonly name: string;
  /**
   * Stops receiving: waits for the event in hand to be settled, and hands back the ones
   * fetched ahead, so another member (or the next durable subscription) gets them at once.
   */
  stop(): Promise<void>;
}

/** Handles one event: returning acknowledges, throwing hands it back for redelivery with a growing delay. */
export type EventHandler<E> = (event: E) => void | Promise<void>;

/** The typed event bus. Create it with `createBus<Events>(config)`. */
export interface Bus<Events extends EventMap = AnyEvents> {
  readonly kind: 'memory' | 'jetstream';
  /** Resolves once connected and the stream exists; rejects with the reason it cannot be. Every call waits for it anyway. */
  ready(): Promise<void>;
  /** Stores one event; resolves once it is stored (JetStream: acknowledged by the stream). */
  publish<K extends EventType<Events>>(type: K, data: DataOf<Events, K>, options?: PublishOptions): Promise<PublishResult>;
  /** Stores many events, all in flight at once; one result per entry, in order. */
  publishBatch(entries: ReadonlyArray<BatchEntry<Events>>): Promise<Array<PublishResult | PublishFailure>>;
  /** Calls `handler` for each event whose type matches `pattern` (NATS wildcards `*` and `>`). */
  subscribe<P extends string>(
    pattern: P & PatternCheck<Events, P>,
    handler: EventHandler<EventFor<Events, TypesMatching<Events, P>>>,
    options?: SubscribeOptions,
  ): Promise<Subscription<EventFor<Events, TypesMatching<Events, P>>>>;
  /** A subscription read with `for await (const event of subscription)`. */
  subscribe<P extends string>(
    pattern: P & PatternCheck<Events, P>,
    options?: SubscribeOptions,
  ): Promise<Subscription<EventFor<Events, TypesMatching<Events, P>>>>;
  /** Stops every subscription (settling what they hold), then drains and closes the connection. */
  close(): Promise<void>;
}

/**
 * The bus in this process's memory: the same API and the same delivery rules as JetStream
 * (order per subject, wildcards, groups sharing work, redelivery with a growing delay and a
 * growing `attempt`, durable subscriptions that resume, `from` a sequence or a time).
 * It does NOT promise durability (everything is gone when the process ends) nor anything
 * across processes (another process, `sluice dev` included, never sees these events).
 * Idempotency keys are remembered for the life of the bus. For tests and single-process tools.
 */
export interface MemoryBusConfig {
  readonly kind: 'memory';
}

export interface JetStreamBusConfig {
  readonly kind: 'jetstream';
  /** One URL, a comma-separated list, or an array (cluster seeds). Default `nats://127.0.0.1:4222`. */
  readonly url?: string | readonly string[];
  /** Default `EVENTS`. */
  readonly stream?: string;
  /** Event type `job.created` is published on `{subjectPrefix}.job.created`. Default `events`. */
  readonly subjectPrefix?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Path of a `.creds` file. */
  readonly creds?: string;
  /** An NKey seed, or the path of a file holding one. */
  readonly nkeySeed?: string;
  /** File paths; mutual TLS when `cert` and `key` are given. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Longest wait for a publish acknowledgement. Default 4 s. */
  readonly publishTimeoutMs?: number;
  /** Connection name shown by the server. Default `sluice-bus`. */
  readonly name?: string;
}

export type BusConfig = MemoryBusConfig | JetStreamBusConfig;
