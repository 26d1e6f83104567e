import type { FastifyInstance } from 'fastify';
import { checkJsonBytes, eventTimeUtc, isRfc3339, typePatternProblem } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { ReplaySelector, StorePort } from '../../store/index.js';
import { requireMediaType } from '../content-type.js';
import { uuidParam } from '../id-param.js';
import type { Replayer } from '../replayer.js';
import { fromStore } from '../store-read.js';
import { idParamsSchema } from './schemas.js';
import { subscriptionNameProblem } from '../../subscriptions/index.js';

const MAX_IDS = 10_000;

const startedSchema = {
  type: 'object',
  properties: { replay_id: { type: 'string' }, replayed: { type: 'integer' }, unknown: { type: 'array', items: { type: 'string' } } },
  required: ['replay_id', 'replayed', 'unknown'],
} as const;

/** What replays use: the store (subscriptions, progress) and the gateway's replayer. */
export interface ReplayOptions {
  readonly store: StorePort;
  readonly replayer: Replayer;
}

const NOT_STARTED = 'the replay was not started';

/** POST /replay/{id}, POST /replay, GET /replay/{replay_id}. */
export function registerReplay(app: FastifyInstance, { store, replayer }: ReplayOptions): void {
  const start = async (selector: ReplaySelector, subscription?: string) => {
    if (subscription !== undefined) {
      const found = await fromStore(() => store.subscriptions.get(subscription), NOT_STARTED);
      if (found === null) throw new SluiceError('not_found', `no subscription is named "${subscription}"`);
    }
    const started = await fromStore(() => replayer.start(selector, subscription), NOT_STARTED);
    if (started === null) {
      throw new SluiceError('not_found', selector.ids !== undefined ? 'none of the ids is a known event' : 'no archived event matches the selection');
    }
    return { replay_id: started.replayId, replayed: started.matched, unknown: started.unknown };
  };

  app.post<{ Params: { id: string } }>(
    '/replay/:id',
    { schema: { summary: 'Re-deliver one event to the workers', tags: ['replay'], params: idParamsSchema, response: { 202: startedSchema } } },
    async (request, reply) => {
      return reply.code(202).send(await start({ ids: [uuidParam(request.params.id)] }));
    },
  );

  app.post(
    '/replay',
    {
      schema: {
        summary: 'Re-deliver events by ids, or by type pattern and time range; to one subscription only with "subscription"',
        tags: ['replay'],
        response: { 202: startedSchema },
      },
    },
    async (request, reply) => {
      requireMediaType(request, ['application/json'], 'send {"ids": [...]} or {"type", "since", "until"} as application/json');
      const body = JSON.parse(checkJsonBytes(request.body as Buffer)) as unknown;
      const { subscription, rest } = takeSubscription(body);
      return reply.code(202).send(await start(parseSelector(rest), subscription));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/replay/:id',
    { schema: { summary: "A replay's progress", tags: ['replay'], params: idParamsSchema } },
    async (request) => {
      const id = uuidParam(request.params.id, 'a replay id');
      const replay = await fromStore(() => store.getReplay(id));
      if (replay === null) throw new SluiceError('not_found', `no replay has id ${id}`);
      return {
        replay_id: replay.replayId,
        status: replay.status === 'running' ? 'running' : 'done',
        matched: replay.matched,
        published: replay.published,
        ...(replay.error !== null ? { error: replay.error } : {}),
      };
    },
  );
}

/** `"subscription": "billing"` re-delivers to that subscription only (the workers and other subscriptions pass it by). */
function takeSubscription(body: unknown): { subscription?: string; rest: unknown } {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, 'subscription')) return { rest: body };
  const { subscription, ...rest } = body as Record<string, unknown>;
  if (typeof subscription !== 'string' || subscriptionNameProblem(subscription) !== null) throw new SluiceError('invalid_body', 'subscription: must be the name of a subscription');
  return { subscription, rest };
}

function parseSelector(body: unknown): ReplaySelector {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SluiceError('invalid_body', 'send {"ids": [...]} or {"type": "order.>", "since": "...", "until": "..."}');
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!['ids', 'type', 'since', 'until'].includes(key)) throw new SluiceError('invalid_body', `unknown field "${key.slice(0, 40)}"; use ids, or type, since and until (and subscription)`);
  }
  if (b.ids !== undefined) {
    if (b.type !== undefined || b.since !== undefined || b.until !== undefined) throw new SluiceError('invalid_body', 'give either ids, or type/since/until, not both');
    if (!Array.isArray(b.ids) || b.ids.length === 0) throw new SluiceError('invalid_body', 'ids must be a non-empty array of event ids');
    if (b.ids.length > MAX_IDS) throw new SluiceError('invalid_body', `at most ${MAX_IDS} ids per replay`);
    return { ids: [...new Set((b.ids as unknown[]).map((id) => uuidParam(id)))] };
  }
  if (b.type === undefined && b.since === undefined && b.until === undefined) {
    throw new SluiceError('invalid_body', 'the body is empty; send {"ids": [...]} or {"type", "since", "until"}');
  }
  if (b.type !== undefined && (typeof b.type !== 'string' || typePatternProblem(b.type) !== null)) {
    throw new SluiceError('invalid_body', `type: ${typeof b.type === 'string' ? typePatternProblem(b.type) : 'must be a string'}`);
  }
  for (const name of ['since', 'until'] as const) {
    const v = b[name];
    if (v !== undefined && (typeof v !== 'string' || !isRfc3339(v))) throw new SluiceError('invalid_body', `${name}: must be an RFC 3339 time`);
  }
  return {
    ...(b.type !== undefined ? { type: b.type as string } : {}),
    // In UTC: PostgreSQL reads offsets only up to ±15:59 (RFC 3339 allows ±23:59).
    ...(b.since !== undefined ? { since: eventTimeUtc(b.since as string) } : {}),
    ...(b.until !== undefined ? { until: eventTimeUtc(b.until as string) } : {}),
  };
}
