/**
 * NATS refused us for a reason retrying will not fix (credentials, TLS). The CLI turns it
 * into a one-line exit; it is never hidden behind a retry loop. (Its own module: the bus
 * library exports it without loading nats.js.)
 */
export class NatsConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsConfigurationError';
  }
}
