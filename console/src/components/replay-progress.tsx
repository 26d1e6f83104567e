// Follows a replay (GET /replay/{replay_id}) until it is done, announcing progress politely.

import { useEffect, useState } from 'preact/hooks';
import { sluice, type ReplayAccepted, type ReplayStatus as Progress } from '../api.js';
import { errorMessage, shortId } from '../format.js';

interface ReplayProgressProps {
  started: ReplayAccepted;
  /** Called once when the replay reports `done`. */
  onDone?: () => void;
}

export function ReplayProgress({ started, onDone }: ReplayProgressProps) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await sluice.replayStatus(started.replay_id, { signal: controller.signal });
        setProgress(next);
        setError(null);
        if (next.status === 'done') {
          onDone?.();
          return;
        }
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(errorMessage(e));
      }
      timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // onDone is a callback of the moment; following the replay id is what matters.
  }, [started.replay_id]);
  const done = progress?.status === 'done';
  return (
    <div class={`notice ${done ? 'notice-ok' : ''}`} role="status" data-testid="replay-progress">
      <strong>Replay {shortId(started.replay_id)}</strong>{' '}
      {progress
        ? `${done ? 'done' : 'running'}: ${progress.published} of ${progress.matched} re-delivered`
        : `started for ${started.replayed} event${started.replayed === 1 ? '' : 's'}`}
      {started.unknown.length > 0 && <span> · {started.unknown.length} unknown id(s) skipped</span>}
      {error && <span class="error-text"> · {error}</span>}
    </div>
  );
}
