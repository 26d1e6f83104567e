import type { FastifyInstance } from 'fastify';
import { attributeTextProblem, checkJsonText, eventTimeUtc, isRfc3339, typePatternProblem } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { BusPort } from '../../bus/index.js';
import type { MessageState, StorePort } from '../../store/index.js';
import { cloudEventJson } from '../cloudevent-json.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { fromStore } from '../store-read.js';

/** What the listing reads: the archive, and the workers' consumer on the bus, whose ack floor ends a page. */
export interface ListEventsOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  /** The workers' durable consumer (`SLUICE_CONSUMER`). */
  readonly consumer: string;
}

interface ListQuery {
  type?: string;
  source?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
  status?: string;
  data?: string;
}

const KNOWN = new Set(['type', 'source', 'since', 'until', 'limit', 'cursor', 'status', 'data']);
const MAX_DATA_FILTER = 4096;
const STATES = new Set(['accepted', 'processing', 'persisted', 'failed']);

/**
 * GET /events: archived events in stream order. A page ends at the consumer's ack floor,
 * below which every event is archived, so paging never skips one that a slower worker is
 * still writing, nor repeats one.
 */
export function registerListEvents(app: FastifyInstance, { bus, store, consumer }: ListEventsOptions): void {
  app.get<{ Querystring: ListQuery }>(
    '/events',
    {
      schema: {
        summary: 'List archived events in ingestion order, with filters and a cursor',
        tags: ['look up'],
        querystring: {
          type: 'object',
          properties: {
            type: { type: 'string', description: 'type or NATS-style pattern (order.*, order.>)' },
            source: { type: 'string' },
            since: { type: 'string', description: 'RFC 3339, inclusive (time of receipt)' },
            until: { type: 'string', description: 'RFC 3339, exclusive' },
            limit: { type: 'string', description: '1-1000, default 100' },
            cursor: { type: 'string', description: 'next_cursor of the previous page' },
            status: { type: 'string', description: 'only events with this status: processing, persisted or failed' },
            data: { type: 'string', description: 'a JSON document the event\'s data must contain (PostgreSQL @>), like {"customer":"c-42"}' },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      for (const name of Object.keys(q)) {
        if (!KNOWN.has(name)) throw new SluiceError('invalid_parameter', `unknown parameter "${name.slice(0, 40)}"; use type, source, since, until, limit, cursor, status or data`);
      }
      if (q.type !== undefined) {
        const problem = typePatternProblem(q.type);
        if (problem !== null) throw new SluiceError('invalid_parameter', `type: ${problem}`);
      }
      for (const name of ['since', 'until'] as const) {
        if (q[name] !== undefined && !isRfc3339(q[name]!)) throw new SluiceError('invalid_parameter', `${name}: "${q[name]!.slice(0, 40)}" is not an RFC 3339 time (like 2026-01-31T12:00:00Z)`);
      }
      if (q.status !== undefined && !STATES.has(q.status)) {
        throw new SluiceError('invalid_parameter', `status: "${q.status.slice(0, 20)}" is not one of accepted, processing, persisted, failed`);
      }
      let limit = 100;
      if (q.limit !== undefined) {
        limit = /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : NaN;
        if (!(limit >= 1 && limit <= 1000)) throw new SluiceError('invalid_parameter', `limit: "${q.limit.slice(0, 20)}" is not a whole number from 1 to 1000`);
      }
      if (q.data !== undefined) checkDataFilter(q.data);
      if (q.source !== undefined) {
        // The same rule as the attribute at the door: a value no event can have (a NUL, a control character) is the client's mistake, not a 503.
        const problem = q.source.length > 1000 ? 'longer than 1000 characters' : attributeTextProblem('source', q.source);
        if (problem !== null) throw new SluiceError('invalid_parameter', `source: ${problem}`);
      }
      const afterSeq = q.cursor === undefined ? 0 : decodeCursor(q.cursor);
      const lag = await bus.consumerLag(consumer);
      if (lag === null) {
        throw new SluiceError('bus_unavailable', 'cannot tell which events are fully archived while the bus is unavailable; retry shortly', { retryAfterSeconds: 1 });
      }
      const maxSeq = lag.ackFloor;
      const events = await fromStore(() =>
        store.listEvents({
          afterSeq,
          maxSeq,
          limit,
          ...(q.type !== undefined ? { type: q.type } : {}),
          ...(q.source !== undefined ? { source: q.source } : {}),
          // In UTC: PostgreSQL reads offsets only up to ±15:59 (RFC 3339 allows ±23:59).
          ...(q.since !== undefined ? { since: eventTimeUtc(q.since) } : {}),
          ...(q.until !== undefined ? { until: eventTimeUtc(q.until) } : {}),
          ...(q.status !== undefined ? { status: q.status as MessageState } : {}),
          ...(q.data !== undefined ? { data: q.data } : {}),
        }),
      );
      // A short page means everything up to the ack floor was scanned: the cursor can move there.
      const last = events.length === limit ? events[events.length - 1]!.streamSeq : Math.max(afterSeq, maxSeq);
      reply.type('application/json; charset=utf-8');
      return reply.send(`{"events":[${events.map(cloudEventJson).join(',')}],"next_cursor":${JSON.stringify(encodeCursor(last))}}`);
    },
  );
}

/** The data filter must be a JSON document jsonb takes; anything else is the client's mistake, not a 500. */
function checkDataFilter(text: string): void {
  if (text.length > MAX_DATA_FILTER) throw new SluiceError('invalid_parameter', `data: longer than ${MAX_DATA_FILTER} characters`);
  try {
    checkJsonText(text, 'data');
  } catch (error) {
    throw new SluiceError('invalid_parameter', `data: ${(error as Error).message.replace(/^data /, '')}; send a JSON document like {"customer":"c-42"}`);
  }
}
