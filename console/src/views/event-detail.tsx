// One event: its attributes and data (GET /events/{id}), the data's raw bytes
// (GET /events/{id}/data), its status, attempts and error (GET /ingest/status/{id}), and
// replay with a confirmation.

import { useEffect, useRef, useState } from 'preact/hooks';
import { SluiceApiError, sluice, type EntityRowRef, type MessageStatus, type ReplayAccepted, type StoredEvent } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ReplayProgress } from '../components/replay-progress.js';
import { StatusBadge } from '../components/status-badge.js';
import { REPLAY_WATCH_MS } from '../event-list.js';
import { errorMessage, formatTime } from '../format.js';
import { href } from '../router.js';

const CORE_ATTRIBUTES = new Set([
  'id',
  'type',
  'source',
  'subject',
  'time',
  'specversion',
  'datacontenttype',
  'data',
  'data_base64',
  'receivedat',
  'sequence',
]);

/** The trace id from a W3C `traceparent` extension, or a plain `traceid` one. */
export function traceIdOf(event: StoredEvent): string | null {
  if (typeof event.traceparent === 'string') {
    const parts = event.traceparent.split('-');
    if (parts.length >= 3 && parts[1]) return parts[1];
  }
  return typeof event.traceid === 'string' ? event.traceid : null;
}

