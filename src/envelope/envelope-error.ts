/** The codes an event can be refused with at the edge; each is in the error registry (`errors/codes.ts`) with status 400. */
export type EnvelopeErrorCode = 'invalid_json' | 'unsupported_json' | 'invalid_event_type' | 'invalid_cloudevent' | 'invalid_content_type' | 'invalid_body';

/**
 * Why an event cannot be built, with a stable code. The envelope knows no HTTP: the gateway
 * and the bus library turn it into their SluiceError with the same code and message.
 */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';

  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
