/**
 * A token bucket: `ratePerSecond` tokens flow in each second, up to `capacity` (a key's
 * `rate: 500/s` holds 1000, so a producer may burst twice its rate after a quiet spell).
 * The state is two numbers, refilled on use: no timer, nothing to clean up.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(readonly ratePerSecond: number, readonly capacity: number, nowMs: number) {
    this.tokens = capacity;
    this.updatedMs = nowMs;
  }

  /** Takes one token. Returns 0 when one was there, else the milliseconds until one will be. */
  take(nowMs: number): number {
    const elapsed = nowMs - this.updatedMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.updatedMs = nowMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }
}
