// Live figures from /metrics: events in and out per second, consumer lag, dead letters,
// with charts of the last minutes; and the stream's and the database's health.

import { Sparkline, type ChartPoint } from '../components/sparkline.js';
import { formatCount, formatRate } from '../format.js';
import { METRICS_WINDOW_MS, type LiveHealth, type LiveMetrics } from '../live-data.js';
import type { RatePoint } from '../metrics.js';
import { href } from '../router.js';
import { HealthPanel } from './health-panel.js';

interface OverviewProps {
  metrics: LiveMetrics;
  health: LiveHealth;
}

interface Tile {
  id: string;
  label: string;
  unit: string;
  value: string;
  series: ChartPoint[];
  link?: string;
}

export function Overview({ metrics, health }: OverviewProps) {
  const { points, latest } = metrics;
  const last: RatePoint | undefined = points[points.length - 1];
  const series = (pick: (p: RatePoint) => number | null) => points.map((p) => ({ at: p.at, value: pick(p) }));
  const tiles: Tile[] = [
    { id: 'in', label: 'Events in', unit: '/s', value: formatRate(last?.inPerSec), series: series((p) => p.inPerSec) },
    { id: 'out', label: 'Events persisted', unit: '/s', value: formatRate(last?.outPerSec), series: series((p) => p.outPerSec) },
    { id: 'failed', label: 'Events failed', unit: '/s', value: formatRate(last?.failedPerSec), series: series((p) => p.failedPerSec) },
    { id: 'lag', label: 'Consumer lag', unit: 'msgs', value: formatCount(last?.lag), series: series((p) => p.lag) },
    {
      id: 'dlq',
      label: 'Dead letters',
      unit: 'total',
      value: formatCount(latest?.deadLetters),
      series: series((p) => p.deadLetters),
      link: href('/dead-letters'),
    },
  ];
  const minutes = Math.round(METRICS_WINDOW_MS / 60_000);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {metrics.error && (
        <p class="notice notice-error" role="alert">
          Metrics unavailable: {metrics.error}
        </p>
      )}
      <ul class="tiles" aria-label={`Live figures, charts of the last ${minutes} minutes`}>
        {tiles.map((tile) => (
          <li class="tile" key={tile.id} data-metric={tile.id}>
            <h2 class="tile-label">
              {tile.link ? <a href={tile.link}>{tile.label}</a> : tile.label}
            </h2>
            <p class="tile-value">
              <span data-testid={`metric-${tile.id}`}>{tile.value}</span> <span class="tile-unit">{tile.unit}</span>
            </p>
            <Sparkline points={tile.series} windowMs={METRICS_WINDOW_MS} label={`${tile.label} over the last ${minutes} minutes`} />
          </li>
        ))}
      </ul>
      <div class="columns">
        <section class="panel" aria-labelledby="lag-title">
          <h2 id="lag-title">Consumer lag</h2>
          {latest && latest.consumers.length > 0 ? (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Stream</th>
                    <th scope="col">Consumer</th>
                    <th scope="col" class="num">Pending</th>
                    <th scope="col" class="num">Awaiting ack</th>
                  </tr>
                </thead>
                <tbody>
                  {latest.consumers.map((c) => (
                    <tr key={`${c.stream}/${c.consumer}`}>
                      <td>{c.stream}</td>
                      <td>{c.consumer}</td>
                      <td class="num">{formatCount(c.pending)}</td>
                      <td class="num">{formatCount(c.ackPending)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="muted">
              {latest ? 'This process reports no consumers (workers may run elsewhere).' : 'Waiting for the first reading…'}
            </p>
          )}
        </section>
        <HealthPanel health={health} />
      </div>
    </section>
  );
}
