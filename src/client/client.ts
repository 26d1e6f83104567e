import { SluiceApiError, SluiceConnectionError } from './errors.js';
import { parseRetryAfter } from './retry-after.js';
import type {
  AcceptedEvent,
  BatchOptions,
  BatchResult,
  CloudEventResult,
  CreatedSubscription,
  DeliveryAttempt,
  DeliveryPage,
  DeliveryState,
  EventData,
  SubscriptionChange,
  SubscriptionDefinition,
  SubscriptionStatus,
  EventPage,
  HealthReport,
  KeyInfo,
  ListFilter,
  MessageStatus,
  ReplayAccepted,
  ReplayRequest,
  ReplayStatus,
  SendOptions,
  SluiceClientOptions,
  StoredEvent,
} from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
/** Wait used when a 429/503 carries no readable `Retry-After`. */
const FALLBACK_RETRY_SECONDS = 1;

/** Per-call options. */
export interface CallOptions {
  /** Abandons the request (and any wait between retries) when aborted. */
  signal?: AbortSignal;
}

interface RequestParts {
  query?: Record<string, string | number | Date | undefined>;
  headers?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  /** Answer 429/503 at once, whatever `retries` says (health checks want the truth now). */
  noRetry?: boolean;
  /** The Accept header (default application/json). */
  accept?: string;
  /** Keep the body's bytes (`Answer.bytes`): it may be anything, not text. */
  bytes?: boolean;
  signal?: AbortSignal;
}

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** The body as text. */
  text: string;
  /** The body's bytes, when the request asked for them. */
  bytes?: Uint8Array<ArrayBuffer>;
  url: string;
}

/**
 * A typed client of a Sluice gateway's HTTP API.
 *
 * ```ts
 * const sluice = new SluiceClient({ url: 'http://127.0.0.1:8080', apiKey: 'secret' });
 * const { id } = await sluice.send('order.created', { order_id: 'o-1', total: 12.5 });
 * const status = await sluice.status(id);
 * ```
 *
 * Failed calls throw `SluiceApiError` (the gateway said no: `code`, `status`, `message`,
 * `retryAfterSeconds`) or `SluiceConnectionError` (the gateway could not be reached).
 */
