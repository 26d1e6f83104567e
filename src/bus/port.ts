import type { EventEnvelope } from '../envelope/index.js';

/** Where a publish came from, when it is a re-delivery of a stored event. */
export interface ReplayMark {
  /** The stream sequence the event was first stored under; the worker's newest-wins guard compares it. */
  readonly originalSeq: number;
  readonly replayId: string;
  /** Re-delivery to one subscription only: the worker and every other subscription pass it by. */
  readonly target?: string;
}

export interface PublishRequest {
  readonly envelope: EventEnvelope;
  /** Set for replays: the message gets its own message id so the duplicate window keeps it. */
  readonly replay?: ReplayMark;
}

export interface PublishAck {
  /** The stream sequence of the stored message (of the first copy when `duplicate`). */
  readonly seq: number;
  /** The stream already held a message with this id (idempotent repeat). */
  readonly duplicate: boolean;
}

/** An event as stored on the stream. */
export interface StreamMessage {
  readonly envelope: EventEnvelope;
  /** The sequence the event was first stored under: the message's own, or the original for a replay. */
  readonly seq: number;
  /** This message's own stream sequence (differs from `seq` for a replay). */
  readonly streamSeq: number;
  readonly replayId?: string;
  /**
   * Set when the message could not be read as an event (headers a Sluice publisher never
   * writes): `envelope` is then what could be made of it, and the worker settles it as failed
   * with this reason and a dead letter, on its own.
   */
  readonly problem?: string;
}

/** One message handed to a consumer. Exactly one of ack / nak / term must be called. */
export interface Delivery extends StreamMessage {
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  /** Set for a replay meant for one subscription only (its name). */
  readonly replayTarget?: string;
  ack(): void;
  /** Redeliver after `delayMs`. */
  nak(delayMs: number): void;
  /** Never redeliver. */
  term(reason: string): void;
  /** Reset the ack timer while a slow write is still going on. */
  working(): void;
}

export interface ConsumeOptions {
  /** Durable consumer name shared by every member. */
  readonly durable: string;
  /** Type patterns (NATS wildcards) to receive; default all. */
  readonly types?: readonly string[];
  /** Most messages handed to one batch call. */
  readonly batchSize: number;
  /**
   * How long a batch that is not full may wait for more messages once none are pending,
   * counted from its first message; default 0, handed over at once.
   */
  readonly gatherMs?: number;
  /** How long the bus waits for an ack before it redelivers. */
  readonly ackWaitMs: number;
  /** A consumer created by this call starts with the events stored from this time on; default: the whole stream. */
  readonly startAt?: Date;
}

/** A running consumer. */
export interface ConsumerHandle {
  /** Stops fetching, waits for the batch in hand to finish (up to timeoutMs). */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/** Handles one batch; must settle every delivery (ack, nak or term) before it resolves. */
export type BatchHandler = (batch: readonly Delivery[]) => Promise<void>;

export interface ConsumerLag {
  /** Messages not yet delivered (JetStream num_pending). */
  readonly pending: number;
  /** Delivered and not yet acknowledged (JetStream num_ack_pending). */
  readonly ackPending: number;
  /** Every message up to this stream sequence has been acknowledged. */
  readonly ackFloor: number;
  /** The highest stream sequence handed to the consumer so far: nothing above it is acknowledged. */
  readonly delivered: number;
}

/** What identifies a stream and where its sequences stand. */
export interface StreamState {
  readonly name: string;
  /** When the stream was created: a stream deleted and created again has another. */
  readonly created: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly messages: number;
}

export interface BusHealth {
  readonly kind: 'jetstream' | 'embedded';
  readonly connected: boolean;
}

/** A stored message found by id (events accepted but perhaps not archived yet). */
export interface FoundMessage {
  readonly envelope: EventEnvelope;
  readonly seq: number;
}

/**
 * The bus port. The gateway publishes through it, the worker consumes from it; adapters:
 * JetStream (`jetstream/`) and the embedded durable bus (`embedded/`). Every adapter passes
 * the same contract test suite.
 */
export interface BusPort {
  readonly kind: 'jetstream' | 'embedded';
  /** Connects and creates or updates the streams. */
  start(): Promise<void>;
  /**
   * Stores one event durably and resolves once it is (JetStream ack / synced to disk).
   * Rejects with SluiceError `bus_unavailable` (cannot store now) or `event_too_large`.
   */
  publish(request: PublishRequest): Promise<PublishAck>;
  /** Stores many at once, all in flight together; one result per request, in order. */
  publishMany(requests: readonly PublishRequest[]): Promise<Array<PublishAck | Error>>;
  /**
   * Publishes an event to the dead-letter stream with the reason. `streamSeq` is the sequence
   * of the message being given up on: a redelivery of that message (its batch's commit
   * failed) dead-letters it again, and the bus stores the repeat once.
   */
  publishDeadLetter(delivery: { envelope: EventEnvelope; seq: number; streamSeq?: number }, reason: string): Promise<void>;
  /** Starts a batched durable consumer; batches are handled one at a time. */
  consume(options: ConsumeOptions, handler: BatchHandler): Promise<ConsumerHandle>;
  /**
   * An accepted event by id, found on the bus whatever the workers' lag and however often this
   * process restarted: at least every event the workers' consumer has not acknowledged.
   * Null only when the bus is sure it does not hold such an event; rejects with SluiceError
   * `bus_unavailable` when it cannot tell now (never a false "not there").
   */
  lookup(id: string): Promise<FoundMessage | null>;
  consumerLag(durable: string): Promise<ConsumerLag | null>;
  /**
   * The events stored from `fromSeq` to `toSeq` (inclusive), in stream order, in pages of at
   * most `pageSize`, whatever any consumer has acknowledged (a worker re-reads what the
   * database lost). Rejects with SluiceError `bus_unavailable` when the bus cannot be read.
   */
  readRange(fromSeq: number, toSeq: number, pageSize: number): AsyncIterable<StreamMessage[]>;
  /** The events stream's identity and sequences; null for a bus without a separate stream server (embedded). */
  streamState(): Promise<StreamState | null>;
  /**
   * Makes an empty stream's next message take sequence `seq + 1`, so the sequences of a stream
   * created again go on from where the database's stop (the newest-wins guard compares them).
   */
  continueSequenceAfter(seq: number): Promise<void>;
  /** Removes a durable consumer and its position (stop its members first); nothing when it does not exist. */
  deleteConsumer(durable: string): Promise<void>;
  /** Largest event payload the bus takes, in bytes. */
  maxPayload(): number;
  health(): BusHealth;
  /** Drains and closes. */
  stop(): Promise<void>;
}
