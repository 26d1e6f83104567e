import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BusPort } from '../../bus/index.js';
import { checkJsonBytes } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';
import type { DeliveryRecord, DeliveryState, StorePort } from '../../store/index.js';
import {
  SubscriptionInputError,
  TargetRefusedError,
  checkTarget,
  consumerNameOf,
  formatTimeout,
  newSecret,
  parseSubscriptionInput,
  parseSubscriptionPatch,
  subscriptionNameProblem,
  type Subscription,
} from '../../subscriptions/index.js';
import { requireMediaType } from '../content-type.js';
import { uuidParam } from '../id-param.js';
import { fromStore } from '../store-read.js';
import { idParamsSchema } from './schemas.js';

const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'delivered', 'failed'];
const MAX_PAGE = 500;

const subscriptionProperties = {
  name: { type: 'string' },
  types: { type: 'array', items: { type: 'string' } },
  url: { type: 'string' },
  filter: {},
  max_attempts: { type: 'integer' },
  timeout: { type: 'string' },
  max_in_flight: { type: 'integer' },
  ordered: { type: 'boolean' },
  paused: { type: 'boolean' },
  origin: { type: 'string', enum: ['file', 'api'] },
  created_at: { type: 'string' },
  updated_at: { type: 'string' },
} as const;

const countsProperties = {
  pending: { type: 'integer', description: 'events not yet delivered nor failed (waiting on the bus, in flight, or between attempts)' },
  delivered: { type: 'integer' },
  failed: { type: 'integer', description: "deliveries given up after max_attempts: the subscription's dead letters" },
  retrying: { type: 'integer' },
  last_error: {
    type: ['object', 'null'],
    properties: { event_id: { type: 'string' }, at: { type: 'string' }, status_code: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] } },
  },
} as const;

const subscriptionSchema = { type: 'object', properties: subscriptionProperties } as const;
const subscriptionWithCountsSchema = { type: 'object', properties: { ...subscriptionProperties, ...countsProperties } } as const;
const createdSchema = {
  type: 'object',
  properties: { ...subscriptionProperties, secret: { type: 'string', description: 'shown this once; keep it to verify signatures' } },
} as const;

