import http from 'node:http';
import https from 'node:https';
import { checkTargetLiteral, guardedLookup } from '../subscriptions/index.js';

/** What one POST to an endpoint came to. */
export interface PostResult {
  /** The HTTP status; null when there was no answer (timeout, refused, reset). */
  readonly statusCode: number | null;
  /** Why it is not a success, in a sentence; null for a 2xx. */
  readonly error: string | null;
  /** The endpoint's `Retry-After`, in ms, when it gave one. */
  readonly retryAfterMs: number | null;
  readonly durationMs: number;
}

/** Longest Retry-After honoured; a larger one is taken as this (the attempt still counts). */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** The start of an error answer's body kept in the delivery log (enough for a message, not a page). */
const ERROR_BODY_BYTES = 300;

/** Sends events to one endpoint over kept-alive connections, at most `maxSockets` at once. */
export class EndpointClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly request: typeof http.request;

  constructor(
    url: string,
    private readonly options: { maxSockets: number; timeoutMs: number; allowPrivate: boolean },
  ) {
    this.url = new URL(url);
    const secure = this.url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, ...(options.allowPrivate ? {} : { lookup: guardedLookup as never }) };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = secure ? https.request : http.request;
  }

  post(headers: Readonly<Record<string, string>>, body: Uint8Array): Promise<PostResult> {
    const started = performance.now();
    const took = () => performance.now() - started;
    if (!this.options.allowPrivate) {
      try {
        checkTargetLiteral(this.url);
      } catch (error) {
        return Promise.resolve({ statusCode: null, error: (error as Error).message, retryAfterMs: null, durationMs: took() });
      }
    }
    return new Promise<PostResult>((resolve) => {
      let settled = false;
      // Aborting the request ends it with an 'error', answered below as the timeout.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), this.options.timeoutMs);
      const finish = (result: Omit<PostResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, durationMs: took() });
      };
      const failed = (error: string) => finish({ statusCode: null, error, retryAfterMs: null });
      const req = this.request(this.url, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(body.byteLength) }, signal: abort.signal }, (res) => {
        const status = res.statusCode ?? 0;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        if (status >= 200 && status < 300) {
          // Drained, not read: the connection goes back to the pool once the body is consumed.
          res.resume();
          res.on('end', () => finish({ statusCode: status, error: null, retryAfterMs }));
          res.on('error', () => finish({ statusCode: status, error: null, retryAfterMs }));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < ERROR_BODY_BYTES) text += chunk;
        });
        const done = () => {
          const snippet = text.slice(0, ERROR_BODY_BYTES).replace(/\s+/g, ' ').trim();
          finish({ statusCode: status, error: `HTTP ${status}${snippet !== '' ? `: ${snippet}` : ''}`, retryAfterMs });
        };
        res.on('end', done);
        res.on('error', done);
      });
      req.on('error', (error: NodeJS.ErrnoException) => failed(abort.signal.aborted ? `no answer within ${this.options.timeoutMs} ms (timeout)` : describeError(error)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ECONNRESET':
      return 'connection reset by the endpoint (ECONNRESET)';
    case 'ENOTFOUND':
      return `the host does not resolve (ENOTFOUND)`;
    default:
      return error.code !== undefined ? `${error.message} (${error.code})` : error.message;
  }
}

/** `Retry-After`: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - Date.now();
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
