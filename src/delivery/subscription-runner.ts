import type { BusPort, ConsumerHandle, Delivery } from '../bus/index.js';
import { isJsonContentType, type EventEnvelope } from '../envelope/index.js';
import { asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { DeliveryAttempt, StorePort } from '../store/index.js';
import { consumerNameOf, jsonContains, secretKey, type Subscription } from '../subscriptions/index.js';
import { EndpointClient, type PostResult } from './post-event.js';
import { cloudEventHeaders, contentTypeOf } from './request-headers.js';
import { settle, type Settlement } from './retry-schedule.js';
import { webhookSignature } from './signature.js';

export interface RunnerOptions {
  readonly subscription: Subscription;
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly allowPrivateTargets: boolean;
  /** The first retry's delay; it doubles with each attempt. */
  readonly retryBaseMs: number;
  /** The key `ordered` delivers one at a time. */
  readonly orderingKey: (envelope: EventEnvelope) => string;
}


const decoder = new TextDecoder();
/**
 * Events taken from the bus at once: several rounds of `max_in_flight`, so the delivery-log
 * write and the acks of a batch are shared by more events. At one round a batch (16 events)
 * cost about 19 ms of log write and bus round trips, and deliveries ran at 836/s with the
 * delivering process 19% busy (BENCHMARKS.md).
 */
function batchSizeFor(maxInFlight: number): number {
  return Math.min(1000, Math.max(64, maxInFlight * 4));
}

/** Runs `work` on every item, at most `limit` at a time; results in the items' order. */
async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
/** How often an ordered delivery waiting between attempts tells the bus it is still being worked on. */
const WORKING_INTERVAL_MS = 5_000;

/**
 * Delivers one subscription's events: its own durable consumer, its own connections (at most
 * `max_in_flight`), so a slow or dead endpoint holds back only this subscription. A batch is
 * a few rounds of `max_in_flight` events; each is POSTed once (at most `max_in_flight` at a
 * time), the attempts are written to the delivery log in one transaction, and then each is acked (delivered), acked as failed (after
 * `max_attempts`), or handed back to the bus to come again after its retry delay. `ordered`
 * subscriptions keep each key's events in order by retrying in place instead.
 */
export class SubscriptionRunner {
  readonly subscription: Subscription;
  private readonly client: EndpointClient;
  private readonly key: Uint8Array;
  private handle: ConsumerHandle | undefined;
  private stopping = false;
  private readonly logger: Logger;

  constructor(private readonly options: RunnerOptions) {
    this.subscription = options.subscription;
    this.key = secretKey(options.subscription.secret);
    this.client = new EndpointClient(options.subscription.url, {
      maxSockets: options.subscription.maxInFlight,
      timeoutMs: options.subscription.timeoutMs,
      allowPrivate: options.allowPrivateTargets,
    });
    this.logger = options.logger.child({ subscription: options.subscription.name });
  }

  get durable(): string {
    return consumerNameOf(this.subscription);
  }

  async start(): Promise<void> {
    const s = this.subscription;
    this.handle = await this.options.bus.consume(
      {
        durable: this.durable,
        types: s.types,
        batchSize: batchSizeFor(s.maxInFlight),
        // Long enough for a batch of timeouts and the log write (ordered retries extend it every
        // 5 s as they wait); short enough that a crashed process's deliveries come back soon.
        ackWaitMs: Math.max(10_000, s.timeoutMs * 2 + 5_000),
        startAt: new Date(s.createdAt),
      },
      (batch) => this.handleBatch(batch),
    );
    this.logger.info({ types: s.types, maxInFlight: s.maxInFlight, ordered: s.ordered }, 'subscription delivering');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.handle?.stop({ timeoutMs: this.subscription.timeoutMs + 5_000 });
    this.client.close();
  }

  /** Is this delivery for this subscription at all (its replay target, its filter)? */
  private wanted(d: Delivery): boolean {
    if (d.replayTarget !== undefined && d.replayTarget !== this.subscription.name) return false;
    const filter = this.subscription.filter;
    if (filter === null) return true;
    if (!isJsonContentType(contentTypeOf(d.envelope))) return false;
    try {
      return jsonContains(JSON.parse(decoder.decode(d.envelope.data)), filter);
    } catch {
      return false;
    }
  }

  private async handleBatch(batch: readonly Delivery[]): Promise<void> {
    const mine: Delivery[] = [];
    for (const d of batch) {
      if (this.wanted(d)) mine.push(d);
      else d.ack();
    }
    if (mine.length === 0) return;
    // A batch holds several rounds of requests: tell the bus the waiting ones are still in hand.
    const heartbeat = setInterval(() => {
      for (const d of mine) d.working();
    }, WORKING_INTERVAL_MS);
    try {
      if (this.subscription.ordered) return await this.deliverOrdered(mine);
      const results = await inPool(mine, this.subscription.maxInFlight, (d) => this.attempt(d, d.deliveryCount));
      await this.record(results.map((r) => r.attempt));
      mine.forEach((d, i) => this.apply(d, results[i]!.settlement));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** One key's events one after another, each retried in place until it settles; keys side by side. */
  private async deliverOrdered(deliveries: readonly Delivery[]): Promise<void> {
    const byKey = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      const key = this.options.orderingKey(d.envelope);
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [d]);
      else list.push(d);
    }
    await inPool([...byKey.values()], this.subscription.maxInFlight, async (list) => {
      for (let i = 0; i < list.length; i++) {
        const d = list[i]!;
        for (let attempt = d.deliveryCount; ; attempt++) {
          if (this.stopping) {
            // Hand the rest back in order: they come again to whichever process delivers next.
            for (const rest of list.slice(i)) rest.nak(0);
            return;
          }
          const { attempt: record, settlement } = await this.attempt(d, attempt);
          await this.record([record]);
          if (settlement.kind !== 'retry') {
            this.apply(d, settlement);
            break;
          }
          await this.wait(settlement.delayMs, d);
        }
      }
    });
  }

  private async wait(ms: number, d: Delivery): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) {
      d.working();
      await new Promise((resolve) => setTimeout(resolve, Math.min(WORKING_INTERVAL_MS, until - Date.now())));
    }
  }

  private async attempt(d: Delivery, attempt: number): Promise<{ attempt: DeliveryAttempt; settlement: Settlement }> {
    const s = this.subscription;
    const envelope = d.envelope;
    const attemptedAt = new Date();
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const headers = {
      ...cloudEventHeaders(envelope),
      'webhook-id': envelope.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(this.key, envelope.id, timestamp, envelope.data),
      'user-agent': 'sluice-delivery',
    };
    let result: PostResult;
    try {
      result = await this.client.post(headers, envelope.data);
    } catch (error) {
      result = { statusCode: null, error: asError(error).message, retryAfterMs: null, durationMs: 0 };
    }
    const settlement = settle(result, attempt, s.maxAttempts, this.options.retryBaseMs);
    const outcome = settlement.kind;
    this.options.metrics.deliveries.inc({ subscription: s.name, outcome });
    this.options.metrics.deliveryDuration.observe({ subscription: s.name }, result.durationMs / 1000);
    if (outcome === 'failed') this.logger.warn({ id: envelope.id, type: envelope.type, attempts: attempt, err: result.error }, 'delivery failed; kept as a dead letter of the subscription');
    else if (outcome === 'retry' && this.logger.isLevelEnabled('debug')) this.logger.debug({ id: envelope.id, attempt, err: result.error }, 'delivery will be retried');
    return {
      settlement,
      attempt: {
        subscriptionId: s.id,
        eventId: envelope.id,
        eventType: envelope.type,
        attempt,
        attemptedAt: attemptedAt.toISOString(),
        statusCode: result.statusCode,
        error: result.error,
        durationMs: result.durationMs,
        outcome,
        ...(d.replayId !== undefined ? { replayId: d.replayId } : {}),
      },
    };
  }

  /**
   * Writes attempts to the delivery log. A database outage does not hold deliveries back:
   * they are settled all the same and the log misses those attempts (said in a warning).
   */
  private async record(attempts: readonly DeliveryAttempt[]): Promise<void> {
    try {
      await this.options.store.subscriptions.recordAttempts(attempts);
    } catch (error) {
      this.logger.warn({ err: asError(error).message, attempts: attempts.length }, 'delivery log not written (database unavailable?)');
    }
  }

  private apply(d: Delivery, settlement: Settlement): void {
    if (settlement.kind === 'retry') d.nak(settlement.delayMs);
    else if (settlement.kind === 'failed') d.term('delivery failed');
    else d.ack();
  }
}
