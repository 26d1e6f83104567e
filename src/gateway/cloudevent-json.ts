import type { EventEnvelope } from '../envelope/index.js';
import type { StoredEvent } from '../store/index.js';

const decoder = new TextDecoder();

/**
 * A stored event as structured-mode CloudEvent JSON. The data is spliced in as the stored
 * JSON text, never parsed and re-serialised. Sluice's own attributes: `sequence` (the stream
 * sequence, as the CloudEvents sequence extension), `receivedat`, `originid`.
 */
export function cloudEventJson(event: StoredEvent): string {
  return render(event, event.streamSeq, event.dataText);
}

/** The same, for an event the bus holds that no worker has archived yet. */
export function cloudEventJsonFromEnvelope(envelope: EventEnvelope, seq: number): string {
  return render(envelope, seq, decoder.decode(envelope.data));
}

type Attributes = Pick<EventEnvelope, 'id' | 'source' | 'type' | 'time' | 'receivedAt'> & {
  readonly subject?: string | null;
  readonly originId?: string | null;
  readonly traceparent?: string | null;
  readonly entity?: string | null;
  readonly extensions?: Readonly<Record<string, string>> | null;
};

function render(e: Attributes, seq: number, dataText: string): string {
  const head = JSON.stringify({
    specversion: '1.0',
    id: e.id,
    source: e.source,
    type: e.type,
    ...(e.subject != null ? { subject: e.subject } : {}),
    time: e.time,
    datacontenttype: 'application/json',
    ...(e.originId != null ? { originid: e.originId } : {}),
    ...(e.traceparent != null ? { traceparent: e.traceparent } : {}),
    ...(e.entity != null ? { entity: e.entity } : {}),
    ...(e.extensions ?? {}),
    sequence: String(seq),
    receivedat: e.receivedAt,
  });
  return `${head.slice(0, -1)},"data":${dataText}}`;
}
