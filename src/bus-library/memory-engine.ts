import { DATA_CONTENT_TYPE, DEFAULT_SOURCE, typePatternsRegExp } from '../envelope/index.js';
import type { BusEngine, ConsumerSpec, Deliver, RunningConsumer, StartPosition } from './engine.js';
import { checkForMemory, dataOf } from './event-codec.js';
import { MemoryLog } from './memory-log.js';
import { redeliveryDelayFor } from './retry-delay.js';
import type { BusEvent, PublishOptions, PublishResult } from './types.js';

/** `data` not parsed yet. */
const UNREAD = Symbol('unread');

/** The getters of `data` and `bytes`, one pair shared by every event (see `MemoryBusEvent`). */
let getData: () => unknown;
let getBytes: () => Uint8Array;

/** `Object.prototype.__defineGetter__` (ECMAScript Annex B), which TypeScript's library does not declare. */
interface DefinesGetters {
  __defineGetter__(name: string, get: () => unknown): void;
}

/**
 * The event a subscriber is handed, read back from the log. `data` and `bytes` are made when
 * first read: a handler that never looks at them (a router, a counter) pays neither the parse
 * (0.4 µs of a delivery's 2.3) nor the Buffer (0.45 µs). Each delivery still has its own copy:
 * what one handler does to its `data` or `bytes` no other delivery sees, nor does the log.
 * They are the event's own enumerable getters, not the prototype's, so a spread copy
 * (`{ ...event }`), Object.assign, structuredClone and JSON.stringify carry them as the
 * JetStream kind's plain objects do. The getters are shared functions, defined on each event
 * by `__defineGetter__`, which makes the same enumerable, configurable accessor as
 * `Object.defineProperty` without reading a descriptor object: 0.2 µs a delivery for the two
 * against 0.27-0.35 (an object literal with getters, or Object.defineProperties, cost more).
 */
class MemoryBusEvent implements BusEvent {
  declare readonly id: string;
  declare readonly type: string;
  declare readonly source: string;
  declare readonly time: string;
  /** Parsed from the JSON text the bus wrote, or the producer's bytes as their content type reads. */
  declare readonly data: unknown;
  declare readonly datacontenttype: string;
  /** UTF-8 of the JSON text the bus wrote (the bytes the JetStream kind sends), or a copy of the bytes the producer gave. */
  declare readonly bytes: Uint8Array;
  declare readonly seq: number;
  declare readonly attempt: number;
  readonly #log: MemoryLog;
  #data: unknown = UNREAD;
  #bytes: Uint8Array | undefined = undefined;

