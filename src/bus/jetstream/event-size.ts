import type { EventEnvelope } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import type { ReplayMark } from '../port.js';

/**
 * Bytes a replay's headers add to an event's: `sluice-replay-seq`, `sluice-replay-id` and the
 * longer message id come to about 140, `sluice-replay-for` (a replay for one subscription) about
 * 20 more than its name. Kept free at publish so a replay always fits.
 */
export const REPLAY_HEADER_ROOM = 256;

/** The event's data alone is larger than the server takes. */
export function dataTooLarge(envelope: EventEnvelope, payloadLimit: number): SluiceError | undefined {
  if (envelope.data.byteLength <= payloadLimit) return undefined;
  return new SluiceError('event_too_large', `the event is ${envelope.data.byteLength} bytes; the NATS server takes at most ${payloadLimit}`);
}

/**
 * The server counts headers and data against max_payload. An event is taken only if it would
 * still fit as a replay, whose headers are longer (REPLAY_HEADER_ROOM), so every accepted
 * event can be replayed.
 */
export function messageTooLarge(envelope: EventEnvelope, headers: Uint8Array, replay: ReplayMark | undefined, payloadLimit: number): SluiceError | undefined {
  const size = headers.byteLength + envelope.data.byteLength + (replay === undefined ? REPLAY_HEADER_ROOM : 0);
  if (size <= payloadLimit) return undefined;
  return new SluiceError(
    'event_too_large',
    `the event is ${envelope.data.byteLength} bytes of data and ${headers.byteLength} of attributes; the NATS server takes at most ${payloadLimit} in all, ${REPLAY_HEADER_ROOM} of them kept for a replay's headers`,
  );
}
