import type { EventEnvelope } from '../envelope/index.js';
import type { StoredEvent } from '../store/index.js';

const decoder = new TextDecoder();

/**
 * A stored event as structured-mode CloudEvent JSON. The data is spliced in as the stored
 * JSON text, never parsed and re-serialised. Sluice's own attributes: `sequence` (the stream
 * sequence, as the CloudEvents sequence extension), `receivedat`, `originid`.
 */
export function cloudEventJson(event: StoredEvent): string {
  return render(
    {
      specversion: '1.0',
      id: event.id,
      source: event.source,
      type: event.type,
      ...(event.subject !== null ? { subject: event.subject } : {}),
      time: event.time,
      datacontenttype: 'application/json',
      ...(event.originId !== null ? { originid: event.originId } : {}),
      ...(event.traceparent !== null ? { traceparent: event.traceparent } : {}),
      ...(event.entity !== null ? { entity: event.entity } : {}),
      ...(event.extensions ?? {}),
      sequence: String(event.streamSeq),
      receivedat: event.receivedAt,
    },
    event.dataText,
  );
}

export function cloudEventJsonFromEnvelope(envelope: EventEnvelope, seq: number): string {
  return render(
    {
      specversion: '1.0',
      id: envelope.id,
      source: envelope.source,
      type: envelope.type,
      ...(envelope.subject !== undefined ? { subject: envelope.subject } : {}),
      time: envelope.time,
      datacontenttype: 'application/json',
      ...(envelope.originId !== undefined ? { originid: envelope.originId } : {}),
      ...(envelope.traceparent !== undefined ? { traceparent: envelope.traceparent } : {}),
      ...(envelope.entity !== undefined ? { entity: envelope.entity } : {}),
      ...(envelope.extensions ?? {}),
      sequence: String(seq),
      receivedat: envelope.receivedAt,
    },
    decoder.decode(envelope.data),
  );
}

function render(attributes: Record<string, string>, dataText: string): string {
  const head = JSON.stringify(attributes);
  return `${head.slice(0, -1)},"data":${dataText}}`;
}
