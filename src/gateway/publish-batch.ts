import type { PublishAck } from '../bus/index.js';
import type { EventEnvelope } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import type { Publisher } from './publisher.js';

/** The outcome of one entry of a batch: its envelope and ack, or the error that refused it. */
export type BatchEntryOutcome = { readonly envelope: EventEnvelope; readonly ack: PublishAck } | { readonly error: SluiceError };

export interface BatchOutcome {
  readonly entries: BatchEntryOutcome[];
  readonly accepted: number;
  /** 202 when one entry was accepted; else 503 when the bus failed one, 403 when the key may send none of their types, else 400. */
  readonly status: 202 | 400 | 403 | 503;
}

/**
 * Publishes the built entries of a batch together and maps each to its outcome, in order.
 * An entry refused before publishing keeps its error; a publish failure becomes that entry's
 * error (`bus_unavailable` when the bus could not store it). The batch endpoints answer from this.
 */
export async function publishBatch(publisher: Publisher, built: ReadonlyArray<EventEnvelope | SluiceError>): Promise<BatchOutcome> {
  // No placeholder error per entry: an Error captures a stack trace, and the 1000 placeholders of
  // a batch, each overwritten once published, cost 7.7-13.7 ms per batch measured alone on the
  // shared 2-core VM (8-14 µs an event), 1.9 % of the NDJSON gateway's profile (BENCHMARKS.md).
  const entries: Array<BatchEntryOutcome | undefined> = built.map((b) => (b instanceof SluiceError ? { error: b } : undefined));
  const pending: number[] = [];
  built.forEach((b, i) => {
    if (!(b instanceof SluiceError)) pending.push(i);
  });
  let busFailed = false;
  if (pending.length > 0) {
    const acks = await publisher.publishMany(pending.map((i) => ({ envelope: built[i] as EventEnvelope })));
    acks.forEach((ack, k) => {
      const i = pending[k]!;
      if (ack instanceof Error) {
        const error = ack instanceof SluiceError ? ack : new SluiceError('bus_unavailable', ack.message, { cause: ack });
        busFailed ||= error.code === 'bus_unavailable';
        entries[i] = { error };
      } else {
        entries[i] = { envelope: built[i] as EventEnvelope, ack };
      }
    });
  }
  // An entry the publisher gave no answer for was not published.
  const settled: BatchEntryOutcome[] = entries.map((e) => e ?? { error: new SluiceError('internal_error', 'not published') });
  const accepted = settled.filter((e) => 'ack' in e).length;
  // None accepted: 403 when every entry was of a type the key may not send, as for one event.
  const allDenied = settled.length > 0 && settled.every((e) => 'error' in e && e.error.status === 403);
  return { entries: settled, accepted, status: accepted > 0 ? 202 : busFailed ? 503 : allDenied ? 403 : 400 };
}
