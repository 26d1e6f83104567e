/**
 * The one shape an event has inside Sluice: CloudEvents 1.0 attributes plus ingestion
 * metadata. It is built once at the edge (gateway or bus library) and travels unchanged
 * through the bus to the worker. `data` is kept as the JSON bytes the producer sent, so the
 * hot path never parses and re-serialises a payload it only forwards.
 */
export interface EventEnvelope {
  /** Sluice's id (UUID). Derived from the idempotency key when there is one. */
  readonly id: string;
  /** Event type, e.g. `order.created`; also the subject suffix. */
  readonly type: string;
  /** CloudEvents `source` (`/sluice` when the producer gave none). */
  readonly source: string;
  /** CloudEvents `subject`. */
  readonly subject?: string;
  /** CloudEvents `time`: the producer's, or the time of receipt. RFC 3339. */
  readonly time: string;
  /** When Sluice received it. RFC 3339, milliseconds, UTC. */
  readonly receivedAt: string;
  /** The JSON text of the data, as UTF-8 bytes. */
  readonly data: Uint8Array;
  /** The producer's own CloudEvents id, when it differs from Sluice's. */
  readonly originId?: string;
  /** Entity hint (`?entity=` / `X-Entity-Type`): routes the event to that entity whatever its type. */
  readonly entity?: string;
  /** W3C trace context of the request that produced the event. */
  readonly traceparent?: string;
  /** Other CloudEvents extension attributes (lower-case names), string-valued. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** What a stored event looks like once the bus has given it a sequence. */
export interface SequencedEnvelope {
  readonly envelope: EventEnvelope;
  /** The stream sequence the event was first stored under (kept across replays). */
  readonly seq: number;
}

export const DEFAULT_SOURCE = '/sluice';
export const DATA_CONTENT_TYPE = 'application/json';
