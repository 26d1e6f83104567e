// Calls to Sluice's public HTTP API (SPEC.md), with the API key when one is set.

import { currentKey, requestKey } from './auth.js';

/** A CloudEvent as GET /events and GET /events/{id} return it. */
export interface StoredEvent {
  id: string;
  type: string;
  source: string;
  specversion?: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  data?: unknown;
  originid?: string;
  /** Sluice's extensions: time of receipt and stream sequence. */
  receivedat?: string;
  sequence?: string;
  traceparent?: string;
  traceid?: string;
  [extension: string]: unknown;
}

export type EventStatusName = 'accepted' | 'processing' | 'persisted' | 'failed';

/** GET /ingest/status/{id}. */
export interface EventStatus {
  message_id: string;
  status: EventStatusName | string;
  type: string | null;
  entity_type: string | null;
  received_at: string | null;
  processed_at: string | null;
  attempts: number;
  error: string | null;
  /** The entity rows the event wrote or deleted (absent from gateways older than this console). */
  rows?: EntityRowRef[];
}

/** A row of an entity table, by table and key. */
export interface EntityRowRef {
  table: string;
  key: Record<string, unknown>;
  deleted?: boolean;
}

export interface EventPage {
  events: StoredEvent[];
  next_cursor: string | null;
}

export interface ReplayStarted {
  replay_id: string;
  replayed: number;
  unknown: string[];
}

export interface ReplayProgress {
  replay_id: string;
  status: 'running' | 'done' | string;
  matched: number;
  published: number;
}

export interface Health {
  status: 'ok' | 'degraded' | string;
  version?: string;
  bus?: { kind: string; connected: boolean };
  db?: { kind: string; connected: boolean };
  nats_connected?: boolean;
}

/** Filters of GET /events. `status` asks the gateway for events in one status only. */
export interface EventFilter {
  type?: string;
  source?: string;
  since?: string;
  until?: string;
  status?: string;
}

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  signal?: AbortSignal;
  /** Answer these statuses with their parsed body instead of throwing (GET /health's 503). */
  acceptStatus?: number[];
}

async function send(path: string, options: RequestOptions, key: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    cache: 'no-store',
  });
}

async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  let key = currentKey();
  let response = await send(path, options, key);
  // Ask for a key (or a better one) until one works; the dialog can only be left with a key.
  while (response.status === 401) {
    key = await requestKey(key);
    response = await send(path, options, key);
  }
  if (!response.ok && !options.acceptStatus?.includes(response.status)) throw await toError(response);
  return response;
}

async function toError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code ?? 'http_error', body.error?.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
  }
}

async function json<T>(path: string, options?: RequestOptions): Promise<T> {
  const response = await request(path, options);
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export function listEvents(filter: EventFilter, cursor: string | null, limit: number, signal?: AbortSignal): Promise<EventPage> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (typeof value === 'string' && value !== '') params.set(name, value);
  }
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return json<EventPage>(`/events?${params.toString()}`, { signal });
}

export function getEvent(id: string, signal?: AbortSignal): Promise<StoredEvent> {
  return json<StoredEvent>(`/events/${enc(id)}`, { signal });
}

export function getStatus(id: string, signal?: AbortSignal): Promise<EventStatus> {
  return json<EventStatus>(`/ingest/status/${enc(id)}`, { signal });
}

export function replayOne(id: string): Promise<ReplayStarted> {
  return json<ReplayStarted>(`/replay/${enc(id)}`, { method: 'POST' });
}

export function replayMany(ids: string[]): Promise<ReplayStarted> {
  return json<ReplayStarted>('/replay', { method: 'POST', body: { ids } });
}

export function getReplay(replayId: string, signal?: AbortSignal): Promise<ReplayProgress> {
  return json<ReplayProgress>(`/replay/${enc(replayId)}`, { signal });
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return json<Health>('/health', { signal, acceptStatus: [503] });
}

export async function getMetricsText(signal?: AbortSignal): Promise<string> {
  const response = await request('/metrics', { signal });
  return response.text();
}
