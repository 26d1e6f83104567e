import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { DATA_CONTENT_TYPE, mediaTypeEssence, type EventEnvelope } from '../../envelope/index.js';
import type { ReplayMark } from '../port.js';

/**
 * How an event is carried in a NATS message: the CloudEvents NATS binding's binary mode,
 * the attributes in headers (`datacontenttype` as `content-type`), the data's exact bytes as
 * the payload. The gateway, the worker
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
  dataSchema: 'ce-dataschema',
  originId: 'ce-originid',
  traceparent: 'traceparent',
  receivedAt: 'sluice-received-at',
  entity: 'sluice-entity',
  replaySeq: 'sluice-replay-seq',
  replayId: 'sluice-replay-id',
  replayTarget: 'sluice-replay-for',
  deadLetterReason: 'sluice-dlq-reason',
  deadLetterSeq: 'sluice-dlq-seq',
  /** The dead-lettered message's own stream sequence: where its data can be read when the dead letter had to leave it out. */
  deadLetterStreamSeq: 'sluice-dlq-stream-seq',
  /** Set (to the data's size in bytes) when the dead letter carries no data because with it the message would not fit. */
  deadLetterDataOmitted: 'sluice-dlq-data-omitted',
} as const;

const RESERVED = new Set<string>(Object.values(HEADER).map((h) => h.toLowerCase()));

/** The headers of an event (and of its replay, which needs its own message id), in order: name, value, name, value… */
function envelopeHeaderPairs(envelope: EventEnvelope, replay?: ReplayMark): string[] {
  const pairs = [
    HEADER.msgId,
    replay === undefined ? envelope.id : `${envelope.id}:replay:${replay.replayId}`,
    HEADER.specVersion,
    '1.0',
    HEADER.id,
    envelope.id,
    HEADER.type,
    envelope.type,
    HEADER.source,
    envelope.source,
    HEADER.time,
    envelope.time,
    HEADER.receivedAt,
    envelope.receivedAt,
    HEADER.contentType,
    envelope.dataContentType,
  ];
  if (envelope.dataSchema !== undefined) pairs.push(HEADER.dataSchema, envelope.dataSchema);
  if (envelope.subject !== undefined) pairs.push(HEADER.subject, envelope.subject);
  if (envelope.originId !== undefined) pairs.push(HEADER.originId, envelope.originId);
  if (envelope.entity !== undefined) pairs.push(HEADER.entity, envelope.entity);
  if (envelope.traceparent !== undefined) pairs.push(HEADER.traceparent, envelope.traceparent);
  if (envelope.extensions !== undefined) {
    for (const [name, value] of Object.entries(envelope.extensions)) pairs.push(`ce-${name}`, value);
  }
  if (replay !== undefined) pairs.push(HEADER.replaySeq, String(replay.originalSeq), HEADER.replayId, replay.replayId);
  if (replay?.target !== undefined) pairs.push(HEADER.replayTarget, replay.target);
  return pairs;
}

/** The NATS headers of an event (and of its replay, which needs its own message id). */
export function envelopeHeaders(envelope: EventEnvelope, replay?: ReplayMark): MsgHdrs {
  const h = natsHeaders();
  const pairs = envelopeHeaderPairs(envelope, replay);
  for (let i = 0; i < pairs.length; i += 2) h.set(pairs[i]!, pairs[i + 1]!);
  return h;
}

const LINE_BREAK = /[\r\n]/;

/**
 * The header block of an event, encoded: byte for byte what `envelopeHeaders(…).encode()`
 * gives (same lines, same order, values trimmed, the same errors for a line break in a value
 * or a bad character in a name), without building a `MsgHdrs` (a Map, an array per header and
 * a canonical-name check per `set`) for every event the gateway publishes.
 */