  static {
    getData = function (this: MemoryBusEvent): unknown {
      if (this.#data === UNREAD) {
        const json = this.#log.jsonAt(this.seq);
        this.#data = json !== undefined ? JSON.parse(json) : dataOf(this.bytes, this.datacontenttype);
      }
      return this.#data;
    };
    getBytes = function (this: MemoryBusEvent): Uint8Array {
      return (this.#bytes ??= this.#log.bytesAt(this.seq));
    };
  }

  constructor(log: MemoryLog, seq: number, attempt: number) {
    const shape = log.shapeAt(seq);
    this.id = log.idAt(seq);
    this.type = shape.type;
    this.source = shape.source;
    this.time = log.timeAt(seq);
    // Each property made here (the fields are declared only), in the order of the JetStream kind's objects: what JSON.stringify and a spread show.
    (this as unknown as DefinesGetters).__defineGetter__('data', getData);
    this.datacontenttype = shape.dataContentType;
    (this as unknown as DefinesGetters).__defineGetter__('bytes', getBytes);
    this.seq = seq;
    this.attempt = attempt;
    this.#log = log;
  }

  /** The values, not `[Getter]`: the event as the JetStream kind's plain object shows. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return inspect({ ...this }, options);
  }
}

interface Member {
  readonly deliver: Deliver;
  busy: boolean;
  /** Set by `stop()`: the member takes no further event. */
  stopped: boolean;
  /** Settles when the member has no delivery in hand (its run of deliveries has ended). */
  current: Promise<void> | null;
}

/** A consumer's position and unfinished deliveries; a durable one outlives its members. */
interface ConsumerState {
  readonly name: string;
  readonly durable: boolean;
  pattern: string;
  /** `pattern` as one regular expression: 0.1 µs a test where splitting the type takes 1 µs. */
  matcher: RegExp;
  /** Whether `matcher` matches each of the log's shapes, by shape index, once tested. */
  matched: Array<boolean | undefined>;
  /** Next stream sequence to look at for new events. */
  nextSeq: number;
  /** Handed-back events whose delay has passed, lowest sequence first. */
  readonly due: number[];
  /** Deliveries made so far of events handed back (an event delivered once has no entry). */
  readonly attempts: Map<number, number>;
  readonly timers: Set<NodeJS.Timeout>;
  readonly members: Member[];
  /** Round-robin cursor over members. */
  turn: number;
}

/**
 * The in-process bus: one ordered log per bus, consumers that keep a position in it, groups
 * whose members take turns, redelivery with a growing delay, durable consumers that resume
 * (while this bus object lives). It stores nothing on disk and is not shared with other
 * processes: what it holds is gone when the process ends, and `idempotencyKey` repeats are
 * recognised for the life of the bus (JetStream: within the stream's duplicate window).
 */
export class MemoryEngine implements BusEngine {
  readonly kind = 'memory' as const;
  private readonly log = new MemoryLog();
  /**
   * Sequences by id, of the events whose id the publisher chose (`id`, `idempotencyKey`). A
   * map entry per event cost 3-5 µs (a growing map of 36-character keys), more than the rest
   * of a publish: the bus's own ids are found in `generated` instead.
   */
  private readonly seqById = new Map<string, number>();
  /** Sequences of the events with `newEventId()`'s ids, which it makes in increasing order: found by binary search. */
  private readonly generated: number[] = [];
  private lastGenerated = '';
  private readonly durables = new Map<string, ConsumerState>();
  /** Consumers with members (an array: iterating a Set allocated on every publish). */
  private readonly active: ConsumerState[] = [];
  private ephemeralCount = 0;
  private closed = false;

  async start(): Promise<void> {}

  publish(type: string, data: unknown, options: PublishOptions | undefined, id: string): PublishResult {
    const checked = checkForMemory(type, data, options, id);
    if (this.closed) throw new Error('the bus is closed');
    const idGenerated = options?.id === undefined && options?.idempotencyKey === undefined;
    const known = this.seqOf(id, idGenerated);
    if (known !== undefined) return { id, seq: known, duplicate: true };
    let seq: number;
    if (typeof checked === 'string') {
      seq = this.log.append(id, type, options?.source ?? DEFAULT_SOURCE, DATA_CONTENT_TYPE, Date.now(), checked, undefined);
    } else {
      const { envelope, json } = checked;
      seq = this.log.append(id, type, envelope.source, envelope.dataContentType, Date.parse(envelope.time), json, json === undefined ? envelope.data : undefined);
    }
    if (idGenerated && id > this.lastGenerated) {
      this.generated.push(seq);
      this.lastGenerated = id;
    } else {
      this.seqById.set(id, seq);
    }
    for (let i = 0; i < this.active.length; i++) this.dispatch(this.active[i]!);
    return { id, seq, duplicate: false };
  }

