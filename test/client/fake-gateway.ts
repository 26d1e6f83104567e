// A small in-memory stand-in for the gateway's HTTP contract, for client and CLI behaviour
// tests that must not depend on NATS or PostgreSQL. The real gateway is driven in
// integration.test.ts.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: unknown;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Answer this request yourself (return true), or let the fake answer it. */
export type Override = (req: RecordedRequest, res: ServerResponse) => boolean;

export interface FakeGateway {
  url: string;
  events: FakeEvent[];
  requests: RecordedRequest[];
  replays: Map<string, { polls: number; matched: number }>;
  override: Override | undefined;
  /** Adds an event as if it had been accepted. */
  add(type: string, data: unknown): FakeEvent;
  stop(): Promise<void>;
}

export async function startFakeGateway(options: { apiKey?: string } = {}): Promise<FakeGateway> {
  const events: FakeEvent[] = [];
  const requests: RecordedRequest[] = [];
  const replays = new Map<string, { polls: number; matched: number }>();
  const add = (type: string, data: unknown): FakeEvent => {
    const event: FakeEvent = { specversion: '1.0', id: randomUUID(), source: '/sluice', type, time: new Date().toISOString(), data };
    events.push(event);
    return event;
  };
  const fake: FakeGateway = {
    url: '',
    events,
    requests,
    replays,
    override: undefined,
    add,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(parts).toString('utf8') };
      requests.push(recorded);
      if (fake.override?.(recorded, res) === true) return;
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        send(res, 401, { error: { code: 'unauthorized', message: 'a valid API key is required' } });
        return;
      }
      answer(recorded, res);
    });
  });

  const answer = (req: RecordedRequest, res: ServerResponse): void => {
    const url = new URL(req.url, 'http://fake');
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && (match = /^\/events\/([^/]+)$/.exec(path)) !== null) {
      const event = add(decodeURIComponent(match[1] as string), JSON.parse(req.body));
      send(res, 202, { id: event.id, type: event.type, status: 'accepted', time: event.time, seq: events.length });
      return;
    }
    if (req.method === 'POST' && path === '/ingest/batch') {
      const type = url.searchParams.get('type') ?? 'ingest.message';
      const results: unknown[] = [];
      let accepted = 0;
      req.body.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          results.push({ line: i + 1, message_id: add(type, JSON.parse(line)).id });
          accepted++;
        } catch {
          results.push({ line: i + 1, error: { code: 'invalid_json', message: 'the line is not valid JSON' } });
        }
      });
      send(res, accepted > 0 ? 202 : 400, { accepted, rejected: results.length - accepted, results });
      return;
    }
    if (req.method === 'GET' && (match = /^\/ingest\/status\/([^/]+)$/.exec(path)) !== null) {
      const event = events.find((e) => e.id === match?.[1]);
      if (event === undefined) return send(res, 404, { error: { code: 'not_found', message: `no event has the id ${match[1]}` } });
      send(res, 200, {
        message_id: event.id, status: 'persisted', type: event.type, entity_type: null,
        received_at: event.time, processed_at: event.time, attempts: 1, error: null,
      });
      return;
    }
    if (req.method === 'GET' && path === '/events') {
      const limit = Number(url.searchParams.get('limit') ?? '100');
      const type = url.searchParams.get('type');
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const page: FakeEvent[] = [];
      let position = start;
      while (position < events.length && page.length < limit) {
        const event = events[position] as FakeEvent;
        position++;
        if (type === null || event.type === type) page.push(event);
      }
      send(res, 200, { events: page, next_cursor: String(position) });
      return;
    }
    if (req.method === 'GET' && (match = /^\/events\/([^/]+)$/.exec(path)) !== null) {
      const event = events.find((e) => e.id === match?.[1]);
      if (event === undefined) return send(res, 404, { error: { code: 'not_found', message: 'unknown id' } });
      send(res, 200, event);
      return;
    }
    if (req.method === 'POST' && (path === '/replay' || path.startsWith('/replay/'))) {
      const ids: string[] = path === '/replay' ? ((JSON.parse(req.body) as { ids?: string[] }).ids ?? events.map((e) => e.id)) : [decodeURIComponent(path.slice(8))];
      const known = ids.filter((id) => events.some((e) => e.id === id));
      if (known.length === 0) return send(res, 404, { error: { code: 'not_found', message: 'none of the ids is known' } });
      const replayId = randomUUID();
      replays.set(replayId, { polls: 0, matched: known.length });
      send(res, 202, { replay_id: replayId, replayed: known.length, unknown: ids.filter((id) => !known.includes(id)) });
      return;
    }
    if (req.method === 'GET' && (match = /^\/replay\/([^/]+)$/.exec(path)) !== null) {
      const replay = replays.get(match[1] as string);
      if (replay === undefined) return send(res, 404, { error: { code: 'not_found', message: 'unknown replay' } });
      replay.polls++;
      const done = replay.polls >= 3;
      send(res, 200, { replay_id: match[1], status: done ? 'done' : 'running', matched: replay.matched, published: done ? replay.matched : 0 });
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      send(res, 200, { status: 'ok', version: '0.0.0', bus: { kind: 'embedded', connected: true }, db: { kind: 'embedded', connected: true }, nats_connected: false });
      return;
    }
    send(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${path}` } });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
