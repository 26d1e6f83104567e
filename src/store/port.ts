import type { EventEnvelope } from '../envelope/index.js';
import type { EntityDefinition, EventRows, RowReference } from '../entities/index.js';
import type { Subscription, SubscriptionInput, SubscriptionPatch } from '../subscriptions/index.js';
import type { DataIndex } from './queries/data-index.js';

export type MessageState = 'accepted' | 'processing' | 'persisted' | 'failed';

/** What a migration applies besides the tables. */
export interface MigrateOptions {
  /** `gin`: index the archive's JSON data for `?data=` searches (`SLUICE_DATA_INDEX`); default `none`. */
  readonly dataIndex?: DataIndex;
}

/** A row of `sluice.message_status`, as the API shows it. */
export interface MessageStatusRecord {
  readonly messageId: string;
  readonly status: MessageState;
  readonly type: string;
  readonly entityType: string | null;
  readonly receivedAt: string;
  readonly processedAt: string | null;
  readonly attempts: number;
  readonly error: string | null;
  /** The entity rows the event wrote or deleted (empty when it feeds no entity). */
  readonly rows: readonly RowReference[];
}

/** An archived event (a row of `sluice.events`). */
export interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: string;
  readonly receivedAt: string;
  readonly streamSeq: number;
  /** The data's exact bytes (for events archived before bytes were kept: the stored JSON's text). */
  readonly data: Uint8Array;
  /** CloudEvents `datacontenttype`. */
  readonly dataContentType: string;
  readonly dataSchema: string | null;
  readonly originId: string | null;
  /** The entity the event was mapped to when it was stored (or its hint, when it mapped to none). */
  readonly entity: string | null;
  /** The producer's own entity hint, if it gave one: all a replay carries, so it maps with the definitions of its time. */
  readonly entityHint: string | null;
  readonly traceparent: string | null;
  readonly extensions: Readonly<Record<string, string>> | null;
}

/** One event the worker writes. */
export interface WriteItem {
  readonly envelope: EventEnvelope;
  /** The sequence the event was first stored under. */
  readonly seq: number;
  /** Re-delivered by a replay: re-apply to its entity even though it is archived. */
  readonly replay: boolean;
  /** The entities it feeds, comma-separated (the status's `entity_type`), or null (archive only). */
  readonly entityType: string | null;
  /** The entity rows it writes, or null (archive only, or failed). */
  readonly rows: EventRows | null;
  /** False when data labelled JSON is not JSON (a plain NATS publish): the archive keeps only its bytes. */
  readonly dataIsJson?: boolean;
  /** Set when the event failed validation: it is archived and marked failed with this reason. */
  readonly failure?: string;
}

export interface WriteOutcome {
  /** Already persisted by an earlier delivery (a redelivery, not a replay): nothing was changed. */
  readonly duplicate: boolean;
}

/**
 * A worker's progress, recorded in the transaction of a batch: every event its consumer had
 * acknowledged up to `writtenThrough` before the transaction began is in the database.
 */
export interface ProgressMark {
  readonly consumer: string;
  readonly writtenThrough: number;
}

export interface AttemptRecord {
  readonly envelope: EventEnvelope;
  readonly entityType: string | null;
  readonly error: string;
  /** The failing message's own stream sequence: failures are counted per message, so a replay starts a fresh count. */
  readonly streamSeq: number;
}

export interface EventQuery {
  /** Type pattern with NATS wildcards. */
  readonly type?: string;
  readonly source?: string;
  /** Inclusive, RFC 3339. */
  readonly since?: string;
  /** Exclusive, RFC 3339. */
  readonly until?: string;
  readonly limit: number;
  /** JSON text the event's data must contain (`data @> …`). */
  readonly data?: string;
  /** Only events whose processing status is this. */
  readonly status?: MessageState;
  /** Return only events with stream_seq greater than this. */
  readonly afterSeq: number;
  /** Return only events with stream_seq up to this (everything up to it is known). */
  readonly maxSeq: number;
}

export interface ReplaySelector {
  readonly ids?: readonly string[];
  readonly type?: string;
  readonly since?: string;
  readonly until?: string;
  /** Only events up to this stream sequence: fixed when a range replay starts, so events archived later are not in it. */
  readonly maxSeq?: number;
}

