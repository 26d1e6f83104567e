import { type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { SluiceError } from '../../errors/index.js';
import { API_CODE, isApiError } from './nats-errors.js';
import { RecentIds } from '../recent-ids.js';
import { storedMessageId } from './raw-message.js';
import { readStream } from './stream-reader.js';
import { HEADER, rawHeaderBlock } from './wire.js';

/** The stream's messages above the workers' acknowledgement floor, up to the last one stored. */
export interface UnacknowledgedRange {
  readonly floor: number;
  readonly lastSeq: number;
  /** When the last message was stored (ms). */
  readonly lastTime: number;
}

export interface StreamSearchSettings {
  readonly stream: string;
  readonly subjectPrefix: string;
  /** The durable consumer whose acknowledged messages are in the database (the workers'). */
  readonly consumer: string;
  /** Longest wait for one JetStream API answer. */
  readonly timeoutMs: number;
}

/**
 * How far the clock of the gateway that issued an id may be from the NATS server's, in either
 * direction: a UUIDv7 id is searched for among messages stored from its time minus this to
 * its time plus this (and the publish timeout), first within a close margin (where it is when
 * the clocks agree), then within a wide one. A search reads about 40 000 headers a second on
 * a loaded 2-core machine (load 18): at 9 500 events/s the close window costs about 1 s, the
 * wide one (only for ids no gateway issued, or a clock far off) about 8 s. Either starts at
 * the consumer's acknowledgement floor when that is later.
 */
const CLOCK_SKEW_MS = [2_000, 30_000] as const;
/** Messages asked for in one pull. */
export const PULL_SIZE = 10_000;
/** Searches running at once per process; more wait their turn (each one reads headers from the server). */
const MAX_RUNNING = 2;
/** Lookups waiting for a search; past this a lookup answers "cannot tell now" at once. */
const MAX_WAITING = 64;
/** Ids (with their sequence) remembered from searches: later lookups of neighbours need no search. */
const SEEN_IDS = 200_000;

/**
 * Finds an accepted event on the stream by id when the database has not archived it yet and
 * this gateway does not remember it (after a restart, or past the memory of recent ids). Every
 * 202'd event not in the database is on the stream above the workers' acknowledgement floor, so
 * that is where the search looks: the whole unacknowledged range when it fits one pull or the
 * id carries no time (one derived from an idempotency key); in a longer range, for a UUIDv7 id
 * (the gateway's own), only around the time the id carries.
 * It reads headers only, through a short-lived consumer, and never answers "not there" when it
 * could not look: an unreachable server is an error (`bus_unavailable`).
 */
export class StreamSearch {
  private seen: RecentIds | undefined;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Searches under way (or waiting their turn) by id. */
  private readonly searching = new Map<string, Promise<Searched>>();
  /** The read of the unacknowledged range under way, and the one that starts after it. */
  private rangeRead: Promise<UnacknowledgedRange> | undefined;
  private nextRangeRead: Promise<UnacknowledgedRange> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: StreamSearchSettings,
    private readonly publishTimeoutMs: number,
  ) {}

  /** The stream sequence of a message carrying event `id`, from an earlier search. */
  remembered(id: string): number | undefined {
    return this.seen?.seqOf(id);
  }

  /**
   * The messages the workers have not acknowledged: above `floor`, up to `lastSeq`. Every 202'd
   * event that is not in the database is among them; when there are none, no search is needed.
   * Lookups at the same time share reads (two JetStream API requests each), so a flood of
   * unknown ids costs two requests per round trip, not per id. A read already under way may have
   * begun before the caller's event was stored: the caller waits for the next one instead.
   */
  unacknowledged(): Promise<UnacknowledgedRange> {
    if (this.rangeRead === undefined) return this.readRange();
    const ignore = (): void => undefined;
    return (this.nextRangeRead ??= this.rangeRead.then(ignore, ignore).then(() => {
      this.nextRangeRead = undefined;
      return this.readRange();
    }));
  }

  private readRange(): Promise<UnacknowledgedRange> {
    const { stream, consumer } = this.settings;
    const read = Promise.all([this.ackFloor(stream, consumer), this.jsm.streams.info(stream)]).then(
      ([floor, info]) => ({ floor, lastSeq: info.state.last_seq, lastTime: Date.parse(info.state.last_ts) }),
      (error: unknown) => {
        throw unreadable(`the stream ${stream} could not be read`, error);
      },
    );
    this.rangeRead = read;
    const done = (): void => {
      if (this.rangeRead === read) this.rangeRead = undefined;
    };
    read.then(done, done);
    return read;
  }

  /**
   * The stream sequence of the message carrying event `id` within `range`, or null when the stream
   * has none there. A search of the same id already under way is joined (a retry after its
   * caller's deadline gets that search's answer instead of starting another). Its "not there"
   * stands only for what it read: when it stopped short of `range` (the event may have been
   * stored after it began), the messages after it are read; when it read only around the id's
   * time where this range would be read whole, this one is read. Should the joined search fail,
   * the caller searches for itself. A search still waiting its turn when `signal` aborts is
   * dropped: its caller has been answered, and a caller that joined it searches for itself.
   */
  find(id: string, range: UnacknowledgedRange, signal?: AbortSignal): Promise<number | null> {
    const own = (within: UnacknowledgedRange): Promise<Searched> =>
      this.searchInTurn(id, within, signal).then((seq) => ({ seq, readTo: within.lastSeq, whole: readsWhole(id, within) }));
    const under = this.searching.get(id);
    const result =
      under === undefined
        ? own(range)
        : under.then((joined) => {
            if (joined.seq !== null) return joined;
            if (!joined.whole && readsWhole(id, range)) return own(range);
            if (joined.readTo >= range.lastSeq) return joined;
            return own({ ...range, floor: Math.max(range.floor, joined.readTo) }).then((rest) => ({ ...rest, whole: rest.whole && joined.whole }));
          }, () => own(range));
    this.searching.set(id, result);
    const done = (): void => {
      if (this.searching.get(id) === result) this.searching.delete(id);
    };
    result.then(done, done);
    return result.then((searched) => searched.seq);
  }

  private async searchInTurn(id: string, range: UnacknowledgedRange, signal: AbortSignal | undefined): Promise<number | null> {
    await this.turn(signal);
    try {
      return await this.search(id, range);
    } catch (error) {
      throw unreadable(`the stream could not be searched for ${id}`, error);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async turn(signal: AbortSignal | undefined): Promise<void> {
    if (this.running < MAX_RUNNING) {
      this.running++;
      return;
    }
    if (this.waiting.length >= MAX_WAITING) {
      throw new SluiceError('bus_unavailable', 'too many lookups are searching the stream at once; retry shortly', { retryAfterSeconds: 1 });
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = (): void => {
        const at = this.waiting.indexOf(go);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(new SluiceError('bus_unavailable', 'the lookup ran out of time waiting for a search of the stream; retry shortly', { retryAfterSeconds: 1 }));
      };
      if (signal?.aborted === true) return leave();
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(go);
    });
    this.running++;
  }

  private async search(id: string, range: UnacknowledgedRange): Promise<number | null> {
    const { floor, lastSeq, lastTime } = range;
    if (lastSeq <= floor) return null;
    // One pull holds the whole range: read it all, whatever time the id carries (a clock ahead of the server's).
    if (readsWhole(id, range)) return this.read(id, { seq: floor + 1 }, lastSeq, Infinity);
    const issuedAt = uuidV7Time(id)!;
    for (const skew of CLOCK_SKEW_MS) {
      // No message was stored after the last one: an id whose time is later than that (a clock
      // far ahead, or a made-up id from the year 10000) is not in this window.
      if (issuedAt - skew > lastTime) continue;
      const found = await this.read(id, await this.startNear(issuedAt - skew, floor), lastSeq, issuedAt + skew + this.publishTimeoutMs);
      if (found !== null) return found;
    }
    return null;
  }

  /** Reads headers from `start` until the id is found, the stream's end at `lastSeq`, or a message stored after `stopAfterMs`. */
  private async read(id: string, start: { seq: number } | { time: number }, lastSeq: number, stopAfterMs: number): Promise<number | null> {
    const { stream, subjectPrefix, timeoutMs } = this.settings;
    const seen = (this.seen ??= new RecentIds(SEEN_IDS));
    let found: number | null = null;
    const pages = readStream(this.js, this.jsm, { stream, filterSubject: `${subjectPrefix}.>`, start, endSeq: lastSeq, headersOnly: true, pageSize: PULL_SIZE, timeoutMs });
    for await (const page of pages) {
      // The whole pull is read (it has arrived anyway): its ids are remembered for the next lookups.
      let done = false;
      for (const m of page) {
        const messageId = idOf(m, stream);
        seen.remember(messageId, m.seq);
        if (found === null && messageId === id) found = m.seq;
        if (m.seq >= lastSeq || Number(m.info.timestampNanos) / 1e6 > stopAfterMs) done = true;
      }
      if (done || found !== null) break;
    }
    return found;
  }

  /** Every message up to here is acknowledged by the workers (0 when their consumer does not exist yet). */
  private async ackFloor(stream: string, consumer: string): Promise<number> {
    try {
      return (await this.jsm.consumers.info(stream, consumer)).ack_floor.stream_seq;
    } catch (error) {
      if (isApiError(error, API_CODE.consumerNotFound)) return 0;
      throw error;
    }
  }

  /** Where to start for messages stored from `time` on: by time, or just above the floor when that is later. */
  private async startNear(time: number, floor: number): Promise<{ seq: number } | { time: number }> {
    if (floor === 0) return { time };
    const first = await this.jsm.streams.getMessage(this.settings.stream, { seq: floor + 1 });
    return first !== null && first.time.getTime() >= time ? { seq: floor + 1 } : { time };
  }
}

/** What a search of an id found, up to which sequence it read, and whether it read all of its range. */
interface Searched {
  readonly seq: number | null;
  readonly readTo: number;
  readonly whole: boolean;
}

/**
 * Whether a search of `id` reads all of `range`: when one pull holds it, or the id carries no
 * time (one derived from an idempotency key); otherwise only around the time a UUIDv7 id carries.
 */
function readsWhole(id: string, { floor, lastSeq }: UnacknowledgedRange): boolean {
  return uuidV7Time(id) === undefined || lastSeq - floor <= PULL_SIZE;
}

/** A SluiceError as it is, any other failure as `bus_unavailable`: never "not there" when the stream could not be read. */
function unreadable(what: string, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError('bus_unavailable', `${what} (${(error as Error).message}); retry shortly`, { cause: error, retryAfterSeconds: 1 });
}

/** The event id a stored message carries: its `ce-id`, or the id the worker gives a raw NATS publish. */
function idOf(m: JsMsg, stream: string): string {
  const block = rawHeaderBlock(m);
  const id = block !== undefined ? idInHeaderBlock(block) : m.headers?.get(HEADER.id);
  return storedMessageId(id, stream, m.seq);
}

const ID_LINE = Buffer.from(`\r\n${HEADER.id}:`);
const LINE_END = Buffer.from('\r\n');

/**
 * The `ce-id` value in a raw header block, found with a byte search: a search reads up to
 * hundreds of thousands of headers, and a `MsgHdrs` per message held it to about 25 000 a second.
 */
function idInHeaderBlock(block: Uint8Array): string | undefined {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const at = bytes.indexOf(ID_LINE);
  if (at === -1) return undefined;
  const start = at + ID_LINE.length;
  const end = bytes.indexOf(LINE_END, start);
  return bytes.toString('latin1', start, end === -1 ? bytes.length : end).trim();
}

/** The milliseconds a UUIDv7 carries, or undefined for another version. */
export function uuidV7Time(id: string): number | undefined {
  if (id.length !== 36 || id[14] !== '7') return undefined;
  const hex = id.slice(0, 8) + id.slice(9, 13);
  const ms = Number.parseInt(hex, 16);
  return Number.isFinite(ms) ? ms : undefined;
}