export function encodeEnvelopeHeaders(envelope: EventEnvelope, replay?: ReplayMark): Uint8Array {
  // An extension named like a header set here would replace it in MsgHdrs: let MsgHdrs decide.
  if (envelope.extensions !== undefined && Object.keys(envelope.extensions).some((name) => RESERVED.has(`ce-${name}`.toLowerCase()))) {
    return (envelopeHeaders(envelope, replay) as unknown as { encode(): Uint8Array }).encode();
  }
  const pairs = envelopeHeaderPairs(envelope, replay);
  let block = 'NATS/1.0';
  for (let i = 0; i < pairs.length; i += 2) {
    // The name first, then the value, as MsgHdrs checks them.
    const name = checkedName(pairs[i]!);
    const value = pairs[i + 1]!;
    if (LINE_BREAK.test(value)) throw new Error("'header' values cannot contain \\r or \\n");
    block += `\r\n${name}: ${value.trim()}`;
  }
  // Buffer.from takes a block this small from Node's shared pool: no ArrayBuffer of its own per event for the scavenger to sweep.
  return Buffer.from(`${block}\r\n\r\n`, 'utf8');
}

/** A header name as MsgHdrs accepts it: printable ASCII, no colon. */
function checkedName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 58 || c < 33 || c > 126) throw new Error(`'header' '${name[i]}' is not a valid character in a header name`);
  }
  return name;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface DecodedMessage {
  readonly envelope: EventEnvelope;
  readonly replay?: ReplayMark;
  /** Why the message cannot be taken as the event its headers name (it is then settled as failed). */
  readonly problem?: string;
}

/**
 * Reads an event back from NATS headers and payload. Returns null for a message that is not a
 * Sluice event. `storedAt` is when the stream stored the message: the time of receipt of a
 * message published without one (straight to NATS, with a `ce-id`).
 */
export function decodeEnvelope(h: MsgHdrs | undefined, data: Uint8Array, subject: string, subjectPrefix: string, storedAt?: () => string): DecodedMessage | null {
  if (h === undefined) return null;
  const pairs: string[] = [];
  for (const [name, values] of h) pairs.push(name, values[0] ?? '');
  return decodePairs(pairs, data, subject, subjectPrefix, storedAt);
}

const blockDecoder = new TextDecoder();

/**
 * The same as `decodeEnvelope`, from the message's raw header block (`NATS/1.0\r\nName: value\r\n…`),
 * read the way nats.js reads it (a name is everything before the first colon, the value is
 * trimmed; the first value of a repeated name counts). The worker decodes every message it
 * consumes: going through `MsgHdrs` cost a Map, an array per header and a check of every
 * name's characters, per message.
 */
export function decodeEnvelopeFromBlock(block: Uint8Array, data: Uint8Array, subject: string, subjectPrefix: string, storedAt?: () => string): DecodedMessage | null {
  return decodePairs(headerPairs(blockDecoder.decode(block)), data, subject, subjectPrefix, storedAt);
}

/** Name, value, name, value… of a header block's lines, the status line skipped. */
export function headerPairs(text: string): string[] {
  const pairs: string[] = [];
  let start = text.indexOf('\r\n');
  if (start === -1) return pairs;
  start += 2;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon !== -1 && colon < end) pairs.push(text.slice(start, colon), text.slice(colon + 1, end).trim());
    start = end + 2;
  }
  return pairs;
}

/** Sluice writes times of receipt as `Date.toISOString()` does: 24 characters ending in Z. */
function isReceiptTime(text: string): boolean {
  return text.length === 24 && text.charCodeAt(23) === 90 && !Number.isNaN(Date.parse(text));
}