const attemptSchema = {
  type: 'object',
  properties: {
    subscription: { type: 'string' },
    event_id: { type: 'string' },
    attempt: { type: 'integer' },
    attempted_at: { type: 'string' },
    status_code: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    duration_ms: { type: 'number' },
    outcome: { type: 'string', enum: ['delivered', 'retry', 'failed'] },
    replay_id: { type: 'string' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string' },
    event_type: { type: 'string' },
    status: { type: 'string', enum: DELIVERY_STATES },
    attempts: { type: 'integer' },
    status_code: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    first_attempt_at: { type: 'string' },
    last_attempt_at: { type: 'string' },
    attempt_log: { type: 'array', items: attemptSchema },
  },
} as const;

const nameParamsSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;

function publicShape(s: Subscription): Record<string, unknown> {
  return {
    name: s.name,
    types: s.types,
    url: s.url,
    filter: s.filter,
    max_attempts: s.maxAttempts,
    timeout: formatTimeout(s.timeoutMs),
    max_in_flight: s.maxInFlight,
    ordered: s.ordered,
    paused: s.paused,
    origin: s.origin,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function attemptShape(a: { subscriptionId: string; eventId: string; attempt: number; attemptedAt: string; statusCode: number | null; error: string | null; durationMs: number; outcome: string; replayId?: string }, name: string) {
  return {
    subscription: name,
    event_id: a.eventId,
    attempt: a.attempt,
    attempted_at: a.attemptedAt,
    status_code: a.statusCode,
    error: a.error,
    duration_ms: Math.round(a.durationMs * 10) / 10,
    outcome: a.outcome,
    ...(a.replayId !== undefined ? { replay_id: a.replayId } : {}),
  };
}

function jsonBody(request: FastifyRequest): unknown {
  requireMediaType(request, ['application/json'], 'send the subscription as application/json');
  return JSON.parse(checkJsonBytes(request.body as Buffer));
}

function asInputError(error: unknown): never {
  if (error instanceof SubscriptionInputError) throw new SluiceError('invalid_body', error.message);
  throw error;
}

/** What the subscription routes use: the records, the bus (each subscription's consumer lag), the log. */
export interface SubscriptionRoutesOptions {
  readonly store: StorePort;
  readonly bus: BusPort;
  readonly logger: Logger;
  /** `SLUICE_SUBSCRIPTION_PRIVATE_TARGETS=allow`: urls may name loopback, private and link-local addresses. */
  readonly allowPrivateTargets: boolean;
}

/** POST/GET/PATCH/DELETE /subscriptions…, the delivery log of a subscription and of an event. */
export function registerSubscriptions(app: FastifyInstance, { store, bus, logger, allowPrivateTargets: allowPrivate }: SubscriptionRoutesOptions): void {

  const checkUrl = async (url: string): Promise<void> => {
    try {
      await checkTarget(url, { allowPrivate });
    } catch (error) {
      if (error instanceof TargetRefusedError) throw new SluiceError('invalid_body', `url: ${error.message}`);
      throw error;
    }
  };

  const existing = async (name: string): Promise<Subscription> => {
    if (subscriptionNameProblem(name) !== null) throw new SluiceError('not_found', `no subscription is named "${name.slice(0, 63)}"`);
    const found = await fromStore(() => store.subscriptions.get(name));
    if (found === null) throw new SluiceError('not_found', `no subscription is named "${name}"`);
    return found;
  };

  const withCounts = async (s: Subscription): Promise<Record<string, unknown>> => {
    const [counts, lag] = await Promise.all([fromStore(() => store.subscriptions.counts(s.id)), bus.consumerLag(consumerNameOf(s)).catch(() => null)]);
    return {
      ...publicShape(s),
      pending: (lag === null ? 0 : lag.pending + lag.ackPending),
      delivered: counts.delivered,
      failed: counts.failed,
      retrying: counts.retrying,
      last_error:
        counts.lastError === null
          ? null
          : { event_id: counts.lastError.eventId, at: counts.lastError.at, status_code: counts.lastError.statusCode, error: counts.lastError.error },
    };
  };

  app.post(
    '/subscriptions',
    { schema: { summary: 'Create a subscription (the secret is shown this once)', tags: ['subscriptions'], response: { 201: createdSchema } } },
    async (request, reply) => {
      let input;
      try {
        input = parseSubscriptionInput(jsonBody(request));
      } catch (error) {
        asInputError(error);
      }
      await checkUrl(input.url);
      const secret = input.secret ?? newSecret();
      const created = await fromStore(() => store.subscriptions.create({ ...input, secret }));
      if (created === null) throw new SluiceError('conflict', `a subscription named "${input.name}" exists; change it with PATCH /subscriptions/${input.name} or choose another name`);
      logger.info({ subscription: created.name, types: created.types, url: created.url, key: request.apiKey?.name }, 'subscription created');
      return reply.code(201).send({ ...publicShape(created), secret });
    },
  );

  app.get(
    '/subscriptions',
    { schema: { summary: 'Every subscription, with its delivery counts', tags: ['subscriptions'], response: { 200: { type: 'object', properties: { subscriptions: { type: 'array', items: subscriptionWithCountsSchema } } } } } },
    async () => {
      const all = await fromStore(() => store.subscriptions.list());
      return { subscriptions: await Promise.all(all.map(withCounts)) };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/subscriptions/:name',
    { schema: { summary: 'A subscription: pending, delivered and failed counts, the last error', tags: ['subscriptions'], params: nameParamsSchema, response: { 200: subscriptionWithCountsSchema } } },
    async (request) => withCounts(await existing(request.params.name)),
  );

  app.patch<{ Params: { name: string } }>(
    '/subscriptions/:name',
    { schema: { summary: 'Change a subscription: paused, url, types, filter, limits', tags: ['subscriptions'], params: nameParamsSchema, response: { 200: subscriptionSchema } } },
    async (request) => {
      await existing(request.params.name);
      let patch;
      try {
        patch = parseSubscriptionPatch(jsonBody(request));
      } catch (error) {
        asInputError(error);
      }
      if (patch.url !== undefined) await checkUrl(patch.url);
      const updated = await fromStore(() => store.subscriptions.update(request.params.name, patch));
      if (updated === null) throw new SluiceError('not_found', `no subscription is named "${request.params.name}"`);
      logger.info({ subscription: updated.name, changed: Object.keys(patch), key: request.apiKey?.name }, 'subscription changed');
      return publicShape(updated);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/subscriptions/:name',
    { schema: { summary: 'Remove a subscription and its delivery log', tags: ['subscriptions'], params: nameParamsSchema, response: { 204: { type: 'null' } } } },
    async (request, reply) => {
      const found = await existing(request.params.name);
      if (found.origin === 'file') {
        throw new SluiceError('conflict', `"${found.name}" is declared in the subscription file; remove it there (or pause it with PATCH {"paused": true})`);
      }
      await fromStore(() => store.subscriptions.remove(found.name));
      logger.info({ subscription: found.name, key: request.apiKey?.name }, 'subscription removed');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { name: string }; Querystring: Record<string, string | undefined> }>(
    '/subscriptions/:name/deliveries',
    {
      schema: {
        summary: "A subscription's deliveries, newest first, each with its attempts",
        tags: ['subscriptions'],
        params: nameParamsSchema,
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: DELIVERY_STATES }, cursor: { type: 'string' }, limit: { type: 'string' } },
        },
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema }, next_cursor: { type: ['string', 'null'] } } } },
      },
    },
    async (request) => {
      const found = await existing(request.params.name);
      const { status, cursor, limit: limitText } = request.query;
      const limit = limitText === undefined ? 100 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new SluiceError('invalid_parameter', `limit: must be a whole number from 1 to ${MAX_PAGE}`);
      const before = cursor === undefined ? undefined : Number(cursor);
      if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) throw new SluiceError('invalid_parameter', 'cursor: use the next_cursor of the previous page');
      const page = await fromStore(() =>
        store.subscriptions.deliveries(found.id, { limit, ...(status !== undefined ? { status: status as DeliveryState } : {}), ...(before !== undefined ? { beforePosition: before } : {}) }),
      );
      const attempts = await fromStore(() => store.subscriptions.attempts(page.map((d) => d.eventId), found.id));
      return {
        deliveries: page.map((d: DeliveryRecord) => ({
          event_id: d.eventId,
          event_type: d.eventType,
          status: d.status,
          attempts: d.attempts,
          status_code: d.statusCode,
          error: d.error,
          first_attempt_at: d.firstAttemptAt,
          last_attempt_at: d.lastAttemptAt,
          attempt_log: attempts.filter((a) => a.eventId === d.eventId).map((a) => attemptShape(a, found.name)),
        })),
        next_cursor: page.length === limit ? String(page[page.length - 1]!.position) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/events/:id/deliveries',
    {
      schema: {
        summary: "An event's delivery attempts to every subscription, oldest first",
        tags: ['subscriptions'],
        params: idParamsSchema,
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: attemptSchema } } } },
      },
    },
    async (request) => {
      const id = uuidParam(request.params.id);
      const [attempts, subscriptions] = await Promise.all([fromStore(() => store.subscriptions.attempts([id])), fromStore(() => store.subscriptions.list())]);
      const names = new Map(subscriptions.map((s) => [s.id, s.name]));
      return { deliveries: attempts.map((a) => attemptShape(a, names.get(a.subscriptionId) ?? a.subscriptionId)) };
    },
  );
}
