import { latin1Text, utf8Text, writeLatin1, writeUtf8 } from '../envelope/index.js';

/** The type, source and content type an event shares with many others: kept once, numbered. */
export interface EventShape {
  readonly index: number;
  readonly type: string;
  readonly source: string;
  readonly dataContentType: string;
}

/** Every id is a lower-case UUID: 36 ASCII characters. */
const ID_LENGTH = 36;
/** Events a block holds. */
const BLOCK = 1024;
const BLOCK_BITS = 10;
/**
 * The ids of the latest events kept as strings too: a subscriber that keeps up is handed the
 * id the publisher had instead of a string read back from the block.
 */
const RECENT_IDS = 256;
/** A block's room for JSON text at first: 64 bytes an event (grown, within the block, when its events are larger). */
const FIRST_TEXT = 64 * BLOCK;

/** 1 024 consecutive events: what is kept of them, in arrays of bytes and numbers. */
class Block {
  readonly ids = Buffer.allocUnsafe(ID_LENGTH * BLOCK);
  /** Milliseconds since the epoch of each event's `time` (when it was published). */
  readonly times = new Float64Array(BLOCK);
  readonly shapes = new Uint32Array(BLOCK);
  /** Where each event's JSON text ends in `text` (it starts where the previous one ends). */
  readonly ends = new Uint32Array(BLOCK);
  /** 1 for an event whose bytes in `text` are the producer's (data the bus did not write as JSON). */
  readonly producerBytes = new Uint8Array(BLOCK);
  text = Buffer.allocUnsafe(FIRST_TEXT);
  textLength = 0;

  /** Copies the JSON text's UTF-8 in; returns where it ends. */
  write(json: string): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    this.makeRoom(json.length * 3);
    this.textLength += writeUtf8(this.text, json, this.textLength);
    return this.textLength;
  }

  /** Copies the producer's bytes in (what the producer does to its array afterwards changes nothing kept); returns where they end. */
  writeBytes(bytes: Uint8Array): number {
    this.makeRoom(bytes.length);
    this.text.set(bytes, this.textLength);
    this.textLength += bytes.length;
    return this.textLength;
  }

  private makeRoom(bytes: number): void {
    const room = this.textLength + bytes;
    if (room > this.text.length) {
      const text = Buffer.allocUnsafe(Math.max(room, this.text.length * 2));
      this.text.copy(text, 0, 0, this.textLength);
      this.text = text;
    }
  }

  start(at: number): number {
    return at === 0 ? 0 : this.ends[at - 1]!;
  }
}

/**
 * The memory bus's ordered log, kept outside the JavaScript heap: each event's id, time and
 * JSON text (or the producer's bytes, copied) are written into blocks of bytes and numbers, and its type, source and content
 * type are a number into a short table. An object and two strings per event kept on the heap
 * were copied by every young-generation collection (with 300 000 events kept, a fifth of the
 * run was spent in them). What a subscriber is handed is read back from here. Sequences
 * count from 1.
 */
export class MemoryLog {
  length = 0;
  private readonly blocks: Block[] = [];
  /** The id of event `seq` at `(seq - 1) % RECENT_IDS`, for the latest RECENT_IDS events. */
  private readonly recentIds: string[] = new Array<string>(RECENT_IDS).fill('');
  private readonly shapes: EventShape[] = [];
  private readonly shapeByKey = new Map<string, EventShape>();
  private lastShape: EventShape | undefined;
  private readonly scratchId = Buffer.alloc(ID_LENGTH);
  private timeMs = NaN;
  private timeText = '';

  /** Appends an event: `json` is the data's JSON text, or else `raw` its bytes (copied). Returns its sequence. */
  append(id: string, type: string, source: string, dataContentType: string, timeMs: number, json: string | undefined, raw: Uint8Array | undefined): number {
    const index = this.length;
    const at = index & (BLOCK - 1);
    if (at === 0) this.blocks.push(new Block());
    const block = this.blocks[index >>> BLOCK_BITS]!;
    writeLatin1(block.ids, id, at * ID_LENGTH);
    this.recentIds[index & (RECENT_IDS - 1)] = id;
    block.times[at] = timeMs;
    block.shapes[at] = this.shape(type, source, dataContentType).index;
    if (json !== undefined) {
      block.ends[at] = block.write(json);
      block.producerBytes[at] = 0;
    } else {
      block.ends[at] = block.writeBytes(raw!);
      block.producerBytes[at] = 1;
    }
    this.length = index + 1;
    return this.length;
  }

  idAt(seq: number): string {
    if (this.length - seq < RECENT_IDS) return this.recentIds[(seq - 1) & (RECENT_IDS - 1)]!;
    const start = ((seq - 1) & (BLOCK - 1)) * ID_LENGTH;
    return latin1Text(this.block(seq).ids, start, start + ID_LENGTH);
  }

  /** Compares the id of event `seq` with `id`: negative when it sorts first, 0 when equal. */
  compareId(seq: number, id: string): number {
    this.scratchId.write(id, 0, ID_LENGTH, 'latin1');
    const start = ((seq - 1) & (BLOCK - 1)) * ID_LENGTH;
    return this.block(seq).ids.compare(this.scratchId, 0, ID_LENGTH, start, start + ID_LENGTH);
  }

  shapeAt(seq: number): EventShape {
    return this.shapes[this.shapeIndexAt(seq)]!;
  }

  shapeIndexAt(seq: number): number {
    return this.block(seq).shapes[(seq - 1) & (BLOCK - 1)]!;
  }

  timeMsAt(seq: number): number {
    return this.block(seq).times[(seq - 1) & (BLOCK - 1)]!;
  }

  /** The event's `time`, RFC 3339; written once a millisecond (0.6 µs each), however many events share it. */
  timeAt(seq: number): string {
    const ms = this.timeMsAt(seq);
    if (ms !== this.timeMs) {
      this.timeMs = ms;
      this.timeText = new Date(ms).toISOString();
    }
    return this.timeText;
  }

  /** The data's JSON text, or undefined when the bus did not write it (the producer gave bytes: see `bytesAt`). */
  jsonAt(seq: number): string | undefined {
    const block = this.block(seq);
    const at = (seq - 1) & (BLOCK - 1);
    if (block.producerBytes[at] === 1) return undefined;
    return utf8Text(block.text, block.start(at), block.ends[at]!);
  }

  /**
   * A copy of the data's bytes (the JSON text's UTF-8, or the producer's bytes): the log's own
   * bytes stay as written, whatever a subscriber does with these.
   */
  bytesAt(seq: number): Buffer {
    const block = this.block(seq);
    const at = (seq - 1) & (BLOCK - 1);
    return Buffer.from(block.text.subarray(block.start(at), block.ends[at]!));
  }

  private block(seq: number): Block {
    return this.blocks[(seq - 1) >>> BLOCK_BITS]!;
  }

  private shape(type: string, source: string, dataContentType: string): EventShape {
    const last = this.lastShape;
    if (last !== undefined && last.type === type && last.source === source && last.dataContentType === dataContentType) return last;
    // A type holds no newline, and neither do a source or a content type that passed the envelope's checks.
    const key = `${type}\n${source}\n${dataContentType}`;
    let shape = this.shapeByKey.get(key);
    if (shape === undefined) {
      shape = { index: this.shapes.length, type, source, dataContentType };
      this.shapes.push(shape);
      this.shapeByKey.set(key, shape);
    }
    this.lastShape = shape;
    return shape;
  }
}