  /** The sequence of the event stored with this id, if any. A fresh id of the bus's own can only repeat one a publisher chose. */
  private seqOf(id: string, idGenerated: boolean): number | undefined {
    if (this.seqById.size > 0) {
      const seq = this.seqById.get(id);
      if (seq !== undefined) return seq;
    }
    if (idGenerated) return undefined;
    let low = 0;
    let high = this.generated.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const seq = this.generated[mid]!;
      const order = this.log.compareId(seq, id);
      if (order === 0) return seq;
      if (order < 0) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  async consume(spec: ConsumerSpec, deliver: Deliver): Promise<RunningConsumer> {
    if (this.closed) throw new Error('the bus is closed');
    let state = spec.durable === null ? undefined : this.durables.get(spec.durable);
    if (state === undefined) {
      state = {
        name: spec.durable ?? `sub-${++this.ephemeralCount}`,
        durable: spec.durable !== null,
        pattern: spec.pattern,
        matcher: typePatternsRegExp([spec.pattern]),
        matched: [],
        nextSeq: this.startSeq(spec.start),
        due: [],
        attempts: new Map(),
        timers: new Set(),
        members: [],
        turn: 0,
      };
      if (spec.durable !== null) this.durables.set(spec.durable, state);
    } else {
      // Like a JetStream durable whose filter is updated: the position is kept.
      state.pattern = spec.pattern;
      state.matcher = typePatternsRegExp([spec.pattern]);
      state.matched = [];
    }
    const member: Member = { deliver, busy: false, stopped: false, current: null };
    state.members.push(member);
    if (!this.active.includes(state)) this.active.push(state);
    this.dispatch(state);
    const consumer = state;
    let stopped = false;
    return {
      name: consumer.name,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        member.stopped = true;
        const index = consumer.members.indexOf(member);
        if (index >= 0) consumer.members.splice(index, 1);
        await member.current;
        if (consumer.members.length === 0) {
          const at = this.active.indexOf(consumer);
          if (at >= 0) this.active.splice(at, 1);
          if (!consumer.durable) for (const timer of consumer.timers) clearTimeout(timer);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of [...this.active, ...this.durables.values()]) {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
    }
    this.active.length = 0;
  }

  private startSeq(start: StartPosition): number {
    if (start.kind === 'seq') return Math.max(1, start.seq);
    if (start.kind === 'time') {
      const at = start.time.getTime();
      // The bus's events have no time but their publishing's: `time` is when each was stored.
      for (let seq = 1; seq <= this.log.length; seq++) if (this.log.timeMsAt(seq) >= at) return seq;
    }
    return this.log.length + 1;
  }

  /** Gives the next events to idle members until either runs out. */
  private dispatch(state: ConsumerState): void {
    if (this.closed) return;
    for (;;) {
      const member = this.idleMember(state);
      if (member === undefined) return;
      const seq = this.nextEvent(state);
      if (seq === undefined) return;
      this.deliverTo(state, member, seq);
    }
  }

  private idleMember(state: ConsumerState): Member | undefined {
    const count = state.members.length;
    for (let i = 0; i < count; i++) {
      const member = state.members[(state.turn + i) % count]!;
      if (!member.busy) {
        state.turn = (state.turn + i + 1) % count;
        return member;
      }
    }
    return undefined;
  }

  /** The sequence of the next event for this consumer: a redelivery that is due, else the next match in the log. */
  private nextEvent(state: ConsumerState): number | undefined {
    const redelivery = state.due.shift();
    if (redelivery !== undefined) return redelivery;
    while (state.nextSeq <= this.log.length) {
      const seq = state.nextSeq++;
      const shape = this.log.shapeIndexAt(seq);
      let matches = state.matched[shape];
      if (matches === undefined) {
        matches = state.matcher.test(this.log.shapeAt(seq).type);
        state.matched[shape] = matches;
      }
      if (matches) return seq;
    }
    return undefined;
  }

  private deliverTo(state: ConsumerState, member: Member, seq: number): void {
    member.busy = true;
    member.current = this.run(state, member, seq);
  }

  /**
   * Deliveries to one member, one at a time, for as long as events are waiting for it: each is
   * acknowledged when the handler resolves, handed back with a delay when it throws. One loop
   * per run of events, not an async call per event (its promises were a tenth of a publish).
   */
  private async run(state: ConsumerState, member: Member, first: number): Promise<void> {
    // A handler never runs inside publish() or subscribe(): it starts on a later tick.
    await undefined;
    let seq: number | undefined = first;
    while (seq !== undefined) {
      const attempt = state.attempts.size === 0 ? 1 : (state.attempts.get(seq) ?? 0) + 1;
      try {
        await member.deliver(new MemoryBusEvent(this.log, seq, attempt));
        if (attempt > 1) state.attempts.delete(seq);
      } catch (error) {
        state.attempts.set(seq, attempt);
        this.handBack(state, seq, redeliveryDelayFor(error, attempt));
      }
      seq = this.closed || member.stopped ? undefined : this.nextEvent(state);
    }
    member.busy = false;
    member.current = null;
    // A member that stopped leaves what is waiting to the others.
    this.dispatch(state);
  }

  private handBack(state: ConsumerState, seq: number, delayMs: number): void {
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      insertSorted(state.due, seq);
      this.dispatch(state);
    }, delayMs);
    state.timers.add(timer);
  }
}

function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > value) i--;
  list.splice(i, 0, value);
}
