import type { StorePort } from '../store/index.js';

/**
 * The database's reachability, checked in the background so /health answers without waiting
 * on it. While the last answer was "down", a read waits briefly (at most 100 ms) for a fresh
 * check, so a database that just came up shows as connected at once, not an interval later.
 */
export class StoreHealth {
  private ok = false;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly store: StorePort,
    private readonly onCheck: (connected: boolean) => void = () => {},
    private readonly intervalMs = 2000,
  ) {}

  /** Starts checking; does not wait for the first answer, so the gateway listens without waiting on the database. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.checking ??= Promise.race([this.store.ping(), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500).unref())])
      .then((ok) => {
        this.ok = ok;
        this.onCheck(ok);
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  async connected(): Promise<boolean> {
    if (this.ok) return true;
    await Promise.race([this.check(), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
    return this.ok;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
