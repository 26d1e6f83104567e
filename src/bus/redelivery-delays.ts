/** base × 2^(attempt − 1), at most `maxMs` (attempt counts from 1). */
function doublingDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/** The worker's curve: an event whose write failed is redelivered after 1 s, 2 s, 4 s … up to 60 s (by failed deliveries). */
export const FAILED_WRITE_DELAY = { baseMs: 1_000, maxMs: 60_000 } as const;

export function failedWriteDelayMs(failedDeliveries: number): number {
  return doublingDelayMs(failedDeliveries, FAILED_WRITE_DELAY.baseMs, FAILED_WRITE_DELAY.maxMs);
}

/**
 * The bus library's curve: an event whose subscriber's handler threw is redelivered after
 * 100 ms, 200 ms … up to 30 s (by attempt): an application's handler fails for its own reasons,
 * often a moment's, and is retried sooner than a database write.
 */
export const FAILED_HANDLER_DELAY = { baseMs: 100, maxMs: 30_000 } as const;

export function failedHandlerDelayMs(attempt: number): number {
  return doublingDelayMs(attempt, FAILED_HANDLER_DELAY.baseMs, FAILED_HANDLER_DELAY.maxMs);
}
