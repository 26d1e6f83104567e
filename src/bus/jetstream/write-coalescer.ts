/**
 * Holds publishes until the event loop has read every request that is ready, then issues them
 * together. nats.js writes whatever was queued within one microtask turn as a single socket
 * write; without this each HTTP request (its own macrotask) costs one write of its own, which
 * was a third of the gateway's CPU. The wait is one turn of the loop (setImmediate), well
 * under a millisecond when the process is not saturated.
 */
export class WriteCoalescer {
  private pending: Array<() => void> = [];
  private scheduled = false;

  /** Runs `send` in the next batch and returns its promise. */
  run<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push(() => send().then(resolve, reject));
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    for (const send of batch) send();
  };
}
