import type { BusPort, PublishAck, PublishRequest } from '../bus/index.js';
import { SluiceError } from '../errors/index.js';
import type { SluiceMetrics } from '../metrics/index.js';

/**
 * Publishes for the routes with a bound on events in flight: past it new requests are shed
 * with 429 instead of queueing without limit in memory.
 */
export class Publisher {
  private inflight = 0;

  constructor(
    private readonly bus: BusPort,
    private readonly maxInflight: number,
    private readonly metrics: SluiceMetrics,
  ) {}

  /** Throws 429 when the gateway is at its in-flight bound. */
  admit(): void {
    if (this.inflight >= this.maxInflight) {
      throw new SluiceError('overloaded', `the gateway has ${this.inflight} events in flight (SLUICE_MAX_INFLIGHT=${this.maxInflight}); retry shortly`, {
        retryAfterSeconds: 1,
      });
    }
  }

  async publish(request: PublishRequest): Promise<PublishAck> {
    this.admit();
    this.enter(1);
    const started = performance.now();
    try {
      return await this.bus.publish(request);
    } finally {
      this.metrics.publishDuration.observe((performance.now() - started) / 1000);
      this.enter(-1);
    }
  }

  async publishMany(requests: readonly PublishRequest[]): Promise<Array<PublishAck | Error>> {
    this.admit();
    this.enter(requests.length);
    const started = performance.now();
    try {
      return await this.bus.publishMany(requests);
    } finally {
      this.metrics.publishDuration.observe((performance.now() - started) / 1000);
      this.enter(-requests.length);
    }
  }

  private enter(n: number): void {
    this.inflight += n;
    this.metrics.publishInflight.set(this.inflight);
  }
}
