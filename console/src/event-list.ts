// Loads the events that match a filter by following GET /events cursors, then keeps
// following the last cursor to pick up new events (the API pages in ingestion order, so the
// newest are at the end of the last page).

import { useEffect, useRef, useState } from 'preact/hooks';
import { sluice, type ListFilter, type MessageStatus, type StoredEvent } from './api.js';
import { errorMessage } from './format.js';

export const PAGE_LIMIT = 200;
/** Events loaded before asking the user to narrow the filter or load more. */
export const LOAD_CAP = 2000;
const FOLLOW_INTERVAL_MS = 2000;

export interface EventListState {
  /** Oldest first, as the API returns them. */
  events: StoredEvent[];
  loading: boolean;
  /** True when the cap was reached before the end: more events match. */
  capped: boolean;
  error: string | null;
}

export interface EventList extends EventListState {
  loadMore: () => void;
}

/** The filter without empty fields (an address like ?type=&source=x leaves some blank). */
function withoutBlanks(filter: ListFilter): ListFilter {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as ListFilter;
}

export function useEventList(filter: ListFilter, follow: boolean): EventList {
  const [state, setState] = useState<EventListState>({ events: [], loading: true, capped: false, error: null });
  const cursorRef = useRef<string | null>(null);
  const budgetRef = useRef(LOAD_CAP);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(filter);

  // A new filter starts from scratch.
  useEffect(() => {
    cursorRef.current = null;
    budgetRef.current = LOAD_CAP;
    setState({ events: [], loading: true, capped: false, error: null });
    setGeneration((g) => g + 1);
  }, [key]);

  useEffect(() => {
    if (generation === 0) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { signal } = controller;
    const seen = new Set<string>();

    const drain = async (): Promise<void> => {
      try {
        for (;;) {
          if (budgetRef.current <= 0) {
            setState((s) => ({ ...s, loading: false, capped: true }));
            return;
          }
          const page = await sluice.list({ ...withoutBlanks(filter), limit: PAGE_LIMIT, cursor: cursorRef.current ?? undefined }, { signal });
          if (signal.aborted) return;
          if (page.next_cursor) cursorRef.current = page.next_cursor;
          const fresh = page.events.filter((e) => !seen.has(e.id));
          for (const e of fresh) seen.add(e.id);
          budgetRef.current -= fresh.length;
          setState((s) => ({ ...s, events: fresh.length ? [...s.events, ...fresh] : s.events, error: null }));
          if (page.events.length < PAGE_LIMIT || !page.next_cursor) break;
        }
        setState((s) => ({ ...s, loading: false, capped: false }));
      } catch (error) {
        if (signal.aborted) return;
        setState((s) => ({ ...s, loading: false, error: errorMessage(error) }));
      }
      if (follow && !signal.aborted) timer = setTimeout(drain, FOLLOW_INTERVAL_MS);
    };
    void drain();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // The filter is captured through `key`; `generation` restarts after a reset or "load more".
  }, [generation, follow]);

  return {
    ...state,
    loadMore: () => {
      budgetRef.current = LOAD_CAP;
      setState((s) => ({ ...s, loading: true, capped: false }));
      setGeneration((g) => g + 1);
    },
  };
}

const FINAL = new Set(['persisted', 'failed']);
/** How long statuses are asked again after a replay was published. */
export const REPLAY_WATCH_MS = 15_000;

export interface Statuses {
  statuses: Map<string, MessageStatus>;
  /** Asks for the given ids' statuses again for a while (after a replay). */
  refresh: (ids: readonly string[]) => void;
}

/**
 * Statuses of the given ids, fetched a few at a time; statuses that can still move
 * (accepted, processing) are asked again every few seconds.
 */
export function useStatuses(ids: readonly string[]): Statuses {
  const [statuses, setStatuses] = useState(() => new Map<string, MessageStatus>());
  const cache = useRef(statuses);
  const [round, setRound] = useState(0);
  // Ids watched after a replay: their status is final already, but attempts will still grow.
  const watchUntil = useRef(new Map<string, number>());
  const key = ids.join(',');
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pendingIds = () => {
      const now = Date.now();
      return ids.filter((id) => !FINAL.has(cache.current.get(id)?.status ?? '') || (watchUntil.current.get(id) ?? 0) > now);
    };
    const refresh = async () => {
      const queue = pendingIds();
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          try {
            const status = await sluice.status(id, { signal: controller.signal });
            cache.current = new Map(cache.current).set(id, status);
            setStatuses(cache.current);
          } catch {
            // Shown as unknown; asked again on the next round.
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(6, queue.length) }, worker));
      if (!controller.signal.aborted && pendingIds().length > 0) timer = setTimeout(refresh, 3000);
    };
    void refresh();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [key, round]);
  return {
    statuses,
    refresh: (refreshIds) => {
      const until = Date.now() + REPLAY_WATCH_MS;
      for (const id of refreshIds) watchUntil.current.set(id, until);
      setRound((r) => r + 1);
    },
  };
}
