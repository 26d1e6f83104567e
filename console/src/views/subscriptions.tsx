// Subscriptions: each one's lag, deliveries and failures, its last error, pause and resume,
// and a button that re-delivers its failed deliveries (its dead letters) to it alone.

import { useCallback, useEffect, useState } from 'preact/hooks';
import { SluiceApiError, sluice, type Delivery, type SubscriptionStatus } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { errorMessage, formatCount, formatTime } from '../format.js';

const REFRESH_MS = 5000;

function lastError(s: SubscriptionStatus): string {
  if (s.last_error === null) return '—';
  return `${formatTime(s.last_error.at)} ${s.last_error.error ?? `HTTP ${s.last_error.status_code}`}`;
}

function FailedDeliveries({ name }: { name: string }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    sluice
      .deliveries(name, { status: 'failed', limit: 20 }, { signal: controller.signal })
      .then((page) => setDeliveries(page.deliveries))
      .catch((e: unknown) => !controller.signal.aborted && setError(errorMessage(e)));
    return () => controller.abort();
  }, [name]);
  if (error !== null) return <p role="alert">{error}</p>;
  if (deliveries === null) return <p aria-live="polite">Loading failed deliveries…</p>;
  if (deliveries.length === 0) return <p>No failed deliveries.</p>;
  return (
    <table class="subscription-failures">
      <caption>Latest failed deliveries of {name}</caption>
      <thead>
        <tr>
          <th scope="col">Last attempt</th>
          <th scope="col">Event</th>
          <th scope="col">Attempts</th>
          <th scope="col">Each attempt</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.event_id}>
            <td>{formatTime(d.last_attempt_at)}</td>
            <td>
              <a class="mono" href={`#/events/${d.event_id}`}>{d.event_id}</a> {d.event_type}
            </td>
            <td>{d.attempts}</td>
            <td>
              <ol class="attempt-log">
                {d.attempt_log.map((a) => (
                  <li key={`${a.attempt}-${a.attempted_at}`}>
                    {formatTime(a.attempted_at)} {a.status_code !== null ? `HTTP ${a.status_code}` : a.error} ({Math.round(a.duration_ms)} ms)
                  </li>
                ))}
              </ol>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `canReplay`, `canChange`: what the key may do (replay scope; admin scope); the rest is hidden. */
export function Subscriptions({ canReplay, canChange }: { canReplay: boolean; canChange: boolean }) {
  const [subscriptions, setSubscriptions] = useState<SubscriptionStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<SubscriptionStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      setSubscriptions(await sluice.subscriptions({ signal }));
      setError(null);
    } catch (e) {
      if (signal?.aborted) return;
      setError(e instanceof SluiceApiError && e.status === 403 ? 'This API key may not see subscriptions (it needs the admin scope).' : errorMessage(e));
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    const timer = setInterval(() => void load(controller.signal), REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [load]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await what();
      setNotice(done);
      await load();
    } catch (e) {
      setNotice(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="subscriptions-title">
      <h1 id="subscriptions-title">Subscriptions</h1>
      <p class="muted">Events of these types are POSTed to each endpoint, signed, until it takes them. Pending is what its consumer still has to deliver.</p>
      {notice !== null && (
        <p role="status" class="notice notice-ok">
          {notice}
        </p>
      )}
      {error !== null && <p class="notice notice-error" role="alert">{error}</p>}
      {subscriptions !== null && subscriptions.length === 0 && <p>No subscriptions yet: create one with POST /subscriptions or sluice subscriptions add.</p>}
      {subscriptions !== null && subscriptions.length > 0 && (
        <div class="table-wrap">
          <table class="subscriptions-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Types → endpoint</th>
                <th scope="col">Pending</th>
                <th scope="col">Delivered</th>
                <th scope="col">Failed</th>
                <th scope="col">Last error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.map((s) => (
                <tr key={s.name}>
                  <th scope="row">
                    <button type="button" class="link-button" aria-expanded={open === s.name} onClick={() => setOpen(open === s.name ? null : s.name)}>
                      {s.name}
                    </button>
                  </th>
                  <td>{s.paused ? 'paused' : 'active'}</td>
                  <td>
                    {s.types.join(', ')} → <span class="mono">{s.url}</span>
                  </td>
                  <td>{formatCount(s.pending)}</td>
                  <td>{formatCount(s.delivered)}</td>
                  <td>{formatCount(s.failed)}</td>
                  <td>{lastError(s)}</td>
                  <td class="actions">
                    {canChange && (
                      <button
                        type="button"
                        class="button"
                        disabled={busy}
                        onClick={() => void act(() => (s.paused ? sluice.resumeSubscription(s.name) : sluice.pauseSubscription(s.name)), `${s.name} ${s.paused ? 'resumed' : 'paused'}.`)}
                      >
                        {s.paused ? 'Resume' : 'Pause'}
                      </button>
                    )}
                    {canReplay && (
                      <button type="button" class="button button-primary" disabled={busy || s.failed === 0} onClick={() => setConfirming(s)}>
                        Replay {formatCount(s.failed)} failed
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open !== null && <FailedDeliveries name={open} />}
      <ConfirmDialog
        open={confirming !== null}
        title="Replay failed deliveries"
        confirmLabel="Replay"
        busy={busy}
        onCancel={() => setConfirming(null)}
        onConfirm={() => {
          const s = confirming;
          setConfirming(null);
          if (s !== null) void act(async () => sluice.replayFailed(s.name), `${s.name}: its failed deliveries are being sent again.`);
        }}
      >
        <p>
          Send the {formatCount(confirming?.failed)} failed deliveries of {confirming?.name} to its endpoint again? Only this subscription receives them, under the same webhook-id.
        </p>
      </ConfirmDialog>
    </section>
  );
}
