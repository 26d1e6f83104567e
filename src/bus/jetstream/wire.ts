import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { EventEnvelope } from '../../envelope/index.js';
import type { ReplayMark } from '../port.js';

/**
 * How an event is carried in a NATS message: the CloudEvents attributes in headers
 * (CloudEvents NATS binding), the data's JSON bytes as the payload. The gateway, the worker
 * and the bus library all read and write this one format.
 */
export const HEADER = {
  msgId: 'Nats-Msg-Id',
  id: 'ce-id',
  specVersion: 'ce-specversion',
  type: 'ce-type',
  source: 'ce-source',
  subject: 'ce-subject',
  time: 'ce-time',
  contentType: 'content-type',
  originId: 'ce-originid',
  traceparent: 'traceparent',
  receivedAt: 'sluice-received-at',
  entity: 'sluice-entity',
  replaySeq: 'sluice-replay-seq',
  replayId: 'sluice-replay-id',
  deadLetterReason: 'sluice-dlq-reason',
  deadLetterSeq: 'sluice-dlq-seq',
} as const;

const RESERVED = new Set<string>(Object.values(HEADER).map((h) => h.toLowerCase()));

/** The NATS headers of an event (and of its replay, which needs its own message id). */
export function envelopeHeaders(envelope: EventEnvelope, replay?: ReplayMark): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER.msgId, replay === undefined ? envelope.id : `${envelope.id}:replay:${replay.replayId}`);
  h.set(HEADER.specVersion, '1.0');
  h.set(HEADER.id, envelope.id);
  h.set(HEADER.type, envelope.type);
  h.set(HEADER.source, envelope.source);
  h.set(HEADER.time, envelope.time);
  h.set(HEADER.receivedAt, envelope.receivedAt);
  if (envelope.subject !== undefined) h.set(HEADER.subject, envelope.subject);
  if (envelope.originId !== undefined) h.set(HEADER.originId, envelope.originId);
  if (envelope.entity !== undefined) h.set(HEADER.entity, envelope.entity);
  if (envelope.traceparent !== undefined) h.set(HEADER.traceparent, envelope.traceparent);
  if (envelope.extensions !== undefined) {
    for (const [name, value] of Object.entries(envelope.extensions)) h.set(`ce-${name}`, value);
  }
  if (replay !== undefined) {
    h.set(HEADER.replaySeq, String(replay.originalSeq));
    h.set(HEADER.replayId, replay.replayId);
  }
  return h;
}

export interface DecodedMessage {
  readonly envelope: EventEnvelope;
  readonly replay?: ReplayMark;
}

/** Reads an event back from NATS headers and payload. Returns null for a message that is not a Sluice event. */
export function decodeEnvelope(h: MsgHdrs | undefined, data: Uint8Array, subject: string, subjectPrefix: string): DecodedMessage | null {
  if (h === undefined) return null;
  // One pass over the headers: `MsgHdrs.get` scans every key on each call, and the worker
  // decodes every message it consumes.
  let id = '';
  let type = '';
  let source = '';
  let time = '';
  let receivedAt = '';
  let subjectAttr = '';
  let originId = '';
  let entity = '';
  let traceparent = '';
  let replaySeq = '';
  let replayId = '';
  let extensions: Record<string, string> | undefined;
  for (const [name, values] of h) {
    const value = values[0] ?? '';
    switch (name) {
      case HEADER.id:
        id = value;
        continue;
      case HEADER.type:
        type = value;
        continue;
      case HEADER.source:
        source = value;
        continue;
      case HEADER.time:
        time = value;
        continue;
      case HEADER.receivedAt:
        receivedAt = value;
        continue;
      case HEADER.subject:
        subjectAttr = value;
        continue;
      case HEADER.originId:
        originId = value;
        continue;
      case HEADER.entity:
        entity = value;
        continue;
      case HEADER.traceparent:
        traceparent = value;
        continue;
      case HEADER.replaySeq:
        replaySeq = value;
        continue;
      case HEADER.replayId:
        replayId = value;
        continue;
    }
    const lower = name.toLowerCase();
    if (!lower.startsWith('ce-') || RESERVED.has(lower)) continue;
    (extensions ??= {})[lower.slice(3)] = value;
  }
  if (id === '') return null;
  const envelope: EventEnvelope = {
    id,
    type: type || subject.slice(subjectPrefix.length + 1),
    source: source || '/sluice',
    time: time || receivedAt,
    receivedAt,
    data,
    ...(subjectAttr !== '' ? { subject: subjectAttr } : {}),
    ...(originId !== '' ? { originId } : {}),
    ...(entity !== '' ? { entity } : {}),
    ...(traceparent !== '' ? { traceparent } : {}),
    ...(extensions !== undefined ? { extensions } : {}),
  };
  if (replaySeq === '') return { envelope };
  return { envelope, replay: { originalSeq: Number(replaySeq), replayId } };
}
