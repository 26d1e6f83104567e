import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { subjectFor } from '../../envelope/index.js';
import { API_CODE, isApiError } from './nats-errors.js';
import type { StreamPlace } from './message-reading.js';

const NANOS_PER_MS = 1_000_000;
/** A subscription's own consumer disappears this long after its process stopped pulling. */
const EPHEMERAL_INACTIVE_MS = 60_000;

/** Where a new consumer starts: with new events, at a stream sequence, or at a time. */
export type ConsumerStart = { readonly kind: 'new' } | { readonly kind: 'seq'; readonly seq: number } | { readonly kind: 'time'; readonly time: Date };

/** An application's subscription consumer (the bus library's). */
export interface SubscriberConsumerSpec {
  /** NATS-style type pattern (without the subject prefix). */
  readonly pattern: string;
  /** Durable consumer name; null for a consumer that lives as long as the subscription. */
  readonly durable: string | null;
  readonly start: ConsumerStart;
  readonly ackWaitMs: number;
}

/**
 * Creates the subscription's consumer, or finds the durable one that exists (and points it at
 * the pattern; its position is kept). Returns its name.
 */
export async function ensureSubscriberConsumer(jsm: JetStreamManager, place: StreamPlace, spec: SubscriberConsumerSpec): Promise<string> {
  const { stream } = place;
  const filter = subjectFor(place.subjectPrefix, spec.pattern);
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: spec.ackWaitMs * NANOS_PER_MS,
    max_deliver: -1,
    filter_subject: filter,
    ...(spec.start.kind === 'seq'
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, spec.start.seq) }
      : spec.start.kind === 'time'
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: spec.start.time.toISOString() }
        : { deliver_policy: DeliverPolicy.New }),
  };
  if (spec.durable === null) {
    const info = await jsm.consumers.add(stream, { ...config, inactive_threshold: EPHEMERAL_INACTIVE_MS * NANOS_PER_MS });
    return info.name;
  }
  const durable = spec.durable;
  const existing = await consumerInfo(jsm, stream, durable);
  if (existing === null) {
    try {
      await jsm.consumers.add(stream, { ...config, durable_name: durable });
    } catch (error) {
      // Another member of the group created it first with other start settings: use theirs.
      if ((await consumerInfo(jsm, stream, durable)) === null) throw error;
    }
    return durable;
  }
  if (existing.config.filter_subject !== filter) {
    await jsm.consumers.update(stream, durable, { filter_subject: filter });
  }
  return durable;
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string) {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (isApiError(error, API_CODE.consumerNotFound)) return null;
    throw error;
  }
}
