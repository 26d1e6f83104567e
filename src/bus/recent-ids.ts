/**
 * The ids this process stored recently, with their stream sequence: lets a status or event
 * lookup answer for an event the workers have not archived yet. Bounded: the oldest go first.
 *
 * Held in typed arrays rather than a `Map<string, number>`: at 200 000 ids the Map was 20-25
 * MB of strings and hash table on the JavaScript heap, all of it traced by every full garbage
 * collection and counted in the live size that sets the next heap limit (its rehashes were
 * multi-MB large objects besides). Here an id in canonical lower-case UUID form is 16 bytes
 * in a ring; any other id is kept as its string. Lookup is a chained hash over the ring.
 */
export class RecentIds {
  private readonly bytes: Uint8Array;
  private readonly seqs: Float64Array;
  /** Next slot in the same bucket, or -1. */
  private readonly chain: Int32Array;
  /** First slot of each bucket (newest first), or -1. */
  private readonly heads: Int32Array;
  private readonly bucketOfSlot: Int32Array;
  /** Slots whose id is not a lower-case UUID, with that id. */
  private readonly others = new Map<number, string>();
  private readonly mask: number;
  private readonly key = new Uint8Array(16);
  private size = 0;
  private at = 0;

  constructor(private readonly capacity: number) {
    const slots = Math.max(1, capacity);
    this.bytes = new Uint8Array(slots * 16);
    this.seqs = new Float64Array(slots);
    this.chain = new Int32Array(slots).fill(-1);
    this.bucketOfSlot = new Int32Array(slots);
    let buckets = 1;
    while (buckets < slots * 2) buckets *= 2;
    this.heads = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
  }

  remember(id: string, seq: number): void {
    if (this.capacity <= 0) return;
    const slot = this.at;
    this.at = (this.at + 1) % this.capacity;
    if (this.size === this.capacity) this.unlink(slot);
    else this.size++;
    let hash: number;
    if (uuidBytes(id, this.key)) {
      this.bytes.set(this.key, slot * 16);
      this.others.delete(slot);
      hash = hashBytes(this.key);
    } else {
      this.others.set(slot, id);
      hash = hashString(id);
    }
    const bucket = hash & this.mask;
    this.bucketOfSlot[slot] = bucket;
    this.seqs[slot] = seq;
    this.chain[slot] = this.heads[bucket]!;
    this.heads[bucket] = slot;
  }

  seqOf(id: string): number | undefined {
    const isUuid = uuidBytes(id, this.key);
    let slot = this.heads[(isUuid ? hashBytes(this.key) : hashString(id)) & this.mask]!;
    while (slot !== -1) {
      const other = this.others.get(slot);
      if (isUuid ? other === undefined && this.sameBytes(slot) : other === id) return this.seqs[slot];
      slot = this.chain[slot]!;
    }
    return undefined;
  }

  private sameBytes(slot: number): boolean {
    const base = slot * 16;
    for (let i = 0; i < 16; i++) if (this.bytes[base + i] !== this.key[i]) return false;
    return true;
  }

  /** Takes the oldest slot out of its bucket's chain before it is reused. */
  private unlink(slot: number): void {
    const bucket = this.bucketOfSlot[slot]!;
    let previous = -1;
    let current = this.heads[bucket]!;
    while (current !== -1 && current !== slot) {
      previous = current;
      current = this.chain[current]!;
    }
    if (current === -1) return;
    if (previous === -1) this.heads[bucket] = this.chain[slot]!;
    else this.chain[previous] = this.chain[slot]!;
    this.chain[slot] = -1;
    this.others.delete(slot);
  }
}

/** Writes the 16 bytes of a canonical lower-case UUID into `out`; false for any other string. */
function uuidBytes(id: string, out: Uint8Array): boolean {
  if (id.length !== 36) return false;
  let k = 0;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (id.charCodeAt(i) !== 0x2d) return false;
      i++;
      continue;
    }
    const high = hexValue(id.charCodeAt(i));
    const low = hexValue(id.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    out[k++] = (high << 4) | low;
    i += 2;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** FNV-1a over the id's bytes (random or hashed ids: any mix will do). */
function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
