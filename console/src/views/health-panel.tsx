// The stream's and the database's health from GET /health.

import type { LiveHealth } from '../live-data.js';

function Part({ name, kind, connected }: { name: string; kind?: string; connected?: boolean }) {
  const state = connected === undefined ? 'unknown' : connected ? 'connected' : 'disconnected';
  return (
    <div class="health-row">
      <dt>{name}</dt>
      <dd>
        <span class={`dot dot-${state}`} aria-hidden="true" />
        {state}
        {kind ? <span class="muted"> ({kind})</span> : null}
      </dd>
    </div>
  );
}

export function HealthPanel({ health }: { health: LiveHealth }) {
  const h = health.health;
  return (
    <section class="panel" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      {health.error ? (
        <p class="notice notice-error" role="alert">
          Gateway unreachable: {health.error}
        </p>
      ) : !h ? (
        <p class="muted">Checking…</p>
      ) : (
        <dl class="health">
          <div class="health-row">
            <dt>Gateway</dt>
            <dd>
              <span class={`dot dot-${h.status === 'ok' ? 'connected' : 'disconnected'}`} aria-hidden="true" />
              {h.status}
              {h.version ? <span class="muted"> (v{h.version})</span> : null}
            </dd>
          </div>
          <Part name="Stream" kind={h.bus?.kind} connected={h.bus?.connected ?? h.nats_connected} />
          <Part name="Database" kind={h.db?.kind} connected={h.db?.connected} />
        </dl>
      )}
    </section>
  );
}
