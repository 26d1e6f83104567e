// Polling of /metrics and /health for the whole page, so the charts keep their history
// while the user looks at other views.

import { useEffect, useRef, useState } from 'preact/hooks';
import { sluice, type HealthReport } from './api.js';
import { errorMessage } from './format.js';
import { MetricsHistory, parsePrometheus, summarize, type RatePoint, type Snapshot } from './metrics.js';

export const METRICS_INTERVAL_MS = 2000;
export const METRICS_WINDOW_MS = 10 * 60_000;

export interface LiveMetrics {
  points: readonly RatePoint[];
  latest: Snapshot | null;
  error: string | null;
}

export interface LiveHealth {
  health: HealthReport | null;
  error: string | null;
  checkedAt: number | null;
}

/** Calls `task` now and then every `ms` while the page is visible; never overlaps calls. */
function usePoll(task: (signal: AbortSignal) => Promise<void>, ms: number): void {
  const taskRef = useRef(task);
  taskRef.current = task;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (!document.hidden) {
        try {
          await taskRef.current(controller.signal);
        } catch {
          // The task reports its own errors; a failed poll just waits for the next one.
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [ms]);
}

export function useLiveMetrics(): LiveMetrics {
  const history = useRef(new MetricsHistory(METRICS_WINDOW_MS));
  const [state, setState] = useState<LiveMetrics>({ points: [], latest: null, error: null });
  usePoll(async (signal) => {
    try {
      const text = await sluice.metrics({ signal });
      history.current.push(summarize(parsePrometheus(text), Date.now()));
      setState({ points: [...history.current.points], latest: history.current.latest, error: null });
    } catch (error) {
      if (!signal.aborted) setState((s) => ({ ...s, error: errorMessage(error) }));
    }
  }, METRICS_INTERVAL_MS);
  return state;
}

export function useLiveHealth(): LiveHealth {
  const [state, setState] = useState<LiveHealth>({ health: null, error: null, checkedAt: null });
  usePoll(async (signal) => {
    try {
      const health = await sluice.health({ signal });
      setState({ health, error: null, checkedAt: Date.now() });
    } catch (error) {
      if (!signal.aborted) setState({ health: null, error: errorMessage(error), checkedAt: Date.now() });
    }
  }, 5000);
  return state;
}
