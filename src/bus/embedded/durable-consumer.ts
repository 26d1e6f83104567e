import { typeMatches } from '../../envelope/index.js';
import type { ConsumerLag, Delivery } from '../port.js';
import type { MessageLog } from './message-log.js';
import { envelopeOf, type StoredMessage } from './records.js';

/** What survives a restart of a durable consumer. */
export interface StoredConsumerState {
  /** Every message up to here is settled (acked, terminated, or not for this consumer). */
  readonly floor: number;
  /** Settled sequences above the floor. */
  readonly acked: number[];
  /** Delivery counts of messages delivered and not yet settled: [seq, count]. */
  readonly counts: Array<[number, number]>;
  readonly types?: string[];
}

interface InFlight {
  deadline: number;
  count: number;
  /** Bumped on each delivery, so a stale delivery's nak cannot move a newer one's timer. */
  generation: number;
}

/** How often settled state is written (acks are not synced one by one: losing one only redelivers). */
const SAVE_DELAY_MS = 20;

/**
 * One durable consumer: its cursor, the messages in flight and their timers, and the ack
 * state it saves. Every member (`consume()` call) with the same name takes batches from
 * here, so no message is handed to two members at once.
 */
export class DurableConsumer {
  private types: readonly string[] | undefined;
  private floor: number;
  private readonly acked: Set<number>;
  /** Delivery counts from before a restart, used when those messages are delivered again. */
  private readonly earlierCounts: Map<number, number>;
  private readonly inFlight = new Map<number, InFlight>();
  /** The next sequence not yet looked at for first delivery. */
  private cursor: number;
  ackWaitMs = 30_000;
  private waiters = new Set<() => void>();
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<unknown> = Promise.resolve();
  /** The log is closing: acks and naks of batches still running change nothing (their messages come back at the next start). */
  private closed = false;

  constructor(
    readonly name: string,
    private readonly log: MessageLog,
    private readonly onSaveError: (error: unknown) => void,
    /** Where a consumer with no saved state starts: after this sequence. */
    startAfterSeq = 0,
  ) {
    const stored = log.consumers.get(name);
    this.floor = stored?.floor ?? startAfterSeq;
    this.acked = new Set((stored?.acked ?? []).filter((s) => s > this.floor));
    this.earlierCounts = new Map(stored?.counts ?? []);
    this.types = stored?.types;
    this.cursor = this.floor + 1;
  }

  setTypes(types: readonly string[] | undefined): void {
    const next = types === undefined || types.length === 0 ? undefined : [...types];
    if (JSON.stringify(next) === JSON.stringify(this.types)) return;
    this.types = next;
    this.scheduleSave();
  }

  private matches(type: string): boolean {
    return this.types === undefined || this.types.some((p) => typeMatches(p, type));
  }

  /** Takes up to `max` deliveries: redeliveries that are due first, then new messages in order. */
  takeBatch(max: number, now: number): Delivery[] {
    const out: Delivery[] = [];
    const due = [...this.inFlight.entries()].filter(([, f]) => f.deadline <= now).sort((a, b) => a[0] - b[0]);
    for (const [seq, f] of due) {
      if (out.length >= max) break;
      const message = this.log.messages.get(seq);
      if (message === undefined) {
        // Trimmed by max age: nothing left to deliver.
        this.settle(seq);
        continue;
      }
      f.count += 1;
      f.generation += 1;
      f.deadline = now + this.ackWaitMs;
      out.push(this.delivery(seq, message, f));
    }
    const end = this.log.lastSeq;
    if (out.length < max && this.cursor <= end) {
      let full = false;
      for (const { key, value } of this.log.messages.getRange({ start: this.cursor, end: end + 1 })) {
        this.cursor = key + 1;
        if (this.acked.has(key) || !this.matches(value.e.type)) continue;
        const f: InFlight = { deadline: now + this.ackWaitMs, count: (this.earlierCounts.get(key) ?? 0) + 1, generation: 1 };
        this.earlierCounts.delete(key);
        this.inFlight.set(key, f);
        out.push(this.delivery(key, value, f));
        if (out.length >= max) {
          full = true;
          break;
        }
      }
      if (!full) this.cursor = end + 1;
    }
    if (out.length > 0) this.scheduleSave();
    else this.advanceFloor();
    return out;
  }

