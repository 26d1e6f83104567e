/**
 * The one shape an event has inside Sluice: CloudEvents 1.0 attributes plus ingestion
 * metadata. It is built once at the edge (gateway or bus library, by `buildEnvelope`) and
 * travels unchanged through the bus to the worker. `data` is kept as the exact bytes the
 * producer sent, whatever their content type, so every way out gives back what came in and
 * the hot path never parses and re-serialises a payload it only forwards.
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
  /** The data's exact bytes, as the producer sent them (empty when the event has no data). */
  readonly data: Uint8Array;
  /** CloudEvents `datacontenttype`: the media type of `data`, as the producer gave it. */
  readonly dataContentType: string;
  /** CloudEvents `dataschema` (a URI). */
  readonly dataSchema?: string;
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
/** The content type of data given without one: JSON in the CloudEvents JSON format and the bus library. */
export const DATA_CONTENT_TYPE = 'application/json';
/** The content type of an HTTP body sent without a Content-Type. */
export const UNLABELLED_CONTENT_TYPE = 'application/octet-stream';
