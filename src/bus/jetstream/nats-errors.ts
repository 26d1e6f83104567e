import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
// The class nats.js throws for a JetStream request nobody answered is exported only here (the versions are pinned).
import { jserrors } from '@nats-io/jetstream/internal';
import { errors } from '@nats-io/nats-core';
import { SluiceError } from '../../errors/index.js';

/**
 * NATS errors sorted by nats.js's error classes and JetStream's API codes (never by their
 * messages, which change between releases). The codes nats.js does not name are the server's
 * (nats-server `server/errors.json`).
 */
export const API_CODE = {
  consumerNotFound: JetStreamApiCodes.ConsumerNotFound,
  streamNotFound: JetStreamApiCodes.StreamNotFound,
  /** A message the stream would not store: "maximum messages/bytes exceeded" (discard new at a limit). */
  streamStoreFailed: 10077,
  /** No suitable peers for placement: fewer servers up than the stream's replicas. */
  noSuitablePeers: 10005,
  /** JetStream system temporarily unavailable (no meta leader yet). */
  temporarilyUnavailable: 10008,
  /** Insufficient resources: the peers are not known yet. */
  insufficientResources: 10023,
} as const;

/** A JetStream API answer with this error code. */
export function isApiError(error: unknown, code: number): error is JetStreamApiError {
  return error instanceof JetStreamApiError && error.code === code;
}

/** nats.js refused to send a message larger than the server's max_payload. */
export function isPayloadTooLarge(error: unknown): boolean {
  return error instanceof errors.InvalidArgumentError;
}

/**
 * JetStream is there but cannot answer yet: a cluster that is forming (or lost its quorum) has
 * no meta leader, so requests time out, find no responder (which nats.js reports as "not
 * enabled"), or answer 503, "temporarily unavailable" or "insufficient resources"; a replicated
 * stream finds no peers for placement until enough servers are up.
 */
export function isClusterForming(error: unknown): boolean {
  if (error instanceof JetStreamApiError) {
    return error.status === 503 || error.code === API_CODE.noSuitablePeers || error.code === API_CODE.temporarilyUnavailable || error.code === API_CODE.insufficientResources;
  }
  return error instanceof errors.TimeoutError || error instanceof errors.NoRespondersError || error instanceof jserrors.JetStreamNotEnabled;
}

/** What a failed publish means to the publisher: `event_too_large`, or `bus_unavailable` (retry). */
export function publishError(error: unknown, payloadLimit: number): SluiceError {
  if (error instanceof SluiceError) return error;
  const message = (error as Error)?.message ?? String(error);
  if (isApiError(error, API_CODE.streamStoreFailed)) {
    return new SluiceError(
      'bus_unavailable',
      `the stream cannot store the event now (${message}): it is at STREAM_MAX_MSGS or STREAM_MAX_BYTES, and never drops accepted events to make room; nothing was stored. Retry later: room comes back as events pass STREAM_MAX_AGE.`,
      { cause: error, retryAfterSeconds: 1 },
    );
  }
  if (isPayloadTooLarge(error)) {
    return new SluiceError('event_too_large', `the event is larger than the NATS server takes (${payloadLimit} bytes)`, { cause: error });
  }
  return new SluiceError('bus_unavailable', `JetStream did not acknowledge the event (${message.split('\n')[0]}); it was not stored. Retry shortly.`, {
    cause: error,
    retryAfterSeconds: 1,
  });
}