export class SluiceClient {
  /** The gateway's base URL, without a trailing slash. */
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxRetryDelayMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: SluiceClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(`"${options.url}" is not a valid gateway URL (expected something like http://127.0.0.1:8080)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`"${options.url}" is not an http or https URL`);
    }
    this.url = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = Math.max(0, Math.floor(options.retries ?? 0));
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Publishes one event (`POST /events/{type}`); resolves once it is durably stored. */
  async send(type: string, data: unknown, options: SendOptions = {}): Promise<AcceptedEvent> {
    if (data === undefined) throw new TypeError('send() needs data: any JSON value (use null for none)');
    const answer = await this.#call('POST', `/events/${encodeURIComponent(type)}`, {
      body: JSON.stringify(data),
      contentType: 'application/json',
      headers: {
        'idempotency-key': options.idempotencyKey,
        'ce-source': options.source,
        'ce-subject': options.subject,
        'x-entity-type': options.entity,
      },
    });
    return expect<AcceptedEvent>(answer, [200, 202]);
  }

  /**
   * Publishes many events in one request (`POST /ingest/batch`, one JSON line per value).
   * Lines are judged one by one: the result says, per 1-based line, the id or the error.
   * When no line was accepted the gateway answers 400 with the same body, which is returned
   * too; other failures throw.
   */
  async sendBatch(lines: readonly unknown[], options: BatchOptions = {}): Promise<BatchResult> {
    const body = lines.map((line, i) => {
      if (line === undefined) throw new TypeError(`sendBatch(): line ${i + 1} is undefined`);
      return JSON.stringify(line);
    });
    return this.sendNdjson(body.join('\n') + '\n', options);
  }

  /**
   * Publishes newline-delimited JSON as it is (`POST /ingest/batch`). The gateway judges each
   * physical line, so line numbers in the answer match the text given.
   */
  async sendNdjson(ndjson: string, options: BatchOptions = {}): Promise<BatchResult> {
    const answer = await this.#call('POST', '/ingest/batch', {
      query: { type: options.type, entity: options.entity },
      body: ndjson,
      contentType: 'application/x-ndjson',
      headers: { 'idempotency-key': options.idempotencyKey, 'x-source': options.source },
    });
    if (answer.status === 400 && isBatchResult(answer.body)) return answer.body;
    return expect<BatchResult>(answer, [200, 202]);
  }

  /** Publishes one structured CloudEvent (`application/cloudevents+json`). */
  async sendCloudEvents(event: Record<string, unknown>): Promise<AcceptedEvent>;
  /** Publishes a CloudEvents batch; one result per event, in order. */
  async sendCloudEvents(events: readonly Record<string, unknown>[]): Promise<CloudEventResult[]>;
  async sendCloudEvents(
    events: Record<string, unknown> | readonly Record<string, unknown>[],
  ): Promise<AcceptedEvent | CloudEventResult[]> {
    const batch = Array.isArray(events);
    const answer = await this.#call('POST', '/events', {
      body: JSON.stringify(events),
      contentType: batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json',
    });
    // A batch where no event was accepted answers 400 with the per-event results: return them.
    if (batch && answer.status === 400 && Array.isArray(answer.body)) return answer.body as CloudEventResult[];
    return expect<AcceptedEvent | CloudEventResult[]>(answer, [200, 202]);
  }

  /** Where an event is on its way to the database (`GET /ingest/status/{id}`). */
  async status(id: string, options: CallOptions = {}): Promise<MessageStatus> {
    const answer = await this.#call('GET', `/ingest/status/${encodeURIComponent(id)}`, { signal: options.signal });
    return expect<MessageStatus>(answer, [200]);
  }

  /** The stored event as a structured CloudEvent, data included (`GET /events/{id}`). */
  async get(id: string, options: CallOptions = {}): Promise<StoredEvent> {
    const answer = await this.#call('GET', `/events/${encodeURIComponent(id)}`, { signal: options.signal });
    return expect<StoredEvent>(answer, [200]);
  }

  /** The event's data: the exact bytes the producer sent, with their content type (`GET /events/{id}/data`). */
  async data(id: string, options: CallOptions = {}): Promise<EventData> {
    const answer = await this.#call('GET', `/events/${encodeURIComponent(id)}/data`, { signal: options.signal, accept: '*/*', bytes: true });
    if (answer.status !== 200 || answer.bytes === undefined) throw apiError(answer);
    return { bytes: answer.bytes, contentType: answer.headers.get('content-type') ?? 'application/octet-stream' };
  }

  /** One page of events in ingestion order (`GET /events`). */
  async list(filter: ListFilter = {}, options: CallOptions = {}): Promise<EventPage> {
    const answer = await this.#call('GET', '/events', {
      query: {
        type: filter.type,
        source: filter.source,
        since: filter.since,
        until: filter.until,
        limit: filter.limit,
        cursor: filter.cursor,
        status: filter.status,
        data: filter.data === undefined ? undefined : typeof filter.data === 'string' ? filter.data : JSON.stringify(filter.data),
      },
      signal: options.signal,
    });
    return expect<EventPage>(answer, [200]);
  }

  /**
   * Every event matching the filter, page after page, following `next_cursor` until a page
   * comes back empty.
   */
  async *listAll(filter: ListFilter = {}, options: CallOptions = {}): AsyncGenerator<StoredEvent, void, undefined> {
    let cursor = filter.cursor;
    for (;;) {
      const page = await this.list({ ...filter, cursor }, options);
      if (page.events.length === 0) return;
      yield* page.events;
      if (page.next_cursor === null) return;
      cursor = page.next_cursor;
    }
  }

  /**
   * Re-delivers stored events to the workers: one id, a list of ids, or a type pattern with
   * an optional time range. Resolves when the replay has started; follow it with `replayStatus`.
   */
  async replay(what: string | ReplayRequest): Promise<ReplayAccepted> {
    const answer =
      typeof what === 'string'
        ? await this.#call('POST', `/replay/${encodeURIComponent(what)}`, {})
        : await this.#call('POST', '/replay', {
            body: JSON.stringify({
              ...('ids' in what ? { ids: what.ids } : replayRange(what)),
              ...(what.subscription !== undefined ? { subscription: what.subscription } : {}),
            }),
            contentType: 'application/json',
          });
    return expect<ReplayAccepted>(answer, [200, 202]);
  }

  /** Progress of a replay (`GET /replay/{replay_id}`). */
  async replayStatus(replayId: string, options: CallOptions = {}): Promise<ReplayStatus> {
    const answer = await this.#call('GET', `/replay/${encodeURIComponent(replayId)}`, { signal: options.signal });
    return expect<ReplayStatus>(answer, [200]);
  }

  /** Every subscription with its delivery counts (`GET /subscriptions`; scope `admin`). */
  async subscriptions(options: CallOptions = {}): Promise<SubscriptionStatus[]> {
    const answer = await this.#call('GET', '/subscriptions', { signal: options.signal });
    return expect<{ subscriptions: SubscriptionStatus[] }>(answer, [200]).subscriptions;
  }

  /** One subscription: pending, delivered and failed counts, the last error. */
  async subscription(name: string, options: CallOptions = {}): Promise<SubscriptionStatus> {
    const answer = await this.#call('GET', `/subscriptions/${encodeURIComponent(name)}`, { signal: options.signal });
    return expect<SubscriptionStatus>(answer, [200]);
  }

  /** Creates a subscription; the answer holds its secret, shown this once. */
  async createSubscription(definition: SubscriptionDefinition): Promise<CreatedSubscription> {
    const answer = await this.#call('POST', '/subscriptions', { body: JSON.stringify(definition), contentType: 'application/json' });
    return expect<CreatedSubscription>(answer, [201]);
  }

  /** Changes a subscription (`paused`, `url`, types, filter, limits). */
  async updateSubscription(name: string, change: SubscriptionChange): Promise<SubscriptionStatus> {
    const answer = await this.#call('PATCH', `/subscriptions/${encodeURIComponent(name)}`, { body: JSON.stringify(change), contentType: 'application/json' });
    return expect<SubscriptionStatus>(answer, [200]);
  }

  /** Stops delivering (events wait on the bus) until `resumeSubscription`. */
  async pauseSubscription(name: string): Promise<SubscriptionStatus> {
    return this.updateSubscription(name, { paused: true });
  }

  async resumeSubscription(name: string): Promise<SubscriptionStatus> {
    return this.updateSubscription(name, { paused: false });
  }

  /** Removes a subscription and its delivery log. */
  async deleteSubscription(name: string): Promise<void> {
    const answer = await this.#call('DELETE', `/subscriptions/${encodeURIComponent(name)}`, {});
    if (answer.status !== 204) throw apiError(answer);
  }

  /** A page of a subscription's deliveries, newest first, each with its attempts. */
  async deliveries(name: string, filter: { status?: DeliveryState; cursor?: string; limit?: number } = {}, options: CallOptions = {}): Promise<DeliveryPage> {
    const answer = await this.#call('GET', `/subscriptions/${encodeURIComponent(name)}/deliveries`, {
      query: { status: filter.status, cursor: filter.cursor, limit: filter.limit },
      signal: options.signal,
    });
    return expect<DeliveryPage>(answer, [200]);
  }

  /** Every attempt to deliver one event, to every subscription, oldest first. */
  async eventDeliveries(id: string, options: CallOptions = {}): Promise<DeliveryAttempt[]> {
    const answer = await this.#call('GET', `/events/${encodeURIComponent(id)}/deliveries`, { signal: options.signal });
    return expect<{ deliveries: DeliveryAttempt[] }>(answer, [200]).deliveries;
  }

  /**
   * Re-delivers a subscription's failed deliveries (its dead letters) to it alone: their ids
   * are read page by page and replayed in requests of up to 10 000 ids.
   */
  async replayFailed(name: string): Promise<{ replayed: number; replay_ids: string[] }> {
    const ids: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await this.deliveries(name, { status: 'failed', limit: 500, ...(cursor !== undefined ? { cursor } : {}) });
      ids.push(...page.deliveries.map((d) => d.event_id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    const replayIds: string[] = [];
    let replayed = 0;
    for (let start = 0; start < ids.length; start += 10_000) {
      const accepted = await this.replay({ ids: ids.slice(start, start + 10_000), subscription: name });
      replayIds.push(accepted.replay_id);
      replayed += accepted.replayed;
    }
    return { replayed, replay_ids: replayIds };
  }

  /** The gateway's health. A degraded gateway (503) resolves too, with `status: 'degraded'`. */
  async health(options: CallOptions = {}): Promise<HealthReport> {
    const answer = await this.#call('GET', '/health', { noRetry: true, signal: options.signal });
    if (answer.status === 503 && isObject(answer.body) && answer.body.status === 'degraded') {
      return answer.body as unknown as HealthReport;
    }
    return expect<HealthReport>(answer, [200]);
  }

  /** Who this client's key is and what it may do (`GET /auth/key`); `open: true` when the gateway has no keys. */
  async whoami(options: CallOptions = {}): Promise<KeyInfo> {
    return expect<KeyInfo>(await this.#call('GET', '/auth/key', { noRetry: true, signal: options.signal }), [200]);
  }

  /** The gateway's Prometheus metrics, as text (`GET /metrics`). */
  async metrics(options: CallOptions = {}): Promise<string> {
    const answer = await this.#call('GET', '/metrics', { noRetry: true, signal: options.signal, accept: 'text/plain' });
    if (answer.status === 200) return answer.text;
    throw apiError(answer);
  }

  async #call(method: string, path: string, parts: RequestParts): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.#once(method, path, parts);
      const shed = answer.status === 429 || answer.status === 503;
      if (!shed || parts.noRetry === true || attempt >= this.#retries) return answer;
      const seconds = parseRetryAfter(answer.headers.get('retry-after')) ?? FALLBACK_RETRY_SECONDS;
      await sleep(Math.min(seconds * 1000, this.#maxRetryDelayMs), parts.signal);
    }
  }

  async #once(method: string, path: string, parts: RequestParts): Promise<Answer> {
    const url = this.url + path + queryString(parts.query);
    const headers: Record<string, string> = { accept: parts.accept ?? 'application/json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    if (parts.contentType !== undefined) headers['content-type'] = parts.contentType;
    for (const [name, value] of Object.entries(parts.headers ?? {})) {
      if (value !== undefined) headers[name] = value;
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = parts.signal === undefined ? timeout : AbortSignal.any([timeout, parts.signal]);
    try {
      const response = await this.#fetch(url, { method, headers, body: parts.body, signal });
      const bytes = parts.bytes === true ? new Uint8Array(await response.arrayBuffer()) : undefined;
      const text = bytes === undefined ? await response.text() : new TextDecoder().decode(bytes);
      return { status: response.status, statusText: response.statusText, headers: response.headers, body: parseJson(text), text, ...(bytes !== undefined ? { bytes } : {}), url };
    } catch (thrown) {
      if (parts.signal?.aborted === true) throw parts.signal.reason ?? thrown;
      if (timeout.aborted) {
        throw new SluiceConnectionError(url, `no answer from ${url} within ${this.#timeoutMs} ms`, { cause: thrown, timedOut: true });
      }
      throw new SluiceConnectionError(url, `could not reach ${url}: ${describeNetworkFailure(thrown)}`, { cause: thrown });
    }
  }
}

