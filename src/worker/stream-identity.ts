import type { BusPort } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { StorePort } from '../store/index.js';

/**
 * A stream deleted and created again (by hand, or by a gateway after someone deleted it) starts
 * its sequences at 1, below those the database stored from the old one: the newest-wins guard
 * would take every new event for an older one and leave entity rows as they were while their
 * statuses say `persisted`. Before it consumes, the worker compares the stream's identity (its
 * creation time) with the one recorded in the database:
 * - the stream recorded, or one whose sequences are all past the stored ones: nothing to do;
 * - a new stream still empty: its sequences are made to go on after the highest stored one,
 *   so every sequence stays comparable (the listing, replays and the guard need no change);
 * - a new stream already holding messages below that: refused, saying what to do.
 */
export async function checkStreamIdentity(bus: BusPort, store: StorePort, logger: Logger): Promise<void> {
  const state = await bus.streamState();
  if (state === null) return;
  const recorded = await store.streamCreated(state.name);
  if (recorded === state.created) return;
  const highest = await store.highestStreamSeq();
  const recreated = recorded !== null || state.lastSeq < highest;
  const ahead = state.messages === 0 ? state.lastSeq >= highest : state.firstSeq > highest;
  if (recreated && !ahead) {
    if (state.messages > 0) {
      throw new Error(
        `the stream ${state.name} was created again (at ${state.created}${recorded !== null ? `; the database knew the one created at ${recorded}` : ''}) ` +
          `and its sequences restarted: it holds ${state.messages} messages from sequence ${state.firstSeq}, while the database has stored events up to sequence ${highest}, ` +
          'so their updates would be taken for older ones and ignored. To go on: stop every gateway, delete the stream again ' +
          `(its ${state.messages} messages are lost unless their producers send them again under their idempotency keys), and start a worker before any gateway: ` +
          `it makes the new stream's sequences go on after ${highest}.`,
      );
    }
    await bus.continueSequenceAfter(highest);
    logger.warn({ stream: state.name, created: state.created, recorded, continuesAfter: highest }, 'the stream was created again; its sequences go on after the stored ones');
  }
  await store.recordStreamCreated(state.name, state.created);
}
