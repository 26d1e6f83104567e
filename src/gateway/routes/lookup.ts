import type { FastifyInstance } from 'fastify';
import { isEventId } from '../../envelope/index.js';
import type { FoundMessage } from '../../bus/index.js';
import { SluiceError } from '../../errors/index.js';
import type { MessageStatusRecord, StoredEvent } from '../../store/index.js';
import type { GatewayContext } from '../context.js';
import { cloudEventJson, cloudEventJsonFromEnvelope } from '../cloudevent-json.js';
import { idParamsSchema, statusSchema } from './schemas.js';

function requireId(id: string): void {
  if (!isEventId(id)) throw new SluiceError('invalid_id', `"${id.slice(0, 60)}" is not an event id (a UUID)`);
}

/** Reads from the database; a failure to reach it is reported, not thrown. */
async function fromStore<T>(read: () => Promise<T | null>): Promise<{ value: T | null; storeDown: boolean }> {
  try {
    return { value: await read(), storeDown: false };
  } catch {
    return { value: null, storeDown: true };
  }
}

/**
 * An accepted event, from the database when a worker has written it, else from the bus (every
 * 202'd event the database lacks is still on it). 404 only when both could be asked: the bus
 * throws `bus_unavailable` when it cannot tell, and with the database away the answer is 503.
 * The database is read again after the bus misses: a worker may have written the event and
 * acknowledged it (so the bus no longer searches for it) between the first read and the search.
 */
export async function findAccepted<T>(context: GatewayContext, id: string, read: () => Promise<T | null>): Promise<{ stored: T } | { onBus: FoundMessage }> {
  requireId(id);
  const first = await fromStore(read);
  if (first.value !== null) return { stored: first.value };
  const onBus = await context.bus.lookup(id);
  if (onBus !== null) return { onBus };
  const again = first.storeDown ? first : await fromStore(read);
  if (again.value !== null) return { stored: again.value };
  if (again.storeDown) throw new SluiceError('store_unavailable', `the database is unavailable and the bus does not hold ${id}; retry shortly`, { retryAfterSeconds: 2 });
  throw new SluiceError('not_found', `no event has id ${id}`);
}

/** GET /ingest/status/{id}, GET /events/{id}/status, GET /events/{id}. */
export function registerLookups(app: FastifyInstance, context: GatewayContext): void {
  const status = async (id: string): Promise<Record<string, unknown>> => {
    const answer = await findAccepted<MessageStatusRecord>(context, id, () => context.store.getStatus(id));
    if ('stored' in answer) {
      const value = answer.stored;
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
    const found = answer.onBus;
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
    {
      schema: {
        summary: 'The event as a structured CloudEvent: JSON data as sent in "data", text as a "data" string, anything else as "data_base64"',
        tags: ['look up'],
        params: idParamsSchema,
        produces: ['application/cloudevents+json'],
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const answer = await findAccepted<StoredEvent>(context, id, () => context.store.getEvent(id));
      reply.type('application/cloudevents+json; charset=utf-8');
      if ('stored' in answer) return reply.send(cloudEventJson(answer.stored));
      return reply.send(cloudEventJsonFromEnvelope(answer.onBus.envelope, answer.onBus.seq));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/events/:id/data',
    {
      schema: {
        summary: "The event's data: the exact bytes the producer sent, with their Content-Type",
        tags: ['look up'],
        params: idParamsSchema,
        produces: ['*/*'],
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const answer = await findAccepted<StoredEvent>(context, id, () => context.store.getEvent(id));
      const { data, dataContentType } = 'stored' in answer ? answer.stored : answer.onBus.envelope;
      reply.type(dataContentType);
      return reply.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
  );
}
