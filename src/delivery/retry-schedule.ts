/** What to do with a delivery after an attempt. */
export type Settlement = { readonly kind: 'delivered' } | { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'failed' };

/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 600_000;

/**
 * The wait before attempt `attempt + 1`: `baseMs` doubling with each attempt, at most 10
 * minutes, jittered down to half of that so endpoints that failed together are not retried
 * together. With the defaults (1 s, 10 attempts) the last retry comes within about 17 minutes.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * After attempt `attempt` (1-based) of `maxAttempts`: a 2xx is delivered; otherwise another
 * attempt follows (after the endpoint's Retry-After for a 429 or 503 that gives one, else after
 * `retryDelayMs`) until `maxAttempts` have been made, and then it has failed.
 */
export function settle(result: { statusCode: number | null; retryAfterMs: number | null }, attempt: number, maxAttempts: number, baseMs: number): Settlement {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status < 300) return { kind: 'delivered' };
  if (attempt >= maxAttempts) return { kind: 'failed' };
  if ((status === 429 || status === 503) && result.retryAfterMs !== null) return { kind: 'retry', delayMs: result.retryAfterMs };
  return { kind: 'retry', delayMs: retryDelayMs(attempt, baseMs) };
}