function decodePairs(pairs: readonly string[], data: Uint8Array, subject: string, subjectPrefix: string, storedAt?: () => string): DecodedMessage | null {
  // One pass over the headers (`MsgHdrs.get` scans every key on each call); a repeated name keeps its first value.
  let id = '';
  let type = '';
  let source = '';
  let time = '';
  let receivedAt = '';
  let subjectAttr = '';
  let contentType = '';
  let dataSchema = '';
  let originId = '';
  let entity = '';
  let traceparent = '';
  let replaySeq = '';
  let replayId = '';
  let replayTarget = '';
  let extensions: Record<string, string> | undefined;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    switch (name) {
      case HEADER.id:
        id ||= value;
        continue;
      case HEADER.type:
        type ||= value;
        continue;
      case HEADER.source:
        source ||= value;
        continue;
      case HEADER.time:
        time ||= value;
        continue;
      case HEADER.receivedAt:
        receivedAt ||= value;
        continue;
      case HEADER.subject:
        subjectAttr ||= value;
        continue;
      case HEADER.contentType:
        contentType ||= value;
        continue;
      case HEADER.dataSchema:
        dataSchema ||= value;
        continue;
      case HEADER.originId:
        originId ||= value;
        continue;
      case HEADER.entity:
        entity ||= value;
        continue;
      case HEADER.traceparent:
        traceparent ||= value;
        continue;
      case HEADER.replaySeq:
        replaySeq ||= value;
        continue;
      case HEADER.replayId:
        replayId ||= value;
        continue;
      case HEADER.replayTarget:
        replayTarget ||= value;
        continue;
    }
    const lower = name.toLowerCase();
    if (!lower.startsWith('ce-') || RESERVED.has(lower)) continue;
    const key = lower.slice(3);
    extensions ??= {};
    if (!Object.hasOwn(extensions, key)) extensions[key] = value;
  }
  if (id === '') return null;
  // Published straight to NATS without one (or with something else): the stream's own time of storing it.
  if (storedAt !== undefined && !isReceiptTime(receivedAt)) receivedAt = storedAt();
  const envelope: Mutable<EventEnvelope> = {
    id,
    type: type || subject.slice(subjectPrefix.length + 1),
    source: source || '/sluice',
    time: time || receivedAt,
    receivedAt,
    data,
    // Messages published before content types were carried hold JSON.
    dataContentType: contentType || DATA_CONTENT_TYPE,
  };
  if (dataSchema !== '') envelope.dataSchema = dataSchema;
  // Assigned, not spread in: a spread of an empty object per absent attribute, per message, showed in the worker's profile.
  if (subjectAttr !== '') envelope.subject = subjectAttr;
  if (originId !== '') envelope.originId = originId;
  if (entity !== '') envelope.entity = entity;
  if (traceparent !== '') envelope.traceparent = traceparent;
  if (extensions !== undefined) envelope.extensions = extensions;
  if (replaySeq === '') return { envelope };
  // A replay mark that is not one Sluice wrote (a sequence that is not a positive integer) cannot be trusted for the newest-wins guard.
  const originalSeq = Number(replaySeq);
  if (!Number.isSafeInteger(originalSeq) || originalSeq <= 0) return { envelope, problem: `its ${HEADER.replaySeq} header is not a stream sequence: "${replaySeq.slice(0, 40)}"` };
  return { envelope, replay: replayTarget === '' ? { originalSeq, replayId } : { originalSeq, replayId, target: replayTarget } };
}

/** The content type of a message a plain NATS client published: its `content-type` header, else JSON (what Sluice assumed before). */
export function rawContentType(header: string | undefined): string {
  return header !== undefined && mediaTypeEssence(header) !== null ? header : DATA_CONTENT_TYPE;
}

/**
 * The raw header block of a consumed message, where this nats.js version keeps it (the message
 * object's `msg._rdata` up to `msg._msg.hdr`); undefined elsewhere, and the headers are then
 * read through `MsgHdrs`. Reading the block directly is the worker's cheapest way to its
 * attributes (see `decodeEnvelopeFromBlock`). package.json pins nats.js to the version whose
 * fields these are; test/unit/nats-internals.test.ts fails when they move.
 */
export function rawHeaderBlock(m: JsMsg): Uint8Array | undefined {
  const inner = (m as { msg?: { _rdata?: unknown; _msg?: { hdr?: unknown } } }).msg;
  const hdr = inner?._msg?.hdr;
  const raw = inner?._rdata;
  if (typeof hdr !== 'number' || hdr <= 0 || !(raw instanceof Uint8Array) || hdr > raw.length) return undefined;
  return raw.subarray(0, hdr);
}