export function EventDetail({ id, canReplay = true }: { id: string; canReplay?: boolean }) {
  const [event, setEvent] = useState<StoredEvent | null>(null);
  const [status, setStatus] = useState<MessageStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [replay, setReplay] = useState<ReplayAccepted | null>(null);
  const [tick, setTick] = useState(0);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, [id]);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    Promise.all([sluice.get(id, { signal: controller.signal }), sluice.status(id, { signal: controller.signal })])
      .then(([e, s]) => {
        setEvent(e);
        setStatus(s);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof SluiceApiError && e.status === 404 ? `No event with id ${id}.` : errorMessage(e));
      });
    return () => controller.abort();
  }, [id, tick]);

  // While the event still moves, or shortly after a replay, keep its status fresh.
  useEffect(() => {
    const moving = status && (status.status === 'accepted' || status.status === 'processing');
    if (!moving && !replay) return;
    const controller = new AbortController();
    const started = Date.now();
    const timer = setInterval(() => {
      if (!moving && Date.now() - started > REPLAY_WATCH_MS) return clearInterval(timer);
      sluice.status(id, { signal: controller.signal }).then(setStatus, () => undefined);
    }, 1500);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [id, status?.status, replay]);

  // Through SluiceClient, not a plain link: the request must carry the tab's API key.
  const downloadRaw = async () => {
    try {
      const { bytes, contentType } = await sluice.data(id);
      const url = URL.createObjectURL(new Blob([bytes], { type: contentType }));
      const link = document.createElement('a');
      link.href = url;
      link.download = rawFileName(id, contentType);
      link.click();
      // The download has its own copy once started; a minute is ample for it to start.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const doReplay = async () => {
    setBusy(true);
    try {
      setReplay(await sluice.replay(id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const failed = status?.status === 'failed';
  const traceId = event ? traceIdOf(event) : null;
  const extensions = event ? Object.entries(event).filter(([name]) => !CORE_ATTRIBUTES.has(name)) : [];

  return (
    <section aria-labelledby="event-title">
      <p>
        <a href={href('/events')}>← Events</a>
      </p>
      <h1 id="event-title" tabIndex={-1} ref={headingRef}>
        Event <span class="mono break">{id}</span>
      </h1>
      {error && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {status && (
        <div class="toolbar">
          {canReplay && (
            <button type="button" class="button button-primary" onClick={() => setConfirming(true)}>
              {failed ? 'Replay dead letter' : 'Replay event'}
            </button>
          )}
          <button type="button" class="button" onClick={() => setTick((t) => t + 1)}>
            Refresh
          </button>
        </div>
      )}
      {replay && <ReplayProgress started={replay} onDone={() => setTick((t) => t + 1)} />}
      <div class="columns">
        <section class="panel" aria-labelledby="status-title">
          <h2 id="status-title">Status</h2>
          {status ? (
            <dl class="attributes" data-testid="event-status">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={status.status} />
              </dd>
              <dt>Attempts</dt>
              <dd data-testid="event-attempts">{status.attempts}</dd>
              <dt>Error</dt>
              <dd class={status.error ? 'error-text' : 'muted'}>{status.error ?? 'none'}</dd>
              <dt>Entity</dt>
              <dd>{status.entity_type ?? <span class="muted">none (archive only)</span>}</dd>
              <dt>Received</dt>
              <dd>{formatTime(status.received_at)}</dd>
              <dt>Processed</dt>
              <dd>{formatTime(status.processed_at)}</dd>
              <dt>Trace id</dt>
              <dd class="mono break">{traceId ?? <span class="muted">none</span>}</dd>
            </dl>
          ) : (
            !error && <p class="muted">Loading…</p>
          )}
          {status?.rows !== undefined && status.rows.length > 0 && <RowsWritten rows={status.rows} />}
        </section>
        <section class="panel" aria-labelledby="attributes-title">
          <h2 id="attributes-title">Attributes</h2>
          {event && (
            <dl class="attributes">
              <dt>Type</dt>
              <dd class="mono">{event.type}</dd>
              <dt>Source</dt>
              <dd class="mono break">{event.source}</dd>
              {event.subject !== undefined && (
                <>
                  <dt>Subject</dt>
                  <dd class="mono break">{event.subject}</dd>
                </>
              )}
              <dt>Time</dt>
              <dd>{event.time ?? '—'}</dd>
              {event.receivedat !== undefined && (
                <>
                  <dt>Received</dt>
                  <dd>{event.receivedat}</dd>
                </>
              )}
              {event.sequence !== undefined && (
                <>
                  <dt>Sequence</dt>
                  <dd class="mono">{event.sequence}</dd>
                </>
              )}
              {extensions.map(([name, value]) => (
                <>
                  <dt key={`${name}-t`}>{name}</dt>
                  <dd key={`${name}-d`} class="mono break">
                    {typeof value === 'string' ? value : JSON.stringify(value)}
                  </dd>
                </>
              ))}
            </dl>
          )}
        </section>
      </div>
      {event && (
        <section class="panel" aria-labelledby="data-title">
          <h2 id="data-title">Data</h2>
          <p>
            <a
              href={`/events/${encodeURIComponent(id)}/data`}
              data-testid="event-raw-data"
              onClick={(e) => {
                e.preventDefault();
                void downloadRaw();
              }}
            >
              Raw bytes
            </a>{' '}
            <span class="muted">
              ({event.datacontenttype ?? 'application/json'}, exactly as the producer sent them)
            </span>
          </p>
          <pre class="json" tabIndex={0} aria-label="Event data as JSON" data-testid="event-data">
            {JSON.stringify(event.data ?? event.data_base64 ?? null, null, 2)}
          </pre>
        </section>
      )}
      <ConfirmDialog
        open={confirming}
        title={failed ? 'Replay this dead letter?' : 'Replay this event?'}
        confirmLabel="Replay"
        busy={busy}
        onConfirm={() => void doReplay()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Event <span class="mono break">{id}</span> ({event?.type}) is delivered to the workers again under its own
          id. Its attempts grow; a row it wrote is rewritten unless a newer event has replaced it.
        </p>
      </ConfirmDialog>
    </section>
  );
}

const EXTENSIONS: Record<string, string> = { 'application/json': 'json', 'text/plain': 'txt', 'application/xml': 'xml', 'text/xml': 'xml', 'text/csv': 'csv' };

/** The name a download of an event's raw bytes gets: its id, and an extension for the common types. */
export function rawFileName(id: string, contentType: string): string {
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  const extension = EXTENSIONS[essence] ?? (essence.endsWith('+json') ? 'json' : essence.startsWith('image/') ? essence.slice(6).replace(/[^a-z0-9]/g, '') : 'bin');
  return `${id}.${extension || 'bin'}`;
}

/** SQL that reads one entity row, for a reader to paste into psql. */
function rowQuery(row: EntityRowRef): string {
  const literal = (v: unknown): string => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  const where = Object.entries(row.key)
    .map(([column, value]) => `${column} = ${literal(value)}`)
    .join(' AND ');
  return `SELECT * FROM ${row.table} WHERE ${where};`;
}

/** The rows an event wrote or deleted, each with the query that reads it. */
function RowsWritten({ rows }: { rows: EntityRowRef[] }) {
  return (
    <div data-testid="event-rows">
      <h3>Rows written</h3>
      <ul class="rows-written">
        {rows.map((row) => (
          <li key={`${row.table}:${JSON.stringify(row.key)}`}>
            <span class="mono">{row.table}</span>{' '}
            <span class="mono muted">
              {Object.entries(row.key)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(', ')}
            </span>
            {row.deleted === true && <span class="muted"> (deleted)</span>}
            <code class="mono break" title="Read it with SQL">
              {rowQuery(row)}
            </code>
          </li>
        ))}
      </ul>
    </div>
  );
}
