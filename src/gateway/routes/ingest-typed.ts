import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../errors/index.js';
import type { GatewayContext } from '../context.js';
import { requireMediaType } from '../content-type.js';
import { checkJsonBytes } from '../json-body.js';
import { checkKeyAllowsType } from '../keys/index.js';
import { buildEnvelope, headerAttributes } from '../request-envelope.js';
import { acceptedEventSchema } from './schemas.js';

/** POST /events/{type}: the body is the event's data; CloudEvents binary-mode headers are honoured. */
export function registerTypedIngest(app: FastifyInstance, context: GatewayContext): void {
  app.post<{ Params: { type: string } }>(
    '/events/:type',
    {
      schema: {
        summary: 'Send one event of the type in the path; the body is its data (any JSON value)',
        tags: ['ingest'],
        params: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
        response: { 202: acceptedEventSchema },
      },
    },
    async (request, reply) => {
      requireMediaType(request, ['application/json'], 'send the event data as application/json');
      const type = request.params.type;
      const attributes = headerAttributes(request.headers);
      if (attributes.ceType !== undefined && attributes.ceType !== type) {
        throw new SluiceError('type_mismatch', `ce-type "${attributes.ceType.slice(0, 60)}" contradicts the path's type "${type.slice(0, 60)}"`);
      }
      const body = request.body as Buffer;
      const dataText = checkJsonBytes(body);
      // The checked bytes are the event's data as they came: no second encoding of the text.
      const envelope = buildEnvelope({ ...attributes, type, dataText, data: body, receivedAt: new Date().toISOString() });
      checkKeyAllowsType(request, type);
      const ack = await context.publisher.publish({ envelope });
      context.metrics.eventsAccepted.inc({ endpoint: '/events/:type' });
      return reply.code(202).send({ id: envelope.id, type, status: 'accepted', time: envelope.time, seq: ack.seq });
    },
  );
}
