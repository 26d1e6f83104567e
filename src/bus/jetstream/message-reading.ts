import type { JsMsg, StoredMsg } from '@nats-io/jetstream';
import type { EventEnvelope } from '../../envelope/index.js';
import { rawEnvelope, withStoredId } from './raw-message.js';
import { HEADER, decodeEnvelope, decodeEnvelopeFromBlock, rawHeaderBlock, type DecodedMessage } from './wire.js';

/** Where the stream's messages are: its name and the subject prefix its event types follow. */
export interface StreamPlace {
  readonly stream: string;
  readonly subjectPrefix: string;
}

/** When the stream stored a message, in ms. */
function storedAtMs(m: JsMsg): number {
  return Math.floor(Number(m.info.timestampNanos) / 1e6);
}

/**
 * The event a consumed message carries, read tolerantly: a message published straight to NATS
 * may lack Sluice's headers (read as a raw message), its time of receipt (the stream's time of
 * storing it is taken), or carry a `ce-id` that is no UUID (the id is derived from the stream
 * and sequence, the producer's id kept as `originid`). One whose headers cannot be read at all
 * comes with its `problem`, to be settled as failed on its own.
 */
export function readConsumedMessage(m: JsMsg, place: StreamPlace): DecodedMessage {
  const { subjectPrefix, stream } = place;
  const storedAt = () => new Date(storedAtMs(m)).toISOString();
  const raw = (): EventEnvelope =>
    rawEnvelope({ subject: m.subject, seq: m.seq, data: m.data, storedAtMs: storedAtMs(m), contentType: m.headers?.get(HEADER.contentType) }, stream, subjectPrefix);
  let decoded;
  try {
    const block = rawHeaderBlock(m);
    decoded = block !== undefined ? decodeEnvelopeFromBlock(block, m.data, m.subject, subjectPrefix, storedAt) : decodeEnvelope(m.headers, m.data, m.subject, subjectPrefix, storedAt);
  } catch (error) {
    return { envelope: raw(), problem: `the message could not be read as an event: ${(error as Error).message}` };
  }
  if (decoded === null) return { envelope: raw() };
  const { envelope, replay, problem } = decoded;
  const read = {
    envelope: withStoredId(envelope, stream, replay?.originalSeq ?? m.seq),
    ...(replay !== undefined ? { replay } : {}),
  };
  return problem === undefined ? read : { ...read, problem: `the message could not be read as an event: ${problem}` };
}

/** A stored message (a direct get) read as the consumer reads it; `originalSeq` is where the event was first stored. */
export function readStoredMessage(stored: StoredMsg, seq: number, place: StreamPlace): { envelope: EventEnvelope; originalSeq: number } {
  const { stream, subjectPrefix } = place;
  let decoded: DecodedMessage | null = null;
  try {
    decoded = decodeEnvelope(stored.header, stored.data, stored.subject, subjectPrefix, () => stored.time.toISOString());
  } catch {
    // Headers that cannot be read: the worker takes it as a raw message, and so does the lookup.
  }
  const originalSeq = decoded?.replay?.originalSeq ?? seq;
  const envelope =
    decoded?.envelope ??
    rawEnvelope({ subject: stored.subject, seq, data: stored.data, storedAtMs: stored.time.getTime(), contentType: stored.header?.get(HEADER.contentType) }, stream, subjectPrefix);
  return { envelope: withStoredId(envelope, stream, originalSeq), originalSeq };
}
