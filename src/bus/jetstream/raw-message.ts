import { v5 as uuidV5 } from 'uuid';
import { isEventId, type EventEnvelope } from '../../envelope/index.js';
import { rawContentType } from './wire.js';

/** Namespace of the ids given to messages published to the stream without Sluice's headers (by a raw NATS client). */
export const RAW_MESSAGE_NAMESPACE = '8f7c1b5e-3a14-4d6f-b0a2-5c9e7d31f604';

/** The id of a message without Sluice's headers: the same wherever it is read (worker, lookup). */
export function rawMessageId(stream: string, seq: number): string {
  return uuidV5(`${stream}:${seq}`, RAW_MESSAGE_NAMESPACE);
}

/**
 * The id a stored message is known by: its `ce-id` when that is a UUID, else the id of the
 * raw message at `seq` (a raw NATS publish, whose `ce-id`, if any, is the producer's own).
 * The worker, the lookup and the stream search all name a message this one way.
 */
export function storedMessageId(ceId: string | undefined, stream: string, seq: number): string {
  return ceId !== undefined && isEventId(ceId) ? ceId : rawMessageId(stream, seq);
}

/** The envelope under its stored id (`storedMessageId`); a replaced id is kept as `originId`. */
export function withStoredId(envelope: EventEnvelope, stream: string, seq: number): EventEnvelope {
  const id = storedMessageId(envelope.id, stream, seq);
  return id === envelope.id ? envelope : { ...envelope, id, originId: envelope.originId ?? envelope.id };
}

/** An event published to the stream by a raw NATS client, without Sluice's headers: archived all the same. */
export function rawEnvelope(
  m: { subject: string; seq: number; data: Uint8Array; storedAtMs: number; contentType?: string | undefined },
  stream: string,
  subjectPrefix: string,
): EventEnvelope {
  const receivedAt = new Date(m.storedAtMs).toISOString();
  return {
    id: rawMessageId(stream, m.seq),
    type: m.subject.slice(subjectPrefix.length + 1),
    source: '/nats',
    time: receivedAt,
    receivedAt,
    data: m.data,
    dataContentType: rawContentType(m.contentType),
  };
}

