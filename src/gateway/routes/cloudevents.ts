import type { FastifyInstance } from 'fastify';
import type { PublishAck } from '../../bus/index.js';
import type { EventEnvelope } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { GatewayContext } from '../context.js';
import { isJsonMediaType, mediaType } from '../content-type.js';
import { checkJsonBytes, checkJsonText } from '../json-body.js';
import { checkKeyAllowsType, typeNotAllowedError } from '../keys/index.js';
import { buildEnvelope, headerAttributes } from '../request-envelope.js';
import { acceptedEventSchema, errorSchema } from './schemas.js';

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

type Accepted = { id: string; type: string; status: 'accepted'; time: string; seq: number };

/** POST /events: CloudEvents structured mode (one or a batch) and binary mode. */
export function registerCloudEventsIngest(app: FastifyInstance, context: GatewayContext): void {
  app.post(
    '/events',
    {
      schema: {
        summary: 'Send CloudEvents: structured (application/cloudevents+json), batch (application/cloudevents-batch+json) or binary mode (ce-* headers)',
        tags: ['ingest'],
        response: {
          202: { anyOf: [acceptedEventSchema, { type: 'array', items: { anyOf: [acceptedEventSchema, errorSchema] } }] },
          400: { anyOf: [errorSchema, { type: 'array', items: { anyOf: [acceptedEventSchema, errorSchema] } }] },
          403: { anyOf: [errorSchema, { type: 'array', items: { anyOf: [acceptedEventSchema, errorSchema] } }] },
          503: { anyOf: [errorSchema, { type: 'array', items: { anyOf: [acceptedEventSchema, errorSchema] } }] },
        },
      },
    },
    async (request, reply) => {
      const type = mediaType(request);
      const receivedAt = new Date().toISOString();
      const body = request.body as Buffer;
      if (type === STRUCTURED) {
        const envelope = structuredEnvelope(parseJson(body), receivedAt, request.headers['idempotency-key'] as string | undefined, request.headers['traceparent'] as string | undefined);
        checkKeyAllowsType(request, envelope.type);
        const ack = await context.publisher.publish({ envelope });
        context.metrics.eventsAccepted.inc({ endpoint: '/events' });
        return reply.code(202).send(accepted(envelope, ack));
      }
      if (type === BATCH) {
        const events = parseJson(body);
        if (!Array.isArray(events)) throw new SluiceError('invalid_cloudevent', 'a CloudEvents batch is a JSON array of events');
        if (events.length === 0) throw new SluiceError('empty_batch', 'the batch is empty');
        if (events.length > context.config.http.maxBatchEvents) {
          throw new SluiceError('batch_too_large', `the batch has ${events.length} events; MAX_BATCH_EVENTS allows ${context.config.http.maxBatchEvents}`);
        }
        const results: Array<Accepted | { error: { code: string; message: string } }> = [];
        const pending: Array<{ index: number; envelope: EventEnvelope }> = [];
        events.forEach((event, i) => {
          try {
            const envelope = structuredEnvelope(event, receivedAt, undefined, undefined, `event ${i}`);
            const denied = typeNotAllowedError(request, envelope.type);
            if (denied !== null) throw denied;
            pending.push({ index: i, envelope });
            results.push({ error: { code: 'pending', message: '' } });
          } catch (error) {
            const e = error instanceof SluiceError ? error : new SluiceError('invalid_cloudevent', String(error));
            results.push({ error: { code: e.code, message: e.message } });
          }
        });
        let busFailed = false;
        if (pending.length > 0) {
          const acks = await context.publisher.publishMany(pending.map((p) => ({ envelope: p.envelope })));
          acks.forEach((ack: PublishAck | Error, k) => {
            const { index, envelope } = pending[k]!;
            if (ack instanceof Error) {
              const e = ack instanceof SluiceError ? ack : new SluiceError('bus_unavailable', ack.message);
              busFailed ||= e.code === 'bus_unavailable';
              results[index] = { error: { code: e.code, message: e.message } };
            } else {
              results[index] = accepted(envelope, ack);
            }
          });
        }
        const acceptedCount = results.filter((r) => 'id' in r).length;
        if (acceptedCount > 0) context.metrics.eventsAccepted.inc({ endpoint: '/events' }, acceptedCount);
        // None accepted: 403 when every event was of a type the key may not send, as for one event.
        const allDenied = results.every((r) => 'error' in r && r.error.code === 'type_not_allowed');
        const status = acceptedCount > 0 ? 202 : busFailed ? 503 : allDenied ? 403 : 400;
        if (status === 503) reply.header('retry-after', '1');
        return reply.code(status).send(results);
      }
      if (type === '' || isJsonMediaType(type)) {
        // Binary mode: attributes in ce-* headers, the body is the data.
        const attributes = headerAttributes(request.headers);
        // An empty header is a missing attribute (an empty ce-type reached the type check as undefined: 500).
        const missing = ['specversion', 'id', 'source', 'type'].filter((name) => (request.headers[`ce-${name}`] ?? '') === '');
        if (missing.length > 0) {
          throw new SluiceError('invalid_cloudevent', `binary-mode CloudEvents need the headers ${missing.map((m) => `ce-${m}`).join(', ')}; or POST to /events/{type}`);
        }
        if (attributes.specversion !== '1.0') throw new SluiceError('invalid_cloudevent', `ce-specversion must be 1.0`);
        const envelope = buildEnvelope({ ...attributes, type: attributes.ceType!, dataText: checkJsonBytes(body), data: body, receivedAt });
        checkKeyAllowsType(request, envelope.type);
        const ack = await context.publisher.publish({ envelope });
        context.metrics.eventsAccepted.inc({ endpoint: '/events' });
        return reply.code(202).send(accepted(envelope, ack));
      }
      throw new SluiceError('unsupported_media_type', `Content-Type ${type} is not accepted here; use ${STRUCTURED}, ${BATCH}, or application/json with ce-* headers`);
    },
  );
}

