// The console speaks to the gateway through SluiceClient (src/client), the client of the SDK
// and the `sluice` commands. It only brings its own fetch: the tab's API key on each request,
// and a prompt for one when the gateway answers 401.

import { SluiceClient } from '../../src/client/index.js';
import { currentKey, requestKey } from './auth.js';

export { SluiceApiError } from '../../src/client/index.js';
export type {
  EventPage,
  HealthReport,
  KeyInfo,
  ListFilter,
  MessageState,
  EntityRowRef,
  MessageStatus,
  ReplayAccepted,
  ReplayStatus,
  StoredEvent,
  Delivery,
  SubscriptionStatus,
} from '../../src/client/index.js';

/** fetch with the tab's API key; a 401 asks for a key (or a better one) until one works. */
async function keyedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  let key = currentKey();
  for (;;) {
    const headers = new Headers(init.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    else headers.delete('authorization');
    const response = await fetch(input, { ...init, headers, cache: 'no-store' });
    // The dialog can only be left with a key.
    if (response.status !== 401) return response;
    key = await requestKey(key);
  }
}

/** The gateway that served this page. A request may wait while the user types a key: hence 15 minutes. */
export const sluice = new SluiceClient({ url: window.location.origin, fetch: keyedFetch, timeoutMs: 15 * 60_000 });
