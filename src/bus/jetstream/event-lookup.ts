import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { SluiceError } from '../../errors/index.js';
import type { FoundMessage } from '../port.js';
import { withDeadline } from '../deadline.js';
import { RecentIds } from '../recent-ids.js';
import { readStoredMessage, type StreamPlace } from './message-reading.js';
import { PULL_SIZE, type StreamSearch } from './stream-search.js';

/** Ids remembered with their sequence, newest kept: about a minute of a busy gateway's events. */
const RECENT_IDS = 200_000;
/**
 * Unacknowledged messages searched without first asking the other gateways: one pull of
 * headers, quicker than waiting out the question's timeout when no gateway knows the id.
 */
const SEARCH_WITHOUT_ASKING = PULL_SIZE;
/** How long to wait for another gateway to say it issued an id. */
const LOOKUP_TIMEOUT_MS = 300;

/**
 * Finds an accepted event by id: this gateway's memory of the ids it issued first (no request
 * at all), then a search of the stream above the workers' floor, so an event is found whatever
 * the workers' lag and however often gateways restarted. Before searching a long range, the
 * other gateways are asked (one request on `_SLUICE.{stream}.lookup`); with nothing above the
 * floor, the answer is at once "not on the stream". A lookup that cannot tell within `deadlineMs`
 * (a server that stopped answering, or a long range on a loaded machine) is `bus_unavailable`,
 * never a hang. A search that has begun goes on after it: the ids it reads are remembered, and a
 * retry of the same id joins it. One still waiting for its turn is dropped.
 */
export class EventLookup {
  private readonly recent = new RecentIds(RECENT_IDS);
  private readonly subject: string;
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly search: StreamSearch,
    private readonly place: StreamPlace,
    private readonly deadlineMs: number,
  ) {
    this.subject = `_SLUICE.${place.stream}.lookup`;
  }

  /** Answers the other gateways' questions about the ids this one issued. */
  listen(): void {
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (_error, msg) => {
        const seq = this.recent.seqOf(msg.string());
        if (seq !== undefined) msg.respond(String(seq));
      },
    });
  }

  /** Remembers an id this gateway published first. */
  remember(id: string, seq: number): void {
    this.recent.remember(id, seq);
  }

  find(id: string): Promise<FoundMessage | null> {
    const late = new AbortController();
    return withDeadline(this.look(id, late.signal), this.deadlineMs, () => {
      late.abort();
      return new SluiceError('bus_unavailable', `the stream could not tell within ${this.deadlineMs} ms whether it holds event ${id}; retry shortly`, { retryAfterSeconds: 1 });
    });
  }

  private async look(id: string, late: AbortSignal): Promise<FoundMessage | null> {
    const remembered = this.recent.seqOf(id) ?? this.search.remembered(id);
    if (remembered !== undefined) {
      const found = await this.messageAt(remembered, id);
      if (found !== null) return found;
    }
    const range = await this.search.unacknowledged();
    // Nothing unacknowledged: the event is in the database, or was never accepted.
    if (range.lastSeq <= range.floor) return null;
    // A short range is searched at once; before a long one, the gateway that issued the id may know where it is.
    if (range.lastSeq - range.floor > SEARCH_WITHOUT_ASKING) {
      const told = await this.askOtherGateways(id);
      if (told !== undefined) {
        const found = await this.messageAt(told, id);
        if (found !== null) return found;
      }
    }
    const seq = await this.search.find(id, range, late);
    return seq === null ? null : this.messageAt(seq, id);
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  /** The sequence another gateway remembers for an id it issued; undefined when none answers in time. */
  private async askOtherGateways(id: string): Promise<number | undefined> {
    try {
      const seq = Number((await this.nc.request(this.subject, id, { timeout: LOOKUP_TIMEOUT_MS })).string());
      return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
    } catch {
      return undefined;
    }
  }

  /** The event stored at `seq`, if it is event `id` (null when that message is gone or is another event). */
  private async messageAt(seq: number, id: string): Promise<FoundMessage | null> {
    let stored;
    try {
      stored = await this.jsm.streams.getMessage(this.place.stream, { seq });
    } catch (error) {
      throw new SluiceError('bus_unavailable', `the stream could not be read (${(error as Error).message}); retry shortly`, { cause: error, retryAfterSeconds: 1 });
    }
    if (stored === null) return null;
    const { envelope, originalSeq } = readStoredMessage(stored, seq, this.place);
    return envelope.id === id ? { envelope, seq: originalSeq } : null;
  }
}
