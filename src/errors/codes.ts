/**
 * The one registry of error codes Sluice answers with. Each code has its HTTP status;
 * the gateway maps every error it returns through this table, and clients switch on `code`.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_event_type: 400,
  invalid_cloudevent: 400,
  type_mismatch: 400,
  invalid_id: 400,
  invalid_parameter: 400,
  invalid_body: 400,
  unsupported_json: 400,
  invalid_content_type: 400,
  empty_batch: 400,
  unauthorized: 401,
  forbidden: 403,
  type_not_allowed: 403,
  not_found: 404,
  conflict: 409,
  request_timeout: 408,
  body_too_large: 413,
  batch_too_large: 413,
  event_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  overloaded: 429,
  rate_limited: 429,
  bus_unavailable: 503,
  store_unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error with a stable code, an HTTP status, and a message a user can act on. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before retrying (429 and 503). */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown });
}