  private delivery(streamSeq: number, message: StoredMessage, f: InFlight): Delivery {
    const generation = f.generation;
    let settled = false;
    const once = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      envelope: envelopeOf(message),
      seq: message.r?.s ?? streamSeq,
      streamSeq,
      deliveryCount: f.count,
      ...(message.r !== undefined ? { replayId: message.r.i } : {}),
      ...(message.r?.t !== undefined ? { replayTarget: message.r.t } : {}),
      ack: () => once(() => this.closed || this.settle(streamSeq)),
      term: () => once(() => this.closed || this.settle(streamSeq)),
      nak: (delayMs: number) => once(() => this.closed || this.retime(streamSeq, generation, Math.max(0, delayMs))),
      working: () => {
        if (!settled && !this.closed) this.retime(streamSeq, generation, this.ackWaitMs);
      },
    };
  }

  private settle(seq: number): void {
    this.inFlight.delete(seq);
    if (seq > this.floor) this.acked.add(seq);
    this.advanceFloor();
    this.scheduleSave();
  }

  private retime(seq: number, generation: number, delayMs: number): void {
    const f = this.inFlight.get(seq);
    if (f === undefined || f.generation !== generation) return;
    f.deadline = Date.now() + delayMs;
    this.wake();
  }

  private advanceFloor(): void {
    let lowest = this.cursor;
    for (const seq of this.inFlight.keys()) if (seq < lowest) lowest = seq;
    const floor = lowest - 1;
    if (floor <= this.floor) return;
    this.floor = floor;
    for (const seq of this.acked) if (seq <= floor) this.acked.delete(seq);
    this.scheduleSave();
  }

  /** Waits until there may be work: a commit, a nak or ack-wait timer, or `wake()`. */
  waitForWork(): Promise<void> {
    let earliest = Infinity;
    for (const f of this.inFlight.values()) if (f.deadline < earliest) earliest = f.deadline;
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = (): void => {
        if (timer !== null) clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      if (earliest !== Infinity) timer = setTimeout(done, Math.max(0, earliest - Date.now()) + 1);
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  lag(): ConsumerLag {
    const end = this.log.lastSeq;
    let pending = 0;
    if (this.cursor <= end) {
      if (this.types === undefined) {
        pending = this.log.messages.getKeysCount({ start: this.cursor, end: end + 1 });
        for (const seq of this.acked) if (seq >= this.cursor) pending -= 1;
      } else {
        for (const { key, value } of this.log.messages.getRange({ start: this.cursor, end: end + 1 })) {
          if (!this.acked.has(key) && this.matches(value.e.type)) pending += 1;
        }
      }
    }
    return { pending: Math.max(0, pending), ackPending: this.inFlight.size, ackFloor: this.floor, delivered: this.delivered() };
  }

  /** The highest sequence delivered: below the cursor, or remembered from before a restart. */
  private delivered(): number {
    let highest = Math.max(this.floor, this.cursor - 1);
    for (const seq of this.acked) if (seq > highest) highest = seq;
    for (const seq of this.earlierCounts.keys()) if (seq > highest) highest = seq;
    return highest;
  }

  private scheduleSave(): void {
    if (this.saveTimer !== null) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  /**
   * Saves the ack state a last time and stops saving: a batch that outlives the stop timeout
   * may still ack or nak, but the log is about to close under it.
   */
  async close(): Promise<void> {
    await this.save();
    this.closed = true;
  }

  /** Writes the ack state now; resolves once it is committed. */
  save(): Promise<unknown> {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    if (this.closed) return this.saving;
    const counts: Array<[number, number]> = [...this.inFlight.entries()].map(([seq, f]) => [seq, f.count]);
    for (const [seq, count] of this.earlierCounts) if (!this.inFlight.has(seq)) counts.push([seq, count]);
    const state: StoredConsumerState = {
      floor: this.floor,
      acked: [...this.acked],
      counts,
      ...(this.types !== undefined ? { types: [...this.types] } : {}),
    };
    try {
      this.saving = this.log.consumers.put(this.name, state).catch(this.onSaveError);
    } catch (error) {
      this.onSaveError(error);
    }
    return this.saving;
  }
}