/** A replay's progress, kept where every gateway can read it. */
export interface ReplayProgress {
  readonly replayId: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly matched: number;
  readonly published: number;
  readonly error: string | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One try at delivering an event to a subscription's endpoint. */
export interface DeliveryAttempt {
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** 1-based, counted by the bus (a replay starts again at 1). */
  readonly attempt: number;
  /** RFC 3339. */
  readonly attemptedAt: string;
  /** The endpoint's HTTP status; null when there was no answer. */
  readonly statusCode: number | null;
  /** Why it did not count as delivered (timeout, refused connection, the status); null when delivered. */
  readonly error: string | null;
  readonly durationMs: number;
  /** `retry`: it will be tried again; `failed`: given up (the subscription's dead letter). */
  readonly outcome: 'delivered' | 'retry' | 'failed';
  readonly replayId?: string;
}

/** Where one event's delivery to one subscription stands. */
export interface DeliveryRecord {
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryState;
  readonly attempts: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
  /** Orders the listing (newest first); the cursor. */
  readonly position: number;
}

export interface SubscriptionCounts {
  readonly delivered: number;
  readonly failed: number;
  /** Tried and waiting for another attempt. */
  readonly retrying: number;
  readonly lastError: { readonly eventId: string; readonly at: string; readonly statusCode: number | null; readonly error: string | null } | null;
}

/** Subscriptions and their delivery log (tables `sluice.subscriptions`, `sluice.deliveries`, `sluice.delivery_attempts`). */
export interface SubscriptionRecords {
  list(): Promise<Subscription[]>;
  get(name: string): Promise<Subscription | null>;
  /** Null when the name is taken. */
  create(input: SubscriptionInput & { secret: string }): Promise<Subscription | null>;
  update(name: string, patch: SubscriptionPatch): Promise<Subscription | null>;
  remove(name: string): Promise<boolean>;
  /** Makes the declared subscriptions (the file's) exactly these: adds, updates, removes; returns what changed by name. */
  syncDeclared(inputs: ReadonlyArray<SubscriptionInput & { secret: string }>): Promise<{ added: string[]; removed: string[] }>;
  recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void>;
  counts(subscriptionId: string): Promise<SubscriptionCounts>;
  /** Newest first; `beforePosition` continues a listing. */
  deliveries(subscriptionId: string, query: { status?: DeliveryState; beforePosition?: number; limit: number }): Promise<DeliveryRecord[]>;
  /** Attempts of these events, oldest first; for one subscription when given. */
  attempts(eventIds: readonly string[], subscriptionId?: string): Promise<Array<Omit<DeliveryAttempt, 'eventType'>>>;
}

/**
 * The database port: migrations, the archive, message status, entity tables. Adapters:
 * PostgreSQL (`postgres/`) and the embedded PostgreSQL (`embedded/`), one SQL dialect.
 */
export interface StorePort {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Two write transactions can run at once, each on its own connection (a PostgreSQL server);
   * false for the embedded database, which runs one transaction at a time.
   */
  readonly concurrentWrites: boolean;
  readonly subscriptions: SubscriptionRecords;
  /** Creates or upgrades the system tables and the given entities' tables, and the data index when asked. */
  migrate(entities?: readonly EntityDefinition[], options?: MigrateOptions): Promise<void>;
  /**
   * Writes a batch in one transaction: archive rows, statuses, entity upserts, and the worker's
   * progress when given. One outcome per item.
   */
  writeBatch(items: readonly WriteItem[], progress?: ProgressMark): Promise<WriteOutcome[]>;
  /** Records a worker's progress on its own (after recovery, at stop). */
  recordProgress(progress: ProgressMark): Promise<void>;
  /**
   * A consumer's recorded progress: 0 when the database holds no event yet, null when it holds
   * events written before progress was recorded (nothing is known about them).
   */
  readProgress(consumer: string): Promise<number | null>;
  /**
   * Records failed attempts (status `processing`, attempts + 1, the error); returns per item the
   * failed attempts of its message so far (the count SLUICE_MAX_DELIVER is compared with).
   */
  recordFailedAttempts(items: readonly AttemptRecord[]): Promise<number[]>;
  /**
   * Settles an event as `failed` with `item.failure`, in a write the event's content cannot make
   * fail: its archive row as it came if the database takes it, else a storable copy of it
   * (see `storableEnvelope`), else none; its status row always. Throws only when the database
   * cannot be reached.
   */
  settleFailed(item: WriteItem & { readonly failure: string }): Promise<void>;
  getStatus(id: string): Promise<MessageStatusRecord | null>;
  getEvent(id: string): Promise<StoredEvent | null>;
  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** Pages of archived events matching the selector, in stream order. */
  selectForReplay(selector: ReplaySelector, pageSize: number): AsyncIterable<StoredEvent[]>;
  /** How many archived events match; for ids, which of them are archived; for a range, the highest stream sequence matched. */
  countForReplay(selector: ReplaySelector): Promise<{ matched: number; knownIds?: string[]; maxSeq?: number }>;
  saveReplay(replay: ReplayProgress, selector?: ReplaySelector): Promise<void>;
  getReplay(replayId: string): Promise<ReplayProgress | null>;
  /** The creation time recorded for the stream the workers consume (its identity), or null. */
  streamCreated(stream: string): Promise<string | null>;
  recordStreamCreated(stream: string, created: string): Promise<void>;
  /** The highest stream sequence of any stored event, 0 when none. */
  highestStreamSeq(): Promise<number>;
  /** Creates archive partitions covering the days around `now`; drops those older than the retention. */
  maintainPartitions(now: Date, retentionMs: number | null): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
