import { open, type Database, type RootDatabase } from 'lmdb';
import type { EventEnvelope } from '../../envelope/index.js';
import type { PublishAck, ReplayMark } from '../port.js';
import { messageIdOf, storedEnvelope, toStoredMessage, type StoredDeadLetter, type StoredId, type StoredMessage } from './records.js';
import type { StoredConsumerState } from './durable-consumer.js';

/** One publish waiting for the next group commit. */
interface QueuedPublish {
  readonly envelope: EventEnvelope;
  readonly replay?: ReplayMark;
  readonly resolve: (ack: PublishAck) => void;
  readonly reject: (error: unknown) => void;
}

export interface MessageLogOptions {
  readonly path: string;
  readonly duplicateWindowMs: number;
}

/**
 * The ordered, durable message log in one LMDB environment. Publishes that arrive while a
 * commit is in progress are grouped into the next one (group commit), and each resolves only
 * once its transaction is committed and synced to disk: one fsync for many events.
 */
export class MessageLog {
  private readonly root: RootDatabase;
  readonly messages: Database<StoredMessage, number>;
  readonly ids: Database<StoredId, string>;
  readonly consumers: Database<StoredConsumerState, string>;
  readonly deadLetters: Database<StoredDeadLetter, number>;
  /** Which message each dead letter was for (`id:streamSeq`): a message given up on is dead-lettered once. */
  private readonly deadLetterKeys: Database<number, string>;
  private readonly meta: Database<number, string>;
  private readonly duplicateWindowMs: number;
  private queue: QueuedPublish[] = [];
  private committing: Promise<void> | null = null;
  private commitListeners = new Set<() => void>();
  /** The last sequence committed and synced: what consumers may see. */
  lastSeq: number;
  /** The last sequence handed out (committed or being committed). */
  private assignedSeq: number;
  private syncing = new Set<Promise<void>>();
  private lastDeadLetterSeq: number;

  constructor(options: MessageLogOptions) {
    this.root = open({
      path: options.path,
      // Commits become visible first and are synced right after, while the next commit is
      // already being written; a publish resolves only after `flushed` (the sync).
      overlappingSync: true,
      noSync: false,
      maxDbs: 8,
    });
    this.messages = this.root.openDB<StoredMessage, number>({ name: 'messages' });
    this.ids = this.root.openDB<StoredId, string>({ name: 'ids' });
    this.consumers = this.root.openDB<StoredConsumerState, string>({ name: 'consumers' });
    this.deadLetters = this.root.openDB<StoredDeadLetter, number>({ name: 'dead-letters' });
    this.deadLetterKeys = this.root.openDB<number, string>({ name: 'dead-letter-keys' });
    this.meta = this.root.openDB<number, string>({ name: 'meta', encoding: 'json' });
    this.duplicateWindowMs = options.duplicateWindowMs;
    this.lastSeq = this.meta.get('lastSeq') ?? 0;
    this.assignedSeq = this.lastSeq;
    this.lastDeadLetterSeq = this.meta.get('lastDeadLetterSeq') ?? 0;
  }

  /** The last sequence stored before `timeMs` (0 when none): a consumer starting at that time begins after it. */
  lastSeqBefore(timeMs: number): number {
    for (const { key, value } of this.messages.getRange({ start: this.lastSeq, end: 0, reverse: true })) {
      if (value.ts < timeMs) return key;
    }
    return 0;
  }

  /** Called after every commit that added messages. */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Queues one message for the next group commit; resolves once it is synced to disk. */
  append(envelope: EventEnvelope, replay?: ReplayMark): Promise<PublishAck> {
    return new Promise<PublishAck>((resolve, reject) => {
      this.queue.push(replay === undefined ? { envelope, resolve, reject } : { envelope, replay, resolve, reject });
      // Let every publish of this event turn join the same commit.
      if (this.committing === null) this.committing = new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
    });
  }

