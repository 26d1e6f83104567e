import { withDeadline, type BusPort, type FoundMessage } from '../bus/index.js';
import { newEventId, type EventEnvelope } from '../envelope/index.js';
import { SluiceError, asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { ReplaySelector, StorePort, StoredEvent } from '../store/index.js';

const PAGE_SIZE = 500;
/** Stream lookups at once, for ids the archive does not have (yet). */
const STREAM_LOOKUPS_AT_ONCE = 16;
/** Longest a request waits for those lookups before answering 503. */
const STREAM_LOOKUP_DEADLINE_MS = 4_000;

export interface StartedReplay {
  readonly replayId: string;
  readonly matched: number;
  readonly unknown: string[];
}

/**
 * Re-delivers archived events to the workers under their original ids and sequences. The
 * request returns once the replay is recorded; publishing goes on in the background, its
 * progress saved in the store so any gateway can report it.
 */
export class Replayer {
  private readonly running = new Set<Promise<void>>();
  /** Set by `drain`: replays stop at their next page. */
  private stopping = false;

  constructor(
    private readonly bus: BusPort,
    private readonly store: StorePort,
    private readonly logger: Logger,
    /** The workers' durable consumer: below its ack floor every event is archived. */
    private readonly consumer: string,
  ) {}

  /** Records and starts a replay; null when nothing matches. `target`: re-deliver to that subscription only. */
  async start(selector: ReplaySelector, target?: string): Promise<StartedReplay | null> {
    // A range is counted below the ack floor, where no slower worker can still add an event to
    // it; so the count and what is later published are the same set.
    const floor = selector.ids === undefined ? (await this.bus.consumerLag(this.consumer))?.ackFloor : undefined;
    const counted = floor === undefined ? selector : { ...selector, maxSeq: Math.min(floor, selector.maxSeq ?? floor) };
    const { matched: archived, knownIds, maxSeq } = await this.store.countForReplay(counted);
    let matched = archived;
    let onStream: FoundMessage[] = [];
    let unknown: string[] = [];
    let bounded: ReplaySelector;
    if (selector.ids === undefined) {
      // A range ends at the newest event it matched now, so what it publishes is what it counted.
      bounded = maxSeq !== undefined ? { ...selector, maxSeq } : counted;
    } else {
      const known = new Set(knownIds);
      const notArchived = selector.ids.filter((id) => !known.has(id));
      // An accepted event a worker has not archived yet is still on the stream: re-delivered from there.
      onStream = await this.findOnStream(notArchived);
      const found = new Set(onStream.map((f) => f.envelope.id));
      const missed = notArchived.filter((id) => !found.has(id));
      if (missed.length > 0) {
        // Archived while it was looked for: the stream search looks only above the workers' ack floor.
        const again = await this.store.countForReplay({ ids: missed });
        for (const id of again.knownIds ?? []) known.add(id);
        matched += again.matched;
      }
      unknown = missed.filter((id) => !known.has(id));
      matched += onStream.length;
      // The archive is read for the ids it had, not for those found on the stream: a worker
      // archiving one meanwhile must not make it published twice.
      bounded = { ids: [...known] };
    }
    if (matched === 0) return null;
    const replayId = newEventId();
    await this.store.saveReplay({ replayId, status: 'running', matched, published: 0, error: null }, bounded);
    const job = this.run(replayId, matched, bounded, onStream, target).finally(() => this.running.delete(job));
    this.running.add(job);
    return { replayId, matched, unknown };
  }

  /**
   * The stored copies of accepted events that are not archived yet, found on the stream;
   * ids never accepted are not found. Several lookups at once, all within a deadline: a
   * request the bus cannot answer in time is a 503, not ids called unknown.
   */
  private async findOnStream(ids: readonly string[]): Promise<FoundMessage[]> {
    if (ids.length === 0) return [];
    const found: FoundMessage[] = [];
    let next = 0;
    // Once answered (past the deadline, or a lookup failed) the lanes take no further id: only the lookups in flight outlive it.
    let expired = false;
    const lane = async (): Promise<void> => {
      while (next < ids.length && !expired) {
        const message = await this.bus.lookup(ids[next++]!);
        if (message !== null) found.push(message);
      }
    };
    const lanes = Promise.all(Array.from({ length: Math.min(STREAM_LOOKUPS_AT_ONCE, ids.length) }, lane));
    try {
      await withDeadline(lanes, STREAM_LOOKUP_DEADLINE_MS, () =>
        new SluiceError('bus_unavailable', `the stream could not tell in time whether ${ids.length} ids not archived yet were accepted; retry, or replay fewer ids at once`, {
          retryAfterSeconds: 2,
        }),
      );
    } finally {
      expired = true;
    }
    return found;
  }

  private async run(replayId: string, matched: number, selector: ReplaySelector, onStream: readonly FoundMessage[], target: string | undefined): Promise<void> {
    let published = 0;
    const publish = async (events: ReadonlyArray<{ envelope: EventEnvelope; originalSeq: number }>): Promise<void> => {
      if (this.stopping) throw new Error(`the gateway stopped after ${published} of ${matched} events were re-delivered; start the replay again`);
      const acks = await this.bus.publishMany(
        events.map(({ envelope, originalSeq }) => ({ envelope, replay: target === undefined ? { originalSeq, replayId } : { originalSeq, replayId, target } })),
      );
      const failure = acks.find((a) => a instanceof Error);
      if (failure !== undefined) throw failure;
      published += events.length;
      await this.store.saveReplay({ replayId, status: 'running', matched, published, error: null });
    };
    try {
      if (onStream.length > 0) await publish(onStream.map((f) => ({ envelope: f.envelope, originalSeq: f.seq })));
      const archived = selector.ids === undefined || selector.ids.length > 0 ? this.store.selectForReplay(selector, PAGE_SIZE) : [];
      for await (const page of archived) {
        await publish(page.map((event) => ({ envelope: toEnvelope(event), originalSeq: event.streamSeq })));
      }
      await this.store.saveReplay({ replayId, status: 'done', matched, published, error: null });
      this.logger.info({ replayId, published, ...(target !== undefined ? { subscription: target } : {}) }, 'replay done');
    } catch (error) {
      const message = asError(error).message;
      this.logger.warn({ replayId, published, err: message }, 'replay failed');
      await this.store.saveReplay({ replayId, status: 'failed', matched, published, error: message }).catch(() => undefined);
    }
  }

  /**
   * Graceful stop: replays end at their next page (recorded as failed, with how far they got)
   * and are waited for at most `timeoutMs`; a page stuck on the bus or the database is not.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}

function toEnvelope(event: StoredEvent): EventEnvelope {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    receivedAt: event.receivedAt,
    // The exact bytes the producer sent: the workers and subscribers get them again.
    data: event.data,
    dataContentType: event.dataContentType,
    ...(event.dataSchema !== null ? { dataSchema: event.dataSchema } : {}),
    ...(event.subject !== null ? { subject: event.subject } : {}),
    ...(event.originId !== null ? { originId: event.originId } : {}),
    // Only the producer's own hint: the entity it was mapped to then may be renamed, removed or re-mapped since.
    ...(event.entityHint !== null ? { entity: event.entityHint } : {}),
    ...(event.traceparent !== null ? { traceparent: event.traceparent } : {}),
    ...(event.extensions !== null ? { extensions: event.extensions } : {}),
  };
}
