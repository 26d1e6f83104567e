/** The error body every Sluice error answer carries, and each rejected line of a batch. */
export interface ApiErrorDetail {
  code: string;
  message: string;
}

/** `202` answer of `POST /events/{type}` and of each accepted CloudEvent. */
export interface AcceptedEvent {
  /** Sluice's event id (UUID). */
  id: string;
  type: string;
  status: 'accepted';
  /** The event's time, RFC 3339. */
  time: string;
  /** The JetStream stream sequence the event was stored under. */
  seq: number;
}

/** One entry of a CloudEvents batch answer: accepted, or why this event was refused. */
export type CloudEventResult = AcceptedEvent | { error: ApiErrorDetail };

/** One line of an `/ingest/batch` answer. `line` is the 1-based physical line of the body. */
export type BatchLineResult = { line: number; message_id: string } | { line: number; error: ApiErrorDetail };

/** The answer of `POST /ingest/batch`. */
export interface BatchResult {
  accepted: number;
  rejected: number;
  results: BatchLineResult[];
}

/** Where an event is on its way to the database. */
export type MessageState = 'accepted' | 'processing' | 'persisted' | 'failed';

/** `GET /ingest/status/{id}`. */
export interface MessageStatus {
  message_id: string;
  status: MessageState;
  type: string;
  entity_type: string | null;
  received_at: string;
  processed_at: string | null;
  attempts: number;
  error: string | null;
  /** The entity rows the event wrote or deleted, by table and key (absent from gateways before entity rows were reported). */
  rows?: EntityRowRef[];
}

/** A row of an entity table: its table (`orders`, `analytics.orders`) and key. */
export interface EntityRowRef {
  table: string;
  key: Record<string, unknown>;
  /** The event deleted it. */
  deleted?: boolean;
}

/** A stored event, as a structured CloudEvent (`GET /events/{id}`, and the items of a listing). */
export interface StoredEvent {
  specversion: string;
  /** Sluice's id. */
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype?: string;
  data?: unknown;
  /** The producer's own CloudEvents id, when it gave one. */
  originid?: string;
  /** Other extension attributes. */
  [attribute: string]: unknown;
}

/** An event's data as the producer sent it (`GET /events/{id}/data`). */
export interface EventData {
  /** The exact bytes (in a plain ArrayBuffer: a Blob, a file or a Buffer takes them as they are). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Their media type, as the producer gave it (`datacontenttype`). */
  contentType: string;
}

/** A page of `GET /events`. */
export interface EventPage {
  events: StoredEvent[];
  /** Where the next page starts. Still given at the end, so a reader can poll it for new events. */
  next_cursor: string | null;
}

/** Filter of `GET /events`. Times are RFC 3339 strings or `Date`s. */
export interface ListFilter {
  /** An event type, or a NATS-style pattern (`order.*`, `order.>`). */
  type?: string;
  source?: string;
  /** Received at or after (inclusive). */
  since?: string | Date;
  /** Received before (exclusive). */
  until?: string | Date;
  /** Page size, 1–1000 (the gateway's default is 100). */
  limit?: number;
  /** A `next_cursor` from an earlier page. */
  cursor?: string;
  /** Only events in this state (`failed` lists the dead-lettered ones). */
  status?: MessageState;
  /** Only events whose JSON data contains this document (PostgreSQL `@>`): `{ customer: 'c-42' }` or its JSON text. */
  data?: unknown;
}

/** What to replay: explicit ids, or a type pattern with an optional time range. */
export type ReplayRequest = (
  | { ids: string[] }
  | { type: string; since?: string | Date; until?: string | Date }
) & {
  /** Re-deliver to this subscription only (the database and other subscriptions are left alone). */
  subscription?: string;
};

/** `202` answer of `POST /replay`. */
export interface ReplayAccepted {
  replay_id: string;
  /** How many events matched and are being re-delivered. */
  replayed: number;
  /** Ids in the request that were never accepted. */
  unknown: string[];
}

/** `GET /replay/{replay_id}`. */
export interface ReplayStatus {
  replay_id: string;
  status: 'running' | 'done';
  matched: number;
  published: number;
}

