import { isEventId } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';

/**
 * The id a request names, as ids are stored (lower case: the same UUID in upper case is the same
 * event, and the bus finds an event by its stored id); refuses (400 `invalid_id`) a value that
 * is not a UUID. `what` says which id it should be (an event id, a replay id).
 */
export function uuidParam(value: unknown, what = 'an event id'): string {
  if (typeof value === 'string' && isEventId(value)) return value.toLowerCase();
  const shown = typeof value === 'string' ? `"${value.slice(0, 60)}"` : String(JSON.stringify(value)).slice(0, 60);
  throw new SluiceError('invalid_id', `${shown} is not ${what} (a UUID)`);
}
