import { SpanKind, TraceFlags, trace, type Link, type Span } from '@opentelemetry/api';

/** The parts of a W3C `traceparent` header (`00-<trace id>-<parent span id>-<flags>`). */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a W3C traceparent; null for anything malformed or the all-zero ids the spec forbids. */
export function parseTraceparent(value: string | undefined | null): TraceParent | null {
  if (value === undefined || value === null) return null;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (m === null || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return null;
  if (m[1] === '00' && m[5] !== undefined) return null;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1 };
}

/** Log fields that tie a line to the event's trace: `trace_id` and `span_id` (the producer's span). */
export function traceFields(value: string | undefined | null): { trace_id?: string; span_id?: string } {
  const parsed = parseTraceparent(value);
  return parsed === null ? {} : { trace_id: parsed.traceId, span_id: parsed.spanId };
}

/**
 * Starts an OpenTelemetry span for work on a batch of events, linked to each event's trace
 * (a batch has many parents, so links rather than one parent). Without an OpenTelemetry SDK
 * registered by the application this is the API's no-op span and costs next to nothing.
 */
export function startBatchSpan(name: string, traceparents: ReadonlyArray<string | undefined>, attributes: Record<string, string | number> = {}): Span {
  const tracer = trace.getTracer('sluice');
  const links: Link[] = [];
  for (const value of traceparents) {
    const parsed = parseTraceparent(value);
    if (parsed === null) continue;
    links.push({ context: { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true } });
  }
  return tracer.startSpan(name, { kind: SpanKind.CONSUMER, links, attributes });
}