/** `GET /health`. A degraded gateway answers 503 with the same shape; the client returns it as is. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  bus: { kind: 'jetstream' | 'embedded'; connected: boolean };
  db: { kind: 'postgres' | 'embedded'; connected: boolean };
  nats_connected: boolean;
}

/** Options of `send`. */
export interface SendOptions {
  /** Repeats with the same key are stored once and answer the same id. */
  idempotencyKey?: string;
  /** CloudEvents `source` (the gateway uses `/sluice` when none is given). */
  source?: string;
  /** CloudEvents `subject`. */
  subject?: string;
  /** Entity hint: routes the event to the entity of that name whatever its type. */
  entity?: string;
}

/** Options of `sendBatch`. */
export interface BatchOptions {
  /** Event type of every line (the gateway's default is `ingest.message`). */
  type?: string;
  /** Entity hint for every line. */
  entity?: string;
  /** CloudEvents `source` of every line. */
  source?: string;
  /** Line `n` gets the key `K/n`. */
  idempotencyKey?: string;
}

/** A key's name and what it may do, as `GET /auth/key` answers. */
export interface KeyInfo {
  /** True when the gateway has no keys: every request may do everything. */
  open: boolean;
  /** The key's name in the keys file; null when the gateway is open. */
  name: string | null;
  scopes: Array<'ingest' | 'read' | 'replay' | 'admin'>;
  /** Type patterns the key may send; null: any. */
  types: string[] | null;
  rate_per_second: number | null;
}

/** Options of the client. */
export interface SluiceClientOptions {
  /** Base URL of a gateway, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** Per-request time limit (default 30 000 ms). */
  timeoutMs?: number;
  /**
   * How many times to retry an answer of 429 or 503, waiting what `Retry-After` asks
   * (default 0: errors are thrown at once). Nothing was accepted on those answers, so a retry
   * never stores an event twice.
   */
  retries?: number;
  /** Upper bound of one wait between retries (default 30 000 ms). */
  maxRetryDelayMs?: number;
  /** The fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** What `POST /subscriptions` takes (and a subscription file declares). */
export interface SubscriptionDefinition {
  name: string;
  /** Event types or NATS-style patterns (`order.*`, `order.>`). */
  types: string[];
  url: string;
  /** `whsec_…`; generated when left out (and returned once by `createSubscription`). */
  secret?: string;
  /** The event's JSON data must contain this document. */
  filter?: unknown;
  max_attempts?: number;
  /** `"10s"`, `"500ms"`, or a number of seconds. */
  timeout?: string | number;
  max_in_flight?: number;
  ordered?: boolean;
  paused?: boolean;
}

/** A subscription as the API shows it (never its secret). */
export interface Subscription {
  name: string;
  types: string[];
  url: string;
  filter: unknown;
  max_attempts: number;
  timeout: string;
  max_in_flight: number;
  ordered: boolean;
  paused: boolean;
  /** `file`: declared in the subscription file (change it there); `api`: created through the API. */
  origin: 'file' | 'api';
  created_at: string;
  updated_at: string;
}

/** `GET /subscriptions/{name}`: the subscription with where its deliveries stand. */
export interface SubscriptionStatus extends Subscription {
  /** Events not yet delivered nor failed: waiting on the bus, in flight, or between attempts. */
  pending: number;
  delivered: number;
  /** Given up after `max_attempts`: the subscription's dead letters (`replayFailed` sends them again). */
  failed: number;
  retrying: number;
  last_error: { event_id: string; at: string; status_code: number | null; error: string | null } | null;
}

/** `201` answer of `POST /subscriptions`: the one time the secret is shown. */
export interface CreatedSubscription extends Subscription {
  secret: string;
}

/** What `PATCH /subscriptions/{name}` may change. */
export type SubscriptionChange = Partial<Omit<SubscriptionDefinition, 'name' | 'secret'>>;

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One try at delivering an event to a subscription's endpoint. */
export interface DeliveryAttempt {
  subscription: string;
  event_id: string;
  attempt: number;
  attempted_at: string;
  /** The endpoint's HTTP status; null when it did not answer (timeout, refused connection). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: 'delivered' | 'retry' | 'failed';
  replay_id?: string;
}

/** One event's delivery to one subscription, with its attempts. */
export interface Delivery {
  event_id: string;
  event_type: string;
  status: DeliveryState;
  attempts: number;
  status_code: number | null;
  error: string | null;
  first_attempt_at: string;
  last_attempt_at: string;
  attempt_log: DeliveryAttempt[];
}

/** `GET /subscriptions/{name}/deliveries`: newest first. */
export interface DeliveryPage {
  deliveries: Delivery[];
  next_cursor: string | null;
}
