/**
 * The gateway answered with an error (`{"error": {"code", "message"}}`), or with a status the
 * client cannot use. Switch on `code`: it is the gateway's stable error code
 * (`invalid_json`, `not_found`, `overloaded`, `bus_unavailable`, ...), or `http_<status>`
 * when the answer carried no Sluice error body (a proxy in between, for instance).
 */
export class SluiceApiError extends Error {
  override readonly name = 'SluiceApiError';
  /** The stable error code. */
  readonly code: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** Seconds the gateway asked the client to wait (`Retry-After` on 429 and 503). */
  readonly retryAfterSeconds?: number;
  /** The parsed answer body, when it was JSON (a batch answer keeps its per-line results here). */
  readonly body?: unknown;

  constructor(code: string, status: number, message: string, options?: { retryAfterSeconds?: number; body?: unknown }) {
    super(message);
    this.code = code;
    this.status = status;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options?.body !== undefined) this.body = options.body;
  }

  /** True for answers worth retrying later: the gateway shed load (429) or the bus is away (503). */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503;
  }
}

/**
 * The gateway could not be reached, or did not answer in time. Nothing is known about the
 * request's fate: send again with the same idempotency key to be safe.
 */
export class SluiceConnectionError extends Error {
  override readonly name = 'SluiceConnectionError';
  /** Always `connection_failed`, so callers can switch on `code` for both error classes. */
  readonly code = 'connection_failed';
  /** The URL that could not be reached. */
  readonly url: string;
  /** True when the request was abandoned after `timeoutMs`. */
  readonly timedOut: boolean;

  constructor(url: string, message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.url = url;
    this.timedOut = options.timedOut ?? false;
  }
}
