import type { StorePort } from '../store/index.js';

/** The database's reachability, checked in the background so /health answers without waiting on it. */
export class StoreHealth {
  private ok = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: StorePort, private readonly intervalMs = 2000) {}

  /** Starts checking; does not wait for the first answer, so the gateway listens without waiting on the database. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    this.ok = await Promise.race([this.store.ping(), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500).unref())]);
  }

  connected(): boolean {
    return this.ok;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
