import type { FastifyInstance } from 'fastify';
import type { BusPort, FoundMessage } from '../../bus/index.js';
import { SluiceError } from '../../errors/index.js';
import type { MessageStatusRecord, StorePort, StoredEvent } from '../../store/index.js';
import { cloudEventJson, cloudEventJsonFromEnvelope } from '../cloudevent-json.js';
import { uuidParam } from '../id-param.js';
import { fromStore } from '../store-read.js';
import { idParamsSchema, statusSchema } from './schemas.js';

/** What the lookups read: the archive, and the bus for what the workers have not archived yet. */
export interface LookupOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
}

/** A store read whose failure is an answer (`undefined`), not a throw: the bus may still know the event. */
async function readOrDown<T>(read: () => Promise<T | null>): Promise<T | null | undefined> {
  return fromStore(read).catch(() => undefined);
}

/**
 * An accepted event, from the database when a worker has written it, else from the bus (every
 * 202'd event the database lacks is still on it). 404 only when both could be asked: the bus
 * throws `bus_unavailable` when it cannot tell, and with the database away the answer is 503.
 * The database is read again after the bus misses: a worker may have written the event and
 * acknowledged it (so the bus no longer searches for it) between the first read and the search.
 * `id` as `uuidParam` gives it.
 */
async function findAccepted<T>(bus: BusPort, id: string, read: () => Promise<T | null>): Promise<{ stored: T } | { onBus: FoundMessage }> {
  const first = await readOrDown(read);
  if (first !== null && first !== undefined) return { stored: first };
  const onBus = await bus.lookup(id);
  if (onBus !== null) return { onBus };
  const again = first === undefined ? undefined : await readOrDown(read);
  if (again !== null && again !== undefined) return { stored: again };
  if (again === undefined) throw new SluiceError('store_unavailable', `the database is unavailable and the bus does not hold ${id}; retry shortly`, { retryAfterSeconds: 2 });
  throw new SluiceError('not_found', `no event has id ${id}`);
}

/** GET /ingest/status/{id}, GET /events/{id}/status, GET /events/{id}. */
export function registerLookups(app: FastifyInstance, { bus, store }: LookupOptions): void {
  const findEvent = (given: string) => {
    const id = uuidParam(given);
    return findAccepted<StoredEvent>(bus, id, () => store.getEvent(id));
  };
  const status = async (given: string): Promise<Record<string, unknown>> => {
    const id = uuidParam(given);
    const answer = await findAccepted<MessageStatusRecord>(bus, id, () => store.getStatus(id));
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
      const answer = await findEvent(request.params.id);
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
      const answer = await findEvent(request.params.id);
      const { data, dataContentType } = 'stored' in answer ? answer.stored : answer.onBus.envelope;
      reply.type(dataContentType);
      return reply.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
  );
}
