// A small line chart of the last minutes, drawn as SVG (no chart library to load).

interface SparklineProps {
  values: ReadonlyArray<number | null>;
  /** What the chart shows, read out by screen readers with the latest value. */
  label: string;
  width?: number;
  height?: number;
}

export function Sparkline({ values, label, width = 240, height = 48 }: SparklineProps) {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(1, ...known);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const pad = 2;
  const y = (v: number) => pad + (height - 2 * pad) * (1 - v / max);
  // Gaps (no reading) break the line instead of drawing a false zero.
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (current.length) segments.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${(i * step).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(' '));
  const last = known.length ? known[known.length - 1] : undefined;
  const summary = last === undefined ? `${label}: no data yet` : `${label}: latest ${last.toFixed(1)}, peak ${Math.max(...known).toFixed(1)}`;
  return (
    <svg class="sparkline" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={summary}>
      <title>{summary}</title>
      <line x1="0" x2={width} y1={height - pad} y2={height - pad} class="sparkline-base" />
      {segments.map((points) => (
        <polyline key={points} points={points} fill="none" vector-effect="non-scaling-stroke" />
      ))}
    </svg>
  );
}
