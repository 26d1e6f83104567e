import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { subjectFor, typeMatches } from '../../envelope/index.js';
import type { ConsumeOptions } from '../port.js';

const NANOS_PER_MS = 1_000_000;
/** How long to wait for a replicated consumer to elect its leader. */
const LEADER_PATIENCE_MS = 10_000;

/**
 * Creates the durable pull consumer of `BusPort.consume`, or brings an existing one to these
 * settings (filter and policy changes are refused by the server, loudly), and waits until it has
 * a leader. Returns the filter for the types nats-server 2.9 cannot filter itself (it takes one
 * filter subject per consumer: several patterns are filtered by the caller).
 */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  place: { stream: string; subjectPrefix: string },
  options: ConsumeOptions,
  maxAckPending: number,
): Promise<((m: JsMsg) => boolean) | undefined> {
  const { stream, subjectPrefix } = place;
  const filter = options.types?.length === 1 ? subjectFor(subjectPrefix, options.types[0]!) : `${subjectPrefix}.>`;
  const config = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ...(options.startAt !== undefined ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.startAt.toISOString() } : { deliver_policy: DeliverPolicy.All }),
    ack_wait: options.ackWaitMs * NANOS_PER_MS,
    max_deliver: -1,
    max_ack_pending: maxAckPending,
    filter_subject: filter,
  };
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    const { durable_name: _name, deliver_policy: _deliver, opt_start_time: _start, ...update } = config as typeof config & { opt_start_time?: string };
    await jsm.consumers.update(stream, options.durable, update);
  }
  await waitForConsumerLeader(jsm, stream, options.durable);
  const patterns = options.types !== undefined && options.types.length > 1 ? options.types : undefined;
  return patterns === undefined ? undefined : (m: JsMsg) => patterns.some((p) => typeMatches(p, m.subject.slice(subjectPrefix.length + 1)));
}

/** Waits (up to 10 s) until a replicated consumer has elected its leader, so the first pull is not lost. */
async function waitForConsumerLeader(jsm: JetStreamManager, stream: string, durable: string): Promise<void> {
  const deadline = Date.now() + LEADER_PATIENCE_MS;
  while (Date.now() < deadline) {
    const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
    if (info !== undefined && (info.cluster === undefined || (info.cluster.leader ?? '') !== '')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
