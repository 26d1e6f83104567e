import type { FastifyInstance } from 'fastify';
import { isEventId } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { MessageStatusRecord, StoredEvent } from '../../store/index.js';
import type { GatewayContext } from '../context.js';
import { cloudEventJson, cloudEventJsonFromEnvelope } from '../cloudevent-json.js';
import { idParamsSchema, statusSchema } from './schemas.js';

function requireId(id: string): void {
  if (!isEventId(id)) throw new SluiceError('invalid_id', `"${id.slice(0, 60)}" is not an event id (a UUID)`);
}

/** A lookup that tolerates the database being away: the bus still knows recent events. */
async function fromStore<T>(read: () => Promise<T | null>): Promise<{ value: T | null; storeDown: boolean }> {
  try {
    return { value: await read(), storeDown: false };
  } catch {
    return { value: null, storeDown: true };
  }
}

/**
 * 404 only when both sides could be asked: an id the database has not archived yet may still be
 * on the bus, so while either is away the honest answer is "cannot tell now" (503), never 404.
 */
function notFound(id: string, storeDown: boolean, busDown: boolean): SluiceError {
  if (storeDown) return new SluiceError('store_unavailable', `the database is unavailable and the bus does not know ${id}; retry shortly`, { retryAfterSeconds: 2 });
  if (busDown) return new SluiceError('bus_unavailable', `the database has no event ${id} yet and the bus cannot be asked now; retry shortly`, { retryAfterSeconds: 1 });
  return new SluiceError('not_found', `no event has id ${id}`);
}

/** GET /ingest/status/{id}, GET /events/{id}/status, GET /events/{id}. */
export function registerLookups(app: FastifyInstance, context: GatewayContext): void {
  const status = async (id: string): Promise<Record<string, unknown>> => {
    requireId(id);
    const { value, storeDown } = await fromStore<MessageStatusRecord>(() => context.store.getStatus(id));
    if (value !== null) {
      return {
        message_id: value.messageId,
        status: value.status,
        type: value.type,
        entity_type: value.entityType,
        received_at: value.receivedAt,
        processed_at: value.processedAt,
        attempts: value.attempts,
        error: value.error,
        rows: value.rows,
      };
    }
    const found = await context.bus.lookup(id);
    if (found === null) throw notFound(id, storeDown, !context.bus.health().connected);
    return {
      message_id: id,
      status: 'accepted',
      type: found.envelope.type,
      entity_type: found.envelope.entity ?? null,
      received_at: found.envelope.receivedAt,
      processed_at: null,
      attempts: 0,
      error: null,
      rows: [],
    };
  };
  const statusRoute = { schema: { summary: "An event's processing status", tags: ['look up'], params: idParamsSchema, response: { 200: statusSchema } } };
  app.get<{ Params: { id: string } }>('/ingest/status/:id', statusRoute, async (request) => status(request.params.id));
  app.get<{ Params: { id: string } }>('/events/:id/status', statusRoute, async (request) => status(request.params.id));

  app.get<{ Params: { id: string } }>(
    '/events/:id',
    { schema: { summary: 'The stored event as a structured CloudEvent (data included)', tags: ['look up'], params: idParamsSchema } },
    async (request, reply) => {
      const id = request.params.id;
      requireId(id);
      const { value, storeDown } = await fromStore<StoredEvent>(() => context.store.getEvent(id));
      reply.type('application/cloudevents+json; charset=utf-8');
      if (value !== null) return reply.send(cloudEventJson(value));
      const found = await context.bus.lookup(id);
      if (found === null) throw notFound(id, storeDown, !context.bus.health().connected);
      return reply.send(cloudEventJsonFromEnvelope(found.envelope, found.seq));
    },
  );
}
