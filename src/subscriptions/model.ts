/** A subscription as Sluice keeps it: what to deliver, where, and how hard to try. */
export interface Subscription {
  /** Its stable identity: names the durable consumer, so a name reused after a delete starts afresh. */
  readonly id: string;
  readonly name: string;
  /** Type patterns (NATS wildcards) whose events are delivered. */
  readonly types: readonly string[];
  readonly url: string;
  /** `whsec_` followed by the base64 key. Never logged, returned once at creation. */
  readonly secret: string;
  /** The event's JSON data must contain this document (PostgreSQL's `@>`); null: every event. */
  readonly filter: unknown;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  /** One delivery at a time per key (entity key, else event id). */
  readonly ordered: boolean;
  readonly paused: boolean;
  /** Declared in the subscription file (changed there) or created through the API. */
  readonly origin: 'file' | 'api';
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a user declares (file or `POST /subscriptions`); the rest is defaulted. */
export type SubscriptionInput = Pick<Subscription, 'name' | 'types' | 'url' | 'filter' | 'maxAttempts' | 'timeoutMs' | 'maxInFlight' | 'ordered' | 'paused'> & {
  /** Absent: one is generated. */
  readonly secret?: string;
};

/** What `PATCH /subscriptions/{name}` may change. */
export type SubscriptionPatch = Partial<Pick<Subscription, 'types' | 'url' | 'filter' | 'maxAttempts' | 'timeoutMs' | 'maxInFlight' | 'ordered' | 'paused'>>;

export const SUBSCRIPTION_DEFAULTS = Object.freeze({
  maxAttempts: 10,
  timeoutMs: 10_000,
  maxInFlight: 16,
  ordered: false,
  paused: false,
});

/** A subscription without its secret: what the API and logs show. */
export type PublicSubscription = Omit<Subscription, 'secret'>;

export function withoutSecret(subscription: Subscription): PublicSubscription {
  const { secret: _secret, ...rest } = subscription;
  return rest;
}

/** The durable consumer of a subscription: named by its id, so a name reused after a delete starts afresh. */
export function consumerNameOf(subscription: Pick<Subscription, 'id'>): string {
  return `sluice-sub-${subscription.id}`;
}
