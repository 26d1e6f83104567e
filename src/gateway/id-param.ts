import { isEventId } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';

/** Refuses (400 `invalid_id`) a value that is not a UUID; `what` says which id it should be (an event id, a replay id). */
export function requireUuid(value: unknown, what = 'an event id'): asserts value is string {
  if (typeof value === 'string' && isEventId(value)) return;
  const shown = typeof value === 'string' ? `"${value.slice(0, 60)}"` : String(JSON.stringify(value)).slice(0, 60);
  throw new SluiceError('invalid_id', `${shown} is not ${what} (a UUID)`);
}
