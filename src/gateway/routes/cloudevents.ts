import type { FastifyInstance } from 'fastify';
import type { PublishAck } from '../../bus/index.js';
import { EnvelopeError, binaryAttributes, buildEnvelope, readStructuredBatch, readStructuredEvent, type EventEnvelope } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import { dataContentTypeOf, mediaType } from '../content-type.js';
import { toSluiceError } from '../error-reply.js';
import type { BatchIngestOptions } from '../ingest-options.js';
import { publishBatch } from '../publish-batch.js';
import { checkKeyAllowsType, typeNotAllowedError } from '../keys/index.js';
import { acceptedEventSchema, errorSchema } from './schemas.js';

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const BINARY_REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

type Accepted = { id: string; type: string; status: 'accepted'; time: string; seq: number };

const batchSchema = { type: 'array', items: { anyOf: [acceptedEventSchema, errorSchema] } } as const;

/** POST /events: CloudEvents structured mode (one or a batch) and binary mode (any content type). */
export function registerCloudEventsIngest(app: FastifyInstance, { publisher, metrics, maxBatchEvents }: BatchIngestOptions): void {
  app.post(
    '/events',
    {
      schema: {
        summary:
          'Send CloudEvents: structured (application/cloudevents+json), batch (application/cloudevents-batch+json) or binary mode (ce-* headers, the body is the data, of any content type)',
        tags: ['ingest'],
        consumes: ['*/*'],
        response: {
          202: { anyOf: [acceptedEventSchema, batchSchema] },
          400: { anyOf: [errorSchema, batchSchema] },
          403: { anyOf: [errorSchema, batchSchema] },
          503: { anyOf: [errorSchema, batchSchema] },
        },
      },
    },
    async (request, reply) => {
      const type = mediaType(request);
      const receivedAt = new Date().toISOString();
      const body = request.body as Buffer;
      if (type === BATCH) {
        const inputs = readStructuredBatch(body, { receivedAt });
        if (inputs.length === 0) throw new SluiceError('empty_batch', 'the batch is empty');
        if (inputs.length > maxBatchEvents) {
          throw new SluiceError('batch_too_large', `the batch has ${inputs.length} events; MAX_BATCH_EVENTS allows ${maxBatchEvents}`);
        }
        const built = inputs.map((input) => (input instanceof EnvelopeError ? toSluiceError(input) : tryBuild(() => allowedEnvelope(buildEnvelope(input), typeNotAllowedError(request, input.type)))));
        const outcome = await publishBatch(publisher, built);
        if (outcome.accepted > 0) metrics.eventsAccepted.inc({ endpoint: '/events' }, outcome.accepted);
        if (outcome.status === 503) reply.header('retry-after', '1');
        return reply.code(outcome.status).send(outcome.entries.map((e) => ('ack' in e ? accepted(e.envelope, e.ack) : e.error.toJSON())));
      }
      let envelope: EventEnvelope;
      if (type === STRUCTURED) {
        const idempotencyKey = request.headers['idempotency-key'];
        const traceparent = request.headers['traceparent'];
        envelope = buildEnvelope(
          readStructuredEvent(body, {
            receivedAt,
            ...(typeof idempotencyKey === 'string' && idempotencyKey !== '' ? { idempotencyKey } : {}),
            ...(typeof traceparent === 'string' && traceparent !== '' ? { traceparent } : {}),
          }),
        );
      } else {
        // Binary mode: attributes in ce-* headers, the body is the data whatever its type.
        // An empty header is a missing attribute.
        const missing = BINARY_REQUIRED.filter((name) => (request.headers[`ce-${name}`] ?? '') === '');
        if (missing.length > 0) {
          throw new SluiceError(
            'invalid_cloudevent',
            `binary-mode CloudEvents need the headers ${missing.map((m) => `ce-${m}`).join(', ')}; send ${STRUCTURED} or ${BATCH}, or POST to /events/{type}`,
          );
        }
        const { specversion, ceType, ...attributes } = binaryAttributes(request.headers);
        if (specversion !== '1.0') throw new SluiceError('invalid_cloudevent', `ce-specversion "${String(specversion).slice(0, 20)}" is not supported; send 1.0`);
        envelope = buildEnvelope({ ...attributes, type: ceType ?? '', data: body, dataContentType: dataContentTypeOf(request), dataLabel: 'the body', receivedAt });
      }
      checkKeyAllowsType(request, envelope.type);
      const ack = await publisher.publish({ envelope });
      metrics.eventsAccepted.inc({ endpoint: '/events' });
      return reply.code(202).send(accepted(envelope, ack));
    },
  );
}

/** The envelope, unless the request's key may not send its type. */
function allowedEnvelope(envelope: EventEnvelope, denied: SluiceError | null): EventEnvelope {
  if (denied !== null) throw denied;
  return envelope;
}

function tryBuild(build: () => EventEnvelope): EventEnvelope | SluiceError {
  try {
    return build();
  } catch (error) {
    return toSluiceError(error);
  }
}

function accepted(envelope: EventEnvelope, ack: PublishAck): Accepted {
  return { id: envelope.id, type: envelope.type, status: 'accepted', time: envelope.time, seq: ack.seq };
}
