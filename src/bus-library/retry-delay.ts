import { FAILED_HANDLER_DELAY, failedHandlerDelayMs } from '../bus/index.js';

/** First redelivery delay after a handler throws; it doubles with each attempt (the bus's `FAILED_HANDLER_DELAY`). */
export const RETRY_BASE_MS = FAILED_HANDLER_DELAY.baseMs;
/** The longest redelivery delay. */
export const RETRY_MAX_MS = FAILED_HANDLER_DELAY.maxMs;

/** How long to wait before redelivering an event whose handler threw on `attempt` (1-based): 100 ms × 2^(attempt-1), at most 30 s. */
export const retryDelayMs: (attempt: number) => number = failedHandlerDelayMs;

/** Thrown (or rejected with) to hand an event back after a chosen delay instead of the computed one. */
export class RedeliverLater extends Error {
  readonly delayMs: number;
  constructor(delayMs: number) {
    super(`redeliver in ${delayMs} ms`);
    this.name = 'RedeliverLater';
    this.delayMs = Math.max(0, delayMs);
  }
}

/** The delay for a failed delivery: the one asked for, or the computed one. */
export function redeliveryDelayFor(error: unknown, attempt: number): number {
  return error instanceof RedeliverLater ? error.delayMs : failedHandlerDelayMs(attempt);
}