  /** Resolves when every queued publish is settled. */
  async settled(): Promise<void> {
    while (this.committing !== null) await this.committing;
    await Promise.all(this.syncing);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commitBatch(batch);
      }
    } finally {
      this.committing = null;
    }
  }

  /**
   * Writes one group of publishes in one transaction. Returns once it is committed, so the
   * next group can be written while this one syncs; its publishes resolve after the sync.
   */
  private async commitBatch(batch: readonly QueuedPublish[]): Promise<void> {
    const now = Date.now();
    const inBatch = new Map<string, number>();
    const acks: PublishAck[] = [];
    const writes: Array<{ seq: number; msgId: string; record: StoredMessage }> = [];
    let seq = this.assignedSeq;
    for (const item of batch) {
      const msgId = messageIdOf(item.envelope, item.replay);
      const pending = inBatch.get(msgId);
      if (pending !== undefined) {
        acks.push({ seq: pending, duplicate: true });
        continue;
      }
      // Earlier groups are committed (visible here) even while their sync is still running.
      const known = this.ids.get(msgId);
      if (known !== undefined && now - known.ts < this.duplicateWindowMs && this.messages.doesExist(known.seq)) {
        acks.push({ seq: known.seq, duplicate: true });
        continue;
      }
      seq += 1;
      inBatch.set(msgId, seq);
      writes.push({ seq, msgId, record: toStoredMessage(item.envelope, msgId, now, item.replay) });
      acks.push({ seq, duplicate: false });
    }
    try {
      if (writes.length > 0) {
        const lastSeq = seq;
        await this.root.transaction(() => {
          for (const w of writes) {
            void this.messages.put(w.seq, w.record);
            void this.ids.put(w.msgId, { seq: w.seq, ts: now });
          }
          void this.meta.put('lastSeq', lastSeq);
        });
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.assignedSeq = seq;
    // Duplicates wait for the sync too: their first copy may be in a commit still syncing.
    const synced = Promise.resolve(this.root.flushed).then(
      () => {
        if (seq > this.lastSeq) this.lastSeq = seq;
        batch.forEach((item, i) => item.resolve(acks[i]!));
        if (writes.length > 0) for (const listener of this.commitListeners) listener();
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
    this.syncing.add(synced);
    void synced.finally(() => this.syncing.delete(synced));
  }

  /** Appends a dead letter and resolves once it is synced. */
  /**
   * Stores a dead letter unless one was stored for the same message (`key`, the event id and the
   * stream sequence of the message given up on): a batch whose commit failed after its dead
   * letters were published dead-letters them again on redelivery, and JetStream drops such a
   * repeat by its message id.
   */
  async appendDeadLetter(envelope: EventEnvelope, seq: number, reason: string, key: string): Promise<void> {
    const record: StoredDeadLetter = { ts: Date.now(), seq, reason, e: storedEnvelope(envelope), d: envelope.data };
    await this.root.transaction(() => {
      if (this.deadLetterKeys.get(key) !== undefined) return;
      this.lastDeadLetterSeq += 1;
      void this.deadLetters.put(this.lastDeadLetterSeq, record);
      void this.deadLetterKeys.put(key, this.lastDeadLetterSeq);
      void this.meta.put('lastDeadLetterSeq', this.lastDeadLetterSeq);
    });
    await this.root.flushed;
  }

  /** Removes messages stored before `cutoffMs`; returns how many. */
  async trimOlderThan(cutoffMs: number, limit = 10_000): Promise<number> {
    const old: Array<{ seq: number; msgId: string }> = [];
    for (const { key, value } of this.messages.getRange({ limit })) {
      if (value.ts >= cutoffMs) break;
      old.push({ seq: key, msgId: value.m });
    }
    if (old.length === 0) return 0;
    await this.root.transaction(() => {
      for (const { seq, msgId } of old) {
        void this.messages.remove(seq);
        if (this.ids.get(msgId)?.seq === seq) void this.ids.remove(msgId);
      }
    });
    return old.length;
  }

  async close(): Promise<void> {
    await this.settled();
    await this.root.flushed;
    await this.root.close();
  }
}
