// Looks up an event's status by id (GET /ingest/status/{id}).

import { useEffect, useState } from 'preact/hooks';
import { SluiceApiError, sluice, type MessageStatus } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { errorMessage, formatTime } from '../format.js';
import { href, navigate } from '../router.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function StatusLookup({ id }: { id: string | null }) {
  const [value, setValue] = useState(id ?? '');
  const [result, setResult] = useState<MessageStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setValue(id ?? '');
    setResult(null);
    setError(null);
    if (!id) return;
    const controller = new AbortController();
    setLoading(true);
    sluice.status(id, { signal: controller.signal })
      .then(setResult)
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof SluiceApiError && e.status === 404 ? `No event was ever accepted with id ${id}.` : errorMessage(e));
      })
      .finally(() => setLoading(false));
    return () => controller.abort();
  }, [id]);

  const trimmed = value.trim();
  const invalid = trimmed !== '' && !UUID.test(trimmed);
  return (
    <section aria-labelledby="lookup-title">
      <h1 id="lookup-title">Status lookup</h1>
      <form
        class="lookup"
        role="search"
        aria-label="Look up an event by id"
        onSubmit={(event) => {
          event.preventDefault();
          if (trimmed && !invalid) navigate(`/status/${trimmed}`);
        }}
      >
        <label class="field field-wide">
          <span>Event id</span>
          <input
            id="lookup-id"
            type="text"
            class="mono"
            placeholder="00000000-0000-0000-0000-000000000000"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-invalid={invalid}
            aria-describedby="lookup-hint"
            spellcheck={false}
            autocomplete="off"
          />
          <small id="lookup-hint" class={invalid ? 'error-text' : 'muted'}>
            {invalid ? 'An id is a UUID.' : 'The id a 202 answer gave (id or message_id).'}
          </small>
        </label>
        <button type="submit" class="button button-primary" disabled={!trimmed || invalid}>
          Look up
        </button>
      </form>
      <div aria-live="polite">
        {loading && <p class="muted">Looking up…</p>}
        {error && <p class="notice notice-error">{error}</p>}
        {result && (
          <section class="panel" aria-labelledby="lookup-result-title">
            <h2 id="lookup-result-title">
              <span class="mono break">{result.message_id}</span>
            </h2>
            <dl class="attributes">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={result.status} />
              </dd>
              <dt>Type</dt>
              <dd class="mono">{result.type ?? '—'}</dd>
              <dt>Entity</dt>
              <dd>{result.entity_type ?? '—'}</dd>
              <dt>Attempts</dt>
              <dd>{result.attempts}</dd>
              <dt>Error</dt>
              <dd class={result.error ? 'error-text' : 'muted'}>{result.error ?? 'none'}</dd>
              <dt>Received</dt>
              <dd>{formatTime(result.received_at)}</dd>
              <dt>Processed</dt>
              <dd>{formatTime(result.processed_at)}</dd>
            </dl>
            <p>
              <a href={href(`/events/${result.message_id}`)}>Open the event</a>
            </p>
          </section>
        )}
      </div>
    </section>
  );
}
