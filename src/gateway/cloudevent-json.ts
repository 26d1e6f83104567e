import { dataView, type EventEnvelope } from '../envelope/index.js';
import type { StoredEvent } from '../store/index.js';

/**
 * A stored event as structured-mode CloudEvent JSON (JSON event format). JSON data is spliced
 * in as the producer's text, never parsed and re-serialised (key order, spacing, the digits of
 * big numbers kept); text data is a `data` string; anything else is `data_base64`. Sluice's
 * own attributes: `sequence` (the stream sequence, as the CloudEvents sequence extension),
 * `receivedat`, `originid`.
 */
export function cloudEventJson(event: StoredEvent): string {
  return render(event, event.streamSeq);
}

/** The same, for an event the bus holds that no worker has archived yet. */
export function cloudEventJsonFromEnvelope(envelope: EventEnvelope, seq: number): string {
  return render(envelope, seq);
}

type Attributes = Pick<EventEnvelope, 'id' | 'source' | 'type' | 'time' | 'receivedAt' | 'data' | 'dataContentType'> & {
  readonly subject?: string | null;
  readonly dataSchema?: string | null;
  readonly originId?: string | null;
  readonly traceparent?: string | null;
  readonly entity?: string | null;
  readonly extensions?: Readonly<Record<string, string>> | null;
};

function render(e: Attributes, seq: number): string {
  const head = JSON.stringify({
    ...(e.extensions ?? {}),
    specversion: '1.0',
    id: e.id,
    source: e.source,
    type: e.type,
    ...(e.subject != null ? { subject: e.subject } : {}),
    time: e.time,
    datacontenttype: e.dataContentType,
    ...(e.dataSchema != null ? { dataschema: e.dataSchema } : {}),
    ...(e.originId != null ? { originid: e.originId } : {}),
    ...(e.traceparent != null ? { traceparent: e.traceparent } : {}),
    ...(e.entity != null ? { entity: e.entity } : {}),
    sequence: String(seq),
    receivedat: e.receivedAt,
  });
  const view = dataView(e.data, e.dataContentType);
  switch (view.kind) {
    case 'none':
      return head;
    case 'json':
      return `${head.slice(0, -1)},"data":${view.text}}`;
    case 'text':
      return `${head.slice(0, -1)},"data":${JSON.stringify(view.text)}}`;
    case 'base64':
      return `${head.slice(0, -1)},"data_base64":"${view.base64}"}`;
  }
}
