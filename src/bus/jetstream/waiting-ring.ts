const INITIAL_SLOTS = 1024;

/**
 * What waits for a reply, by the number of its request (numbers are handed out in order, so
 * those in flight at one time span a short range). Slot `n % size` of a ring that grows when
 * a number would land on one still waiting, and never shrinks.
 *
 * A `Map` did this job before. Entries came and went thousands of times a second, so the
 * Map's table was rebuilt again and again. Every new table outlived the scavenges, because
 * the long-lived Map held it, and it was promoted to the old generation as garbage: about
 * 200 KB per scavenge at 9500 requests/s, which made up most of what started the gateway's
 * major collections.
 */
export class WaitingRing<T> {
  private entries: Array<T | undefined> = new Array<T | undefined>(INITIAL_SLOTS).fill(undefined);
  /** The request number held in each slot, or -1. */
  private numbers = new Float64Array(INITIAL_SLOTS).fill(-1);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the entry of request `n` (a non-negative integer not already waiting). */
  set(n: number, entry: T): void {
    if (this.numbers[n % this.numbers.length] !== -1) this.grow(n);
    const slot = n % this.numbers.length;
    this.entries[slot] = entry;
    this.numbers[slot] = n;
    this.count++;
  }

  /** Removes and returns the entry of request `n`, or undefined when it is not waiting. */
  take(n: number): T | undefined {
    if (!Number.isSafeInteger(n) || n < 0) return undefined;
    const slot = n % this.numbers.length;
    if (this.numbers[slot] !== n) return undefined;
    const entry = this.entries[slot];
    this.entries[slot] = undefined;
    this.numbers[slot] = -1;
    this.count--;
    return entry;
  }

  /** Removes and returns every entry `done` picks, oldest slot first. */
  takeWhere(done: (entry: T) => boolean): T[] {
    const taken: T[] = [];
    if (this.count === 0) return taken;
    for (let slot = 0; slot < this.numbers.length; slot++) {
      if (this.numbers[slot] === -1 || !done(this.entries[slot] as T)) continue;
      taken.push(this.entries[slot] as T);
      this.entries[slot] = undefined;
      this.numbers[slot] = -1;
      this.count--;
    }
    return taken;
  }

  /** Makes the ring longer than the range from the oldest number waiting to `n`: no two of them then share a slot. */
  private grow(n: number): void {
    let oldest = n;
    for (const number of this.numbers) if (number !== -1 && number < oldest) oldest = number;
    let size = this.numbers.length * 2;
    while (size <= n - oldest) size *= 2;
    const entries = new Array<T | undefined>(size).fill(undefined);
    const numbers = new Float64Array(size).fill(-1);
    for (let slot = 0; slot < this.numbers.length; slot++) {
      const number = this.numbers[slot]!;
      if (number === -1) continue;
      entries[number % size] = this.entries[slot];
      numbers[number % size] = number;
    }
    this.entries = entries;
    this.numbers = numbers;
  }
}