function expect<T>(answer: Answer, ok: readonly number[]): T {
  if (ok.includes(answer.status)) return answer.body as T;
  throw apiError(answer);
}

/** Maps a non-success answer to a SluiceApiError, using the gateway's error body when there is one. */
function apiError(answer: Answer): SluiceApiError {
  const retryAfterSeconds = parseRetryAfter(answer.headers.get('retry-after'));
  const detail = errorDetailOf(answer.body);
  if (detail !== undefined) {
    const message = typeof detail.message === 'string' ? detail.message : detail.code;
    return new SluiceApiError(detail.code, answer.status, message, { retryAfterSeconds, body: answer.body });
  }
  const statusText = answer.statusText === '' ? '' : ` ${answer.statusText}`;
  return new SluiceApiError(`http_${answer.status}`, answer.status, `HTTP ${answer.status}${statusText} from ${answer.url}`, {
    retryAfterSeconds,
    body: answer.body,
  });
}

/**
 * The error an answer body carries: `{"error": ...}`, or, for a batch that failed whole
 * (a 503 when the bus is away), the first rejected entry of its per-item results.
 */
function errorDetailOf(body: unknown): { code: string; message?: unknown } | undefined {
  if (isObject(body) && isObject(body.error) && typeof body.error.code === 'string') return body.error as { code: string };
  const items = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.results) ? body.results : [];
  for (const item of items as unknown[]) {
    if (isObject(item) && isObject(item.error) && typeof item.error.code === 'string') return item.error as { code: string };
  }
  return undefined;
}

function replayRange(range: { type: string; since?: string | Date; until?: string | Date }): Record<string, string> {
  const body: Record<string, string> = { type: range.type };
  if (range.since !== undefined) body.since = timeText(range.since);
  if (range.until !== undefined) body.until = timeText(range.until);
  return body;
}

function timeText(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}

function queryString(query: RequestParts['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBatchResult(value: unknown): value is BatchResult {
  return isObject(value) && Array.isArray(value.results) && typeof value.accepted === 'number';
}

/** fetch reports network failures as `TypeError: fetch failed` with the system error as cause. */
function describeNetworkFailure(thrown: unknown): string {
  const cause = thrown instanceof Error ? thrown.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return thrown instanceof Error ? thrown.message : String(thrown);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
