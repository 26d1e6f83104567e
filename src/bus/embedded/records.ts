import { DATA_CONTENT_TYPE, type EventEnvelope } from '../../envelope/index.js';
import type { ReplayMark } from '../port.js';

/** How one message is kept in the log (msgpack through lmdb). Short keys: it is written per event. */
export interface StoredMessage {
  /** The message id the duplicate window keys on. */
  readonly m: string;
  /** When it was stored (ms since epoch), for the duplicate window and max-age trimming. */
  readonly ts: number;
  readonly e: StoredEnvelope;
  readonly d: Uint8Array;
  /** Replay mark: original sequence and replay id. */
  readonly r?: { readonly s: number; readonly i: string; readonly t?: string };
}

type StoredEnvelope = Omit<EventEnvelope, 'data'>;

/** A dead letter: the event, the sequence it was delivered under, and why it failed. */
export interface StoredDeadLetter {
  readonly ts: number;
  readonly seq: number;
  readonly reason: string;
  readonly e: StoredEnvelope;
  readonly d: Uint8Array;
}

/** What the duplicate window and `lookup` remember of a message id. */
export interface StoredId {
  readonly seq: number;
  readonly ts: number;
}

/** The message id JetStream would dedupe on: the event id, or its replay's own id. */
export function messageIdOf(envelope: EventEnvelope, replay?: ReplayMark): string {
  return replay === undefined ? envelope.id : `${envelope.id}:replay:${replay.replayId}`;
}

export function storedEnvelope(envelope: EventEnvelope): StoredEnvelope {
  // Leave absent attributes out entirely: msgpack would keep an explicit undefined.
  const out: Record<string, unknown> = {
    id: envelope.id,
    type: envelope.type,
    source: envelope.source,
    time: envelope.time,
    receivedAt: envelope.receivedAt,
    dataContentType: envelope.dataContentType,
  };
  if (envelope.dataSchema !== undefined) out.dataSchema = envelope.dataSchema;
  if (envelope.subject !== undefined) out.subject = envelope.subject;
  if (envelope.originId !== undefined) out.originId = envelope.originId;
  if (envelope.entity !== undefined) out.entity = envelope.entity;
  if (envelope.traceparent !== undefined) out.traceparent = envelope.traceparent;
  if (envelope.extensions !== undefined) out.extensions = { ...envelope.extensions };
  return out as unknown as StoredEnvelope;
}

export function toStoredMessage(envelope: EventEnvelope, msgId: string, ts: number, replay?: ReplayMark): StoredMessage {
  const record = { m: msgId, ts, e: storedEnvelope(envelope), d: envelope.data };
  if (replay === undefined) return record;
  return { ...record, r: replay.target === undefined ? { s: replay.originalSeq, i: replay.replayId } : { s: replay.originalSeq, i: replay.replayId, t: replay.target } };
}

export function envelopeOf(stored: { readonly e: StoredEnvelope; readonly d: Uint8Array }): EventEnvelope {
  // Logs written before content types were kept hold JSON.
  return { ...stored.e, dataContentType: (stored.e.dataContentType as string | undefined) ?? DATA_CONTENT_TYPE, data: stored.d };
}
