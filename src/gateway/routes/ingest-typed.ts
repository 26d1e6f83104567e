import type { FastifyInstance } from 'fastify';
import { binaryAttributes, buildEnvelope } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import { dataContentTypeOf } from '../content-type.js';
import { checkKeyAllowsType } from '../keys/index.js';
import type { IngestOptions } from '../ingest-options.js';
import { acceptedEventSchema } from './schemas.js';

/** POST /events/{type}: the body is the event's data, of any content type; CloudEvents binary-mode headers are honoured. */
export function registerTypedIngest(app: FastifyInstance, { publisher, metrics }: IngestOptions): void {
  app.post<{ Params: { type: string } }>(
    '/events/:type',
    {
      schema: {
        summary: 'Send one event of the type in the path; the body is its data, of any content type (JSON is checked as JSON), kept byte for byte',
        tags: ['ingest'],
        params: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
        consumes: ['*/*'],
        response: { 202: acceptedEventSchema },
      },
    },
    async (request, reply) => {
      const type = request.params.type;
      const { specversion: _specversion, ceType, ...attributes } = binaryAttributes(request.headers);
      if (ceType !== undefined && ceType !== type) {
        throw new SluiceError('type_mismatch', `ce-type "${ceType.slice(0, 60)}" contradicts the path's type "${type.slice(0, 60)}"`);
      }
      // The body's bytes are the event's data as they came: no copy, no second encoding.
      const envelope = buildEnvelope({ ...attributes, type, data: request.body as Buffer, dataContentType: dataContentTypeOf(request), dataLabel: 'the body', receivedAt: new Date().toISOString() });
      checkKeyAllowsType(request, type);
      const ack = await publisher.publish({ envelope });
      metrics.eventsAccepted.inc({ endpoint: '/events/:type' });
      return reply.code(202).send({ id: envelope.id, type, status: 'accepted', time: envelope.time, seq: ack.seq });
    },
  );
}
