import type { ConsumerStart } from '../bus/index.js';
import type { BusEvent, PublishOptions, PublishResult } from './types.js';

/** Where a new consumer starts. */
export type StartPosition = ConsumerStart;

export interface ConsumerSpec {
  /** NATS-style type pattern (without the subject prefix). */
  readonly pattern: string;
  /** Durable consumer name; null for a consumer that lives as long as the subscription. */
  readonly durable: string | null;
  readonly start: StartPosition;
  readonly prefetch: number;
}

/**
 * Hands one event to the subscription (called inside the engine's try: a throw is a rejection).
 * Returning or resolving acknowledges; throwing or rejecting hands it back
 * (after `redeliveryDelayFor(error, attempt)`). Deliveries to one subscription are one at a time.
 */
export type Deliver = (event: BusEvent) => Promise<void> | void;

export interface RunningConsumer {
  readonly name: string;
  /** Stops fetching, waits for the delivery in hand, hands back what was fetched ahead. */
  stop(): Promise<void>;
}

/** What the typed bus needs from a transport. The memory and JetStream engines implement it. */
export interface BusEngine {
  readonly kind: 'memory' | 'jetstream';
  start(): Promise<void>;
  /**
   * Checks and stores one event under `id` (`eventIdFor`'s). Each engine encodes the data its
   * own way; a refusal is a SluiceError, thrown or as a rejection. The memory engine answers at
   * once: a promise per publish is a tenth of its cost.
   */
  publish(type: string, data: unknown, options: PublishOptions | undefined, id: string): PublishResult | Promise<PublishResult>;
  consume(spec: ConsumerSpec, deliver: Deliver): Promise<RunningConsumer>;
  /** Called after every subscription has stopped. */
  close(): Promise<void>;
}
