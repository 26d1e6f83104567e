// The API key the console sends. Kept in sessionStorage so it lasts for the tab, not forever.
// When a request is refused with 401 the console asks for a key once; every request that
// was refused meanwhile waits for that one answer.

const STORAGE_KEY = 'sluice.apiKey';

type KeyRequester = (reason: 'missing' | 'refused') => Promise<string>;

let requester: KeyRequester | null = null;
let pending: Promise<string> | null = null;
let memoryKey: string | null = storedKey();

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage can be disabled; the key then lasts until the page reloads.
  }
  memoryKey = key;
}

export function currentKey(): string | null {
  return memoryKey;
}

/** The UI registers how it asks for a key (a dialog). */
export function setKeyRequester(fn: KeyRequester): void {
  requester = fn;
}

/** Asks for a key, sharing one prompt among all callers; resolves once a key is stored. */
export function requestKey(refusedKey: string | null): Promise<string> {
  if (pending) return pending;
  if (!requester) return Promise.reject(new Error('an API key is required'));
  const ask = requester;
  // A request that failed with a key another caller has since replaced just retries.
  if (refusedKey !== memoryKey && memoryKey !== null) return Promise.resolve(memoryKey);
  pending = ask(refusedKey === null ? 'missing' : 'refused')
    .then((key) => {
      storeKey(key);
      return key;
    })
    .finally(() => {
      pending = null;
    });
  return pending;
}
