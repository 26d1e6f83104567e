import type { BusPort, FoundMessage } from '../bus/index.js';
import { newEventId, type EventEnvelope } from '../envelope/index.js';
import { asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { ReplaySelector, StorePort, StoredEvent } from '../store/index.js';

const PAGE_SIZE = 500;
/** Ids of a request looked for on the stream when the archive does not have them (yet). */
const MAX_STREAM_LOOKUPS = 100;

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
    const known = new Set(knownIds);
    const notArchived = selector.ids === undefined ? [] : [...new Set(selector.ids.filter((id) => !known.has(id)))];
    // An accepted event a worker has not archived yet is still on the stream: re-delivered from there.
    const onStream: FoundMessage[] = [];
    for (const id of notArchived.slice(0, MAX_STREAM_LOOKUPS)) {
      const found = await this.bus.lookup(id);
      if (found !== null) onStream.push(found);
    }
    const found = new Set(onStream.map((f) => f.envelope.id));
    const unknown = notArchived.filter((id) => !found.has(id));
    const matched = archived + onStream.length;
    if (matched === 0) return null;
    const replayId = newEventId();
    // A range ends at the newest event it matched now, so what it publishes is what it counted.
    const bounded: ReplaySelector = selector.ids === undefined && maxSeq !== undefined ? { ...selector, maxSeq } : counted;
    await this.store.saveReplay({ replayId, status: 'running', matched, published: 0, error: null }, bounded);
    const job = this.run(replayId, matched, bounded, onStream, target).finally(() => this.running.delete(job));
    this.running.add(job);
    return { replayId, matched, unknown };
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
      for await (const page of this.store.selectForReplay(selector, PAGE_SIZE)) {
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