/** Parses a structured body; what each event holds is judged per event (its data, its attributes), not for the whole body. */
function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new SluiceError('invalid_json', 'the body is empty; send a CloudEvent as JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SluiceError('invalid_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

function accepted(envelope: EventEnvelope, ack: PublishAck): Accepted {
  return { id: envelope.id, type: envelope.type, status: 'accepted', time: envelope.time, seq: ack.seq };
}

function structuredEnvelope(event: unknown, receivedAt: string, idempotencyKey?: string, traceparent?: string, label = 'the event'): EventEnvelope {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new SluiceError('invalid_cloudevent', `${label} is not a JSON object`);
  }
  const e = event as Record<string, unknown>;
  for (const name of ['specversion', 'id', 'source', 'type']) {
    if (typeof e[name] !== 'string' || e[name] === '') throw new SluiceError('invalid_cloudevent', `${label} lacks the required attribute "${name}" (a non-empty string)`);
  }
  if (e.specversion !== '1.0') throw new SluiceError('invalid_cloudevent', `${label}: specversion must be "1.0"`);
  if (e.data_base64 !== undefined) throw new SluiceError('unsupported_media_type', `${label}: data_base64 is not supported; Sluice stores JSON data`);
  if (typeof e.datacontenttype === 'string' && !isJsonMediaType(e.datacontenttype.split(';')[0]!.trim().toLowerCase())) {
    throw new SluiceError('unsupported_media_type', `${label}: datacontenttype ${e.datacontenttype} is not JSON; Sluice stores JSON data`);
  }
  for (const name of ['subject', 'time']) {
    if (e[name] !== undefined && typeof e[name] !== 'string') throw new SluiceError('invalid_cloudevent', `${label}: "${name}" must be a string`);
  }
  let extensions: Record<string, string> | undefined;
  let trace = traceparent;
  for (const [name, value] of Object.entries(e)) {
    if (CORE_ATTRIBUTES.has(name)) continue;
    if (!EXTENSION_NAME.test(name)) throw new SluiceError('invalid_cloudevent', `${label}: attribute "${name.slice(0, 40)}" is not a valid CloudEvents name (1-20 lower-case letters or digits)`);
    if (value === null || typeof value === 'object') throw new SluiceError('invalid_cloudevent', `${label}: extension "${name}" must be a string, number or boolean`);
    if (name === 'traceparent') {
      trace = String(value);
      continue;
    }
    (extensions ??= {})[name] = String(value);
  }
  const dataText = e.data === undefined ? 'null' : checkJsonText(JSON.stringify(e.data), `${label}'s data`);
  return buildEnvelope({
    type: e.type as string,
    source: e.source as string,
    cloudEventId: e.id as string,
    dataText,
    receivedAt,
    ...(typeof e.subject === 'string' ? { subject: e.subject } : {}),
    ...(typeof e.time === 'string' ? { time: e.time } : {}),
    ...(idempotencyKey !== undefined && idempotencyKey !== '' ? { idempotencyKey } : {}),
    ...(trace !== undefined ? { traceparent: trace } : {}),
    ...(extensions !== undefined ? { extensions } : {}),
  });
}
