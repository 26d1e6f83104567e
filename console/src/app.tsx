// The console's frame: header with health, navigation, the current view, and the
// key dialog. Metrics are polled here so their charts survive switching views.

import { useEffect, useRef } from 'preact/hooks';
import { KeyDialog } from './components/key-dialog.js';
import type { KeyInfo } from './api.js';
import { keyMay, useKeyInfo, type Scope } from './key-info.js';
import { useLiveHealth, useLiveMetrics, type LiveHealth } from './live-data.js';
import { href, navigate, useRoute, type Route } from './router.js';
import { EventDetail } from './views/event-detail.js';
import { Events } from './views/events.js';
import { Overview } from './views/overview.js';
import { StatusLookup } from './views/status-lookup.js';
import { Subscriptions } from './views/subscriptions.js';

const NAV: Array<{ path: string; label: string; key: string; scope?: Scope }> = [
  { path: '/', label: 'Overview', key: 'o' },
  { path: '/events', label: 'Events', key: 'e', scope: 'read' },
  { path: '/dead-letters', label: 'Dead letters', key: 'd', scope: 'read' },
  { path: '/subscriptions', label: 'Subscriptions', key: 'u', scope: 'read' },
  { path: '/status', label: 'Status lookup', key: 's', scope: 'read' },
];

/** The views a key may open: those whose scope it has. */
function navFor(info: KeyInfo | null) {
  return NAV.filter((item) => item.scope === undefined || keyMay(info, item.scope));
}

function KeySummary({ info }: { info: KeyInfo | null }) {
  if (info === null || info.open) return null;
  return (
    <p class="key-summary muted" data-testid="key-summary">
      Key <strong>{info.name}</strong>: {info.scopes.join(', ')}
    </p>
  );
}

function section(path: string): string {
  if (path.startsWith('/events')) return '/events';
  if (path.startsWith('/status')) return '/status';
  return path;
}

function HealthSummary({ health }: { health: LiveHealth }) {
  const h = health.health;
  const item = (label: string, ok: boolean | undefined) => (
    <li>
      <span class={`dot dot-${ok === undefined ? 'unknown' : ok ? 'connected' : 'disconnected'}`} aria-hidden="true" />
      {label}
      <span class="visually-hidden">: {ok === undefined ? 'unknown' : ok ? 'connected' : 'disconnected'}</span>
    </li>
  );
  return (
    <ul class="health-summary" aria-label="Health">
      {item('Stream', health.error ? false : (h?.bus?.connected ?? h?.nats_connected))}
      {item('Database', health.error ? false : h?.db?.connected)}
    </ul>
  );
}

function View({ route, metrics, health, keyInfo }: { route: Route; metrics: ReturnType<typeof useLiveMetrics>; health: LiveHealth; keyInfo: KeyInfo | null }) {
  const path = route.path;
  if (path !== '/' && !keyMay(keyInfo, 'read')) {
    return (
      <section>
        <h1>Not for this key</h1>
        <p>
          Key {keyInfo?.name} may not read events (its scopes: {keyInfo?.scopes.join(', ')}). <a href={href('/')}>Go to the overview</a>.
        </p>
      </section>
    );
  }
  const detail = /^\/events\/([^/]+)$/.exec(path);
  const canReplay = keyMay(keyInfo, 'replay');
  // Keyed by the id: another event's view starts empty, not with the last one's data, rows and replay.
  if (detail) return <EventDetail key={detail[1]} id={decodeURIComponent(detail[1]!)} canReplay={canReplay} />;
  if (path === '/events') return <Events route={route} canReplay={canReplay} />;
  if (path === '/dead-letters') return <Events route={route} deadLetters canReplay={canReplay} />;
  if (path === '/subscriptions') return <Subscriptions canReplay={canReplay} canChange={keyMay(keyInfo, 'admin')} />;
  const lookup = /^\/status(?:\/([^/]+))?$/.exec(path);
  if (lookup) return <StatusLookup id={lookup[1] ? decodeURIComponent(lookup[1]) : null} />;
  if (path === '/') return <Overview metrics={metrics} health={health} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no view at {path}. <a href={href('/')}>Go to the overview</a>.
      </p>
    </section>
  );
}

export function App() {
  const route = useRoute();
  const metrics = useLiveMetrics();
  const health = useLiveHealth();
  const keyInfo = useKeyInfo();
  const mainRef = useRef<HTMLElement>(null);
  const lastPath = useRef(route.path);

  // After moving to another view, put focus on its heading so reading starts there.
  useEffect(() => {
    if (lastPath.current === route.path) return;
    lastPath.current = route.path;
    const heading = mainRef.current?.querySelector('h1');
    if (heading && !heading.contains(document.activeElement)) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }, [route.path]);

  useShortcuts();

  const current = section(route.path);
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
        Skip to content
      </a>
      <header class="header">
        <a class="brand" href={href('/')}>
          Sluice <span class="muted">console</span>
        </a>
        <nav aria-label="Views">
          <ul class="nav">
            {navFor(keyInfo).map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={current === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <HealthSummary health={health} />
        <KeySummary info={keyInfo} />
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <View route={route} metrics={metrics} health={health} keyInfo={keyInfo} />
      </main>
      <footer class="footer muted">
        Keys: <kbd>/</kbd> filter · <kbd>j</kbd>/<kbd>k</kbd> or arrows move between rows · <kbd>Enter</kbd> open ·{' '}
        <kbd>g</kbd> then <kbd>o</kbd>/<kbd>e</kbd>/<kbd>d</kbd>/<kbd>s</kbd> switch views
      </footer>
      <KeyDialog />
    </>
  );
}

/** `/` focuses the filter or id field; `g` then a letter switches views. */
function useShortcuts(): void {
  useEffect(() => {
    let pendingG = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      if (document.querySelector('dialog[open]')) return;
      if (pendingG) {
        pendingG = false;
        const item = NAV.find((n) => n.key === event.key);
        if (item) {
          event.preventDefault();
          navigate(item.path);
        }
        return;
      }
      if (event.key === 'g') {
        pendingG = true;
        return;
      }
      if (event.key === '/') {
        const field = document.getElementById('filter-type') ?? document.getElementById('lookup-id');
        if (field) {
          event.preventDefault();
          field.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
