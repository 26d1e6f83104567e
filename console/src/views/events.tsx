// The event browser: filter by type, source, time and status; newest first; select events
// and replay them; open one to see its data. The dead-letter view is the same list fixed to
// failed events.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { sluice, type ListFilter, type MessageState, type ReplayAccepted, type StoredEvent } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ReplayProgress } from '../components/replay-progress.js';
import { StatusBadge } from '../components/status-badge.js';
import { useEventList, useStatuses, LOAD_CAP } from '../event-list.js';
import { errorMessage, formatTime, fromLocalInput, shortId, toLocalInput } from '../format.js';
import { href, navigate, type Route } from '../router.js';

const ROWS_PER_VIEW = 50;
const DEFAULT_WINDOW_MS = 60 * 60_000;
const STATUSES = ['accepted', 'processing', 'persisted', 'failed'];

interface EventsProps {
  route: Route;
  /** The dead-letter view: failed events only. */
  deadLetters?: boolean;
  /** The key may replay (scope `replay`); else the replay button is hidden. */
  canReplay?: boolean;
}

export function Events({ route, deadLetters = false, canReplay = true }: EventsProps) {
  const params = route.params;
  const basePath = deadLetters ? '/dead-letters' : '/events';
  // Without a start time the list covers the last hour, fixed when the view opens, so a
  // busy stream does not load its whole history.
  const [defaultSince] = useState(() => new Date(Date.now() - DEFAULT_WINDOW_MS).toISOString());
  const filter: ListFilter = useMemo(
    () => ({
      type: params.get('type') ?? undefined,
      source: params.get('source') ?? undefined,
      since: params.get('since') ?? defaultSince,
      until: params.get('until') ?? undefined,
      // The gateway judges a status from the address (400 naming the parameter).
      status: deadLetters ? 'failed' : ((params.get('status') ?? undefined) as MessageState | undefined),
      data: params.get('data') ?? undefined,
    }),
    [params.toString(), deadLetters, defaultSince],
  );
  const [follow, setFollow] = useState(true);
  const list = useEventList(filter, follow);
  const newestFirst = useMemo(() => [...list.events].reverse(), [list.events]);

  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [JSON.stringify(filter)]);
  const visible = newestFirst.slice(offset, offset + ROWS_PER_VIEW);
  const visibleIds = visible.map((e) => e.id);
  const { statuses, refresh } = useStatuses(visibleIds);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [replay, setReplay] = useState<ReplayAccepted | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allVisibleSelected = visible.length > 0 && visible.every((e) => selected.has(e.id));
  const toggleAllVisible = () =>
    setSelected((s) => {
      const next = new Set(s);
      for (const e of visible) {
        if (allVisibleSelected) next.delete(e.id);
        else next.add(e.id);
      }
      return next;
    });

  const doReplay = async () => {
    setBusy(true);
    setActionError(null);
    const ids = [...selected];
    try {
      setReplay(await sluice.replay({ ids }));
      setSelected(new Set());
      setConfirming(false);
    } catch (error) {
      setActionError(errorMessage(error));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  const tableRef = useRef<HTMLTableSectionElement>(null);
  // Arrow keys (or j/k) move between rows; Enter opens the focused one.
  const onTableKey = (event: KeyboardEvent) => {
    const keys: Record<string, number> = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
    const step = keys[event.key];
    if (step === undefined || !tableRef.current) return;
    if (event.target instanceof HTMLInputElement && event.target.type !== 'checkbox') return;
    const links = [...tableRef.current.querySelectorAll<HTMLAnchorElement>('a.row-link')];
    const current = links.findIndex((l) => l.closest('tr')?.contains(document.activeElement));
    const next = links[Math.max(0, Math.min(links.length - 1, current + step))];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };

  const title = deadLetters ? 'Dead letters' : 'Events';
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">{title}</h1>
      {deadLetters && (
        <p class="muted">
          Events that failed validation or ran out of deliveries. Fix the cause, then replay them.
        </p>
      )}
      <FilterForm
        key={route.params.toString()}
        params={params}
        basePath={basePath}
        deadLetters={deadLetters}
        defaultSince={defaultSince}
      />
      <div class="toolbar" role="group" aria-label="List actions">
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          Follow new events
        </label>
        {canReplay && (
          <button
            type="button"
            class="button button-primary"
            disabled={selected.size === 0}
            onClick={() => setConfirming(true)}
          >
            Replay selected ({selected.size})
          </button>
        )}
        {selected.size > 0 && (
          <button type="button" class="button" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
        <span class="muted" role="status" aria-live="polite">
          {list.loading ? 'Loading…' : `${list.events.length} event${list.events.length === 1 ? '' : 's'}`}
        </span>
      </div>
      {replay && <ReplayProgress started={replay} onDone={() => refresh(visibleIds)} />}
      {(list.error || actionError) && (
        <p class="notice notice-error" role="alert">
          {list.error ?? actionError}
        </p>
      )}
      {list.capped && (
        <p class="notice">
          More than {LOAD_CAP} events match; showing the oldest {list.events.length}. Narrow the time range, or{' '}
          <button type="button" class="link-button" onClick={list.loadMore}>
            load {LOAD_CAP} more
          </button>
          .
        </p>
      )}
      <div class="table-wrap">
        <table class="events-table" aria-describedby="events-hint">
          <caption id="events-hint" class="visually-hidden">
            {title}, newest first. Use the arrow keys or j and k to move between rows, Enter to open one.
          </caption>
          <thead>
            <tr>
              <th scope="col" class="col-check">
                <input
                  type="checkbox"
                  aria-label="Select all events shown"
                  checked={allVisibleSelected}
                  onChange={toggleAllVisible}
                />
              </th>
              <th scope="col">Received</th>
              <th scope="col">Type</th>
              <th scope="col" class="col-source">Source</th>
              <th scope="col">Status</th>
              <th scope="col" class="num col-attempts">Attempts</th>
              <th scope="col" class="col-id">
                Id
              </th>
            </tr>
          </thead>
          <tbody ref={tableRef} onKeyDown={onTableKey}>
            {visible.map((event) => {
              const status = statuses.get(event.id);
              return (
                <tr
                  key={event.id}
                  data-event-id={event.id}
                  class={selected.has(event.id) ? 'selected' : ''}
                  onClick={(e) => {
                    // A click anywhere on the row opens it, except on its checkbox or link.
                    const target = e.target as HTMLElement;
                    if (!target.closest('input, a, button')) navigate(`/events/${event.id}`);
                  }}
                >
                  <td class="col-check">
                    <input
                      type="checkbox"
                      aria-label={`Select event ${event.id}`}
                      checked={selected.has(event.id)}
                      onChange={() => toggle(event.id)}
                    />
                  </td>
                  <td class="nowrap">{formatTime(receivedAt(event))}</td>
                  <td class="col-type">
                    <a class="row-link" href={href(`/events/${event.id}`)} title={`Open event ${event.id}`}>
                      <TypeName type={event.type} />
                      <span class="visually-hidden">, event {event.id}</span>
                    </a>
                  </td>
                  <td class="col-source">{event.source}</td>
                  <td>
                    <StatusBadge status={status?.status} />
                  </td>
                  <td class="num col-attempts">{status?.attempts ?? ''}</td>
                  <td class="mono muted col-id" title={event.id} aria-hidden="true">
                    {shortId(event.id)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!list.loading && list.events.length === 0 && !list.error && (
          <p class="empty">{deadLetters ? 'No dead letters in this time range.' : 'No events match these filters.'}</p>
        )}
      </div>
      {newestFirst.length > ROWS_PER_VIEW && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - ROWS_PER_VIEW))}>
            Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + ROWS_PER_VIEW, newestFirst.length)} of {newestFirst.length}
          </span>
          <button
            type="button"
            class="button"
            disabled={offset + ROWS_PER_VIEW >= newestFirst.length}
            onClick={() => setOffset(offset + ROWS_PER_VIEW)}
          >
            Older
          </button>
        </nav>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Replay ${selected.size} event${selected.size === 1 ? '' : 's'}?`}
        confirmLabel="Replay"
        busy={busy}
        onConfirm={() => void doReplay()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          The selected events are delivered to the workers again under their own ids. Rows they wrote are
          rewritten unless a newer event has replaced them.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** When the gateway received the event (the time the filters use); the event's own time otherwise. */
function receivedAt(event: StoredEvent): string | undefined {
  return typeof event.receivedat === 'string' ? event.receivedat : event.time;
}

/** An event type that may wrap after its dots on a narrow screen. */
function TypeName({ type }: { type: string }) {
  const parts = type.split('.');
  return (
    <>
      {parts.map((part, i) => (
        <>
          {i > 0 && (
            <>
              .<wbr />
            </>
          )}
          {part}
        </>
      ))}
    </>
  );
}

interface FilterFormProps {
  params: URLSearchParams;
  basePath: string;
  deadLetters: boolean;
  defaultSince: string;
}

function FilterForm({ params, basePath, deadLetters, defaultSince }: FilterFormProps) {
  const [type, setType] = useState(params.get('type') ?? '');
  const [source, setSource] = useState(params.get('source') ?? '');
  const [since, setSince] = useState(toLocalInput(params.get('since') ?? undefined));
  const [until, setUntil] = useState(toLocalInput(params.get('until') ?? undefined));
  const [status, setStatus] = useState(params.get('status') ?? '');
  const [data, setData] = useState(params.get('data') ?? '');
  const dataProblem = jsonProblem(data);
  // Open on wide screens; on a phone the list comes first and the filters fold away.
  const [open] = useState(() => params.size > 0 || window.matchMedia('(min-width: 641px)').matches);
  return (
    <details class="filters-box" open={open}>
      <summary>Filters</summary>
    <form
      class="filters"
      role="search"
      aria-label="Filter events"
      onSubmit={(event) => {
        event.preventDefault();
        if (dataProblem !== null) return;
        navigate(basePath, {
          type: type.trim() || undefined,
          source: source.trim() || undefined,
          since: fromLocalInput(since),
          until: fromLocalInput(until),
          status: deadLetters ? undefined : status || undefined,
          data: data.trim() || undefined,
        });
      }}
    >
      <label class="field">
        <span>Type</span>
        <input
          id="filter-type"
          type="text"
          placeholder="order.* or order.>"
          value={type}
          onInput={(e) => setType(e.currentTarget.value)}
          spellcheck={false}
        />
      </label>
      <label class="field">
        <span>Source</span>
        <input type="text" placeholder="/sluice" value={source} onInput={(e) => setSource(e.currentTarget.value)} spellcheck={false} />
      </label>
      <label class="field">
        <span>Data contains</span>
        <input
          type="search"
          placeholder='{"customer":"c-42"}'
          value={data}
          onInput={(e) => setData(e.currentTarget.value)}
          spellcheck={false}
          aria-invalid={dataProblem !== null}
          aria-describedby="data-hint"
        />
        <small id="data-hint" class="muted">
          {dataProblem ?? 'JSON the event data contains'}
        </small>
      </label>
      <label class="field">
        <span>Received from</span>
        <input
          type="datetime-local"
          step="1"
          value={since}
          onInput={(e) => setSince(e.currentTarget.value)}
          aria-describedby="since-hint"
        />
        <small id="since-hint" class="muted">
          {since ? ' ' : `Empty: since ${formatTime(defaultSince)}`}
        </small>
      </label>
      <label class="field">
        <span>Received before</span>
        <input type="datetime-local" step="1" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
      </label>
      {!deadLetters && (
        <label class="field">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="filter-actions">
        <button type="submit" class="button button-primary">
          Apply
        </button>
        <a class="button" href={href(basePath)}>
          Reset
        </a>
      </div>
    </form>
    </details>
  );
}

/** Why the data filter is not JSON, or null (empty is no filter). */
function jsonProblem(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch {
    return 'Not JSON: write it like {"customer":"c-42"}';
  }
}
