import type { MsgHdrs } from '@nats-io/nats-core';
import type { EventEnvelope } from '../../envelope/index.js';
import { HEADER, envelopeHeaders } from './wire.js';

/** The message given up on: its event, the sequence it was first stored under, and its own. */
export interface GivenUp {
  readonly envelope: EventEnvelope;
  readonly seq: number;
  readonly streamSeq?: number;
}

/**
 * A dead letter's headers and data. It always fits the server's max_payload: when the event's
 * data with the dead letter's headers (the reason adds up to 1000 bytes) would not, the data is
 * left out and `sluice-dlq-data-omitted` says how large it was; the data stays in the stream at
 * `sluice-dlq-stream-seq` and in the archive, from where a replay re-delivers it.
 */
export function deadLetterMessage(delivery: GivenUp, reason: string, payloadLimit: number): { msgId: string; headers: MsgHdrs; data: Uint8Array } {
  const headers = deadLetterHeaders(delivery.envelope);
  // One message id per message given up on: a retried batch does not dead-letter it twice, a replay that fails again does.
  const msgId = `${delivery.envelope.id}:dlq:${delivery.streamSeq ?? delivery.seq}`;
  headers.set(HEADER.msgId, msgId);
  headers.set(HEADER.deadLetterReason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
  headers.set(HEADER.deadLetterSeq, String(delivery.seq));
  headers.set(HEADER.deadLetterStreamSeq, String(delivery.streamSeq ?? delivery.seq));
  let data = delivery.envelope.data;
  if (encodedLength(headers) + data.byteLength > payloadLimit) {
    headers.set(HEADER.deadLetterDataOmitted, String(data.byteLength));
    data = new Uint8Array(0);
  }
  return { msgId, headers, data };
}

/**
 * The event's headers for its dead letter. An event read from a message published straight to
 * NATS may carry extension names or values MsgHdrs refuses to write back: those are left out
 * rather than lose the dead letter.
 */
function deadLetterHeaders(envelope: EventEnvelope): MsgHdrs {
  try {
    return envelopeHeaders(envelope);
  } catch {
    const clean = (value: string): string => value.replace(/[\r\n]+/g, ' ');
    const copy: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
      id: envelope.id,
      type: clean(envelope.type),
      source: clean(envelope.source),
      time: clean(envelope.time),
      receivedAt: clean(envelope.receivedAt),
      data: envelope.data,
      dataContentType: clean(envelope.dataContentType),
    };
    if (envelope.subject !== undefined) copy.subject = clean(envelope.subject);
    if (envelope.originId !== undefined) copy.originId = clean(envelope.originId);
    if (envelope.entity !== undefined) copy.entity = clean(envelope.entity);
    if (envelope.traceparent !== undefined) copy.traceparent = clean(envelope.traceparent);
    const extensions = Object.entries(envelope.extensions ?? {}).filter(([name]) => isHeaderName(`ce-${name}`));
    if (extensions.length > 0) copy.extensions = Object.fromEntries(extensions.map(([name, value]) => [name, clean(value)]));
    return envelopeHeaders(copy);
  }
}

function isHeaderName(name: string): boolean {
  return /^[!-9;-~]+$/.test(name);
}

/** Bytes a header block takes on the wire, as the server counts it against max_payload. */
function encodedLength(headers: MsgHdrs): number {
  return (headers as unknown as { encode(): Uint8Array }).encode().byteLength;
}
