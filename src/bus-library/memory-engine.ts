import { typePatternsRegExp, type EventEnvelope } from '../envelope/index.js';
import type { BusEngine, ConsumerSpec, Deliver, RunningConsumer, StartPosition } from './engine.js';
import { toBusEvent, type PublishedEvent } from './event-codec.js';
import { redeliveryDelayFor } from './retry-delay.js';
import type { BusEvent } from './types.js';

interface StoredEvent {
  readonly envelope: EventEnvelope;
  /** The data's JSON text when the bus wrote it: a delivery parses it instead of reading the bytes back. */
  readonly json: string | undefined;
  readonly seq: number;
  readonly storedAt: number;
}

interface Member {
  readonly deliver: Deliver;
  busy: boolean;
  /** Settles when the delivery in hand has been acknowledged or handed back. */
  current: Promise<void> | null;
}

/** A consumer's position and unfinished deliveries; a durable one outlives its members. */
interface ConsumerState {
  readonly name: string;
  readonly durable: boolean;
  pattern: string;
  /** `pattern` as one regular expression: 0.1 µs a test where splitting the type takes 1 µs. */
  matcher: RegExp;
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
  private readonly log: StoredEvent[] = [];
  /**
   * Sequences by id, of the events whose id the publisher chose (`id`, `idempotencyKey`). A
   * map entry per event cost 3-5 µs (a growing map of 36-character keys), more than the rest
   * of a publish: the bus's own ids are found in `generated` instead.
   */
  private readonly seqById = new Map<string, number>();
  /** Sequences of the events with `newEventId()`'s ids, which it makes in increasing order: found by binary search. */
  private readonly generated: number[] = [];
  private readonly durables = new Map<string, ConsumerState>();
  private readonly active = new Set<ConsumerState>();
  private ephemeralCount = 0;
  private closed = false;

  async start(): Promise<void> {}

  async publish({ envelope, json, idGenerated }: PublishedEvent): Promise<{ seq: number; duplicate: boolean }> {
    if (this.closed) throw new Error('the bus is closed');
    const known = this.seqOf(envelope.id, idGenerated === true);
    if (known !== undefined) return { seq: known, duplicate: true };
    const seq = this.log.length + 1;
    this.log.push({ envelope, json, seq, storedAt: Date.now() });
    const lastGenerated = this.generated.length === 0 ? undefined : this.log[this.generated[this.generated.length - 1]! - 1]!.envelope.id;
    if (idGenerated === true && (lastGenerated === undefined || envelope.id > lastGenerated)) this.generated.push(seq);
    else this.seqById.set(envelope.id, seq);
    for (const state of this.active) this.dispatch(state);
    return { seq, duplicate: false };
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
      const at = this.log[seq - 1]!.envelope.id;
      if (at === id) return seq;
      if (at < id) low = mid + 1;
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
    }
    const member: Member = { deliver, busy: false, current: null };
    state.members.push(member);
    this.active.add(state);
    this.dispatch(state);
    const consumer = state;
    let stopped = false;
    return {
      name: consumer.name,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        const index = consumer.members.indexOf(member);
        if (index >= 0) consumer.members.splice(index, 1);
        await member.current;
        if (consumer.members.length === 0) {
          this.active.delete(consumer);
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
    this.active.clear();
  }

  private startSeq(start: StartPosition): number {
    if (start.kind === 'seq') return Math.max(1, start.seq);
    if (start.kind === 'time') {
      const at = start.time.getTime();
      const first = this.log.find((stored) => stored.storedAt >= at);
      return first?.seq ?? this.log.length + 1;
    }
    return this.log.length + 1;
  }

  /** Gives the next events to idle members until either runs out. */
  private dispatch(state: ConsumerState): void {
    if (this.closed) return;
    for (;;) {
      const member = this.idleMember(state);
      if (member === undefined) return;
      const stored = this.nextEvent(state);
      if (stored === undefined) return;
      this.deliverTo(state, member, stored);
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

  private nextEvent(state: ConsumerState): StoredEvent | undefined {
    const redelivery = state.due.shift();
    if (redelivery !== undefined) return this.log[redelivery - 1];
    while (state.nextSeq <= this.log.length) {
      const stored = this.log[state.nextSeq - 1]!;
      state.nextSeq++;
      if (state.matcher.test(stored.envelope.type)) return stored;
    }
    return undefined;
  }

  private deliverTo(state: ConsumerState, member: Member, stored: StoredEvent): void {
    const attempt = (state.attempts.get(stored.seq) ?? 0) + 1;
    member.busy = true;
    member.current = this.handOver(state, member, stored, toBusEvent(stored.envelope, stored.seq, attempt, stored.json));
  }

  /** One delivery: acknowledged when the handler resolves, handed back with a delay when it throws. */
  private async handOver(state: ConsumerState, member: Member, stored: StoredEvent, event: BusEvent): Promise<void> {
    // A handler never runs inside publish() or subscribe(): it starts on a later tick.
    await undefined;
    try {
      await member.deliver(event);
      if (event.attempt > 1) state.attempts.delete(stored.seq);
    } catch (error) {
      state.attempts.set(stored.seq, event.attempt);
      this.handBack(state, stored.seq, redeliveryDelayFor(error, event.attempt));
    } finally {
      member.busy = false;
      member.current = null;
      this.dispatch(state);
    }
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
