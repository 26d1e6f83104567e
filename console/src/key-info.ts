// What the console's key may do (GET /auth/key), so views and buttons it may not use are
// hidden rather than failing with 403. Until the answer comes (or when it fails) everything
// shows: the gateway enforces the scopes either way.

import { useEffect, useState } from 'preact/hooks';
import { sluice, type KeyInfo } from './api.js';
import { currentKey } from './auth.js';

export { keyMay, type Scope } from './key-scopes.js';

// A key file can change under a running gateway; a minute is soon enough for the console.
const REFRESH_MS = 60_000;

/** The key's name and scopes, fetched again when the key changes or a minute passes. */
export function useKeyInfo(): KeyInfo | null {
  const [info, setInfo] = useState<KeyInfo | null>(null);
  const [key, setKey] = useState(currentKey());
  useEffect(() => {
    const watch = setInterval(() => setKey(currentKey()), 1000);
    return () => clearInterval(watch);
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      sluice.whoami({ signal: controller.signal }).then(setInfo, () => {
        if (!controller.signal.aborted) setInfo(null);
      });
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [key]);
  return info;
}
