import { SluiceError } from '../errors/index.js';

/**
 * A route's call to the store: a database that cannot be reached is a 503 the client may retry
 * (`Retry-After: 2`), never a 500. `unavailable` ends the message with what it means for the
 * request ("retry shortly", "the replay was not started").
 */
export async function fromStore<T>(read: () => Promise<T>, unavailable = 'retry shortly'): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // Already a client's answer (a bus that cannot be asked is bus_unavailable, a 503 too).
    if (error instanceof SluiceError) throw error;
    throw new SluiceError('store_unavailable', `the database is unavailable; ${unavailable}`, { cause: error, retryAfterSeconds: 2 });
  }
}
