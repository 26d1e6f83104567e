// A small line chart of the last minutes, drawn as SVG (no chart library to load).
// The x axis is time: the right edge is the latest reading, the left edge the oldest one
// kept (at most `windowMs` before), so a young history still fills the chart.

export interface ChartPoint {
  at: number;
  value: number | null;
}

interface SparklineProps {
  points: ReadonlyArray<ChartPoint>;
  windowMs: number;
  /** What the chart shows, read out by screen readers with the latest value. */
  label: string;
  width?: number;
  height?: number;
}

export function Sparkline({ points, windowMs, label, width = 240, height = 48 }: SparklineProps) {
  const known = points.filter((p): p is { at: number; value: number } => p.value !== null && Number.isFinite(p.value));
  const max = Math.max(1, ...known.map((p) => p.value));
  const end = points.length ? points[points.length - 1]!.at : 0;
  const span = points.length > 1 ? Math.min(windowMs, end - points[0]!.at) : windowMs;
  const pad = 3;
  const x = (at: number) => width - ((end - at) / span) * width;
  const y = (v: number) => pad + (height - 2 * pad) * (1 - v / max);
  // Gaps (no reading) break the line instead of drawing a false zero.
  const segments: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) {
      if (current.length) segments.push(current);
      current = [];
      continue;
    }
    current.push([x(p.at), y(p.value)]);
  }
  if (current.length) segments.push(current);
  const last = known.length ? known[known.length - 1]!.value : undefined;
  const summary =
    last === undefined ? `${label}: no data yet` : `${label}: latest ${last.toFixed(1)}, peak ${Math.max(...known.map((p) => p.value)).toFixed(1)}`;
  return (
    <svg class="sparkline" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={summary}>
      <title>{summary}</title>
      <line x1="0" x2={width} y1={height - pad} y2={height - pad} class="sparkline-base" />
      {segments.map((segment) => {
        const text = segment.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
        // A lone reading has no line to draw: show it as a short tick.
        if (segment.length === 1) {
          const [px, py] = segment[0]!;
          return <line key={text} x1={Math.max(0, px - 4)} x2={px} y1={py} y2={py} vector-effect="non-scaling-stroke" />;
        }
        return <polyline key={text} points={text} fill="none" vector-effect="non-scaling-stroke" />;
      })}
    </svg>
  );
}
