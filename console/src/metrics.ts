// Reading Sluice's Prometheus metrics in the browser: parsing the text format, summing the
// counters the console shows, and turning successive scrapes into rates.
// Pure logic, no DOM: the tests import it directly.

/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Lag of one durable consumer, from the two JetStream gauges. */
export interface ConsumerLag {
  stream: string;
  consumer: string;
  /** Messages not yet delivered (`num_pending`). */
  pending: number;
  /** Messages delivered but not yet acknowledged (`num_ack_pending`). */
  ackPending: number;
}

/** What the console needs from one scrape; `null` where the process did not report it. */
export interface Snapshot {
  /** Milliseconds since the epoch when the scrape finished. */
  at: number;
  accepted: number | null;
  persisted: number | null;
  failed: number | null;
  deadLetters: number | null;
  consumers: ConsumerLag[];
}

/** Rates between two snapshots, per second, plus the gauges of the later one. */
export interface RatePoint {
  at: number;
  inPerSec: number | null;
  outPerSec: number | null;
  failedPerSec: number | null;
  /** Pending plus ack-pending over all consumers. */
  lag: number | null;
  deadLetters: number | null;
}

const SAMPLE_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Parses Prometheus text exposition format; malformed lines are skipped, not fatal. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string): Sample | null {
  const nameMatch = SAMPLE_NAME.exec(line);
  if (!nameMatch) return null;
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return null;
    Object.assign(labels, parsed.labels);
    rest = rest.slice(parsed.length);
  }
  // The value is the first field after the labels; an optional timestamp may follow.
  const valueText = rest.trim().split(/\s+/)[0];
  if (valueText === undefined || valueText === '') return null;
  const value = parseValue(valueText);
  if (value === null) return null;
  return { name, labels, value };
}

function parseValue(text: string): number | null {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

/** Parses `{a="x",b="y"}` at the start of `text`; returns the labels and the characters used. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | null {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const keyMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!keyMatch) return null;
    const key = keyMatch[0];
    i += key.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') return null;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') return null;
    i++;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return null;
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    labels[key] = value;
  }
}

/** Sums every sample of a metric over all label sets; `null` when the metric is absent. */
export function sumMetric(samples: readonly Sample[], name: string): number | null {
  let total: number | null = null;
  for (const sample of samples) {
    if (sample.name === name && Number.isFinite(sample.value)) total = (total ?? 0) + sample.value;
  }
  return total;
}

/** Joins the two JetStream consumer gauges into one row per stream and consumer. */
export function consumerLags(samples: readonly Sample[]): ConsumerLag[] {
  const byKey = new Map<string, ConsumerLag>();
  const row = (labels: Record<string, string>): ConsumerLag => {
    const stream = labels.stream ?? '';
    const consumer = labels.consumer ?? '';
    const key = `${stream}\u0000${consumer}`;
    let found = byKey.get(key);
    if (!found) {
      found = { stream, consumer, pending: 0, ackPending: 0 };
      byKey.set(key, found);
    }
    return found;
  };
  for (const sample of samples) {
    if (sample.name === 'sluice_consumer_pending_messages') row(sample.labels).pending = sample.value;
    else if (sample.name === 'sluice_consumer_ack_pending_messages') row(sample.labels).ackPending = sample.value;
  }
  return [...byKey.values()].sort((a, b) => a.stream.localeCompare(b.stream) || a.consumer.localeCompare(b.consumer));
}

/** Reduces one scrape to the figures the console shows. */
export function summarize(samples: readonly Sample[], at: number): Snapshot {
  return {
    at,
    accepted: sumMetric(samples, 'sluice_events_accepted_total'),
    persisted: sumMetric(samples, 'sluice_events_persisted_total'),
    failed: sumMetric(samples, 'sluice_events_failed_total'),
    deadLetters: sumMetric(samples, 'sluice_dead_letters_total'),
    consumers: consumerLags(samples),
  };
}

/**
 * Per-second rate of a counter between two readings. A counter that went down was reset
 * (the process restarted), so everything counted since the reset is the increase.
 */
export function counterRate(previous: number | null, next: number | null, seconds: number): number | null {
  if (previous === null || next === null || seconds <= 0) return null;
  const increase = next >= previous ? next - previous : next;
  return increase / seconds;
}

/** The rates between two successive snapshots. */
export function ratePoint(previous: Snapshot, next: Snapshot): RatePoint {
  const seconds = (next.at - previous.at) / 1000;
  return {
    at: next.at,
    inPerSec: counterRate(previous.accepted, next.accepted, seconds),
    outPerSec: counterRate(previous.persisted, next.persisted, seconds),
    failedPerSec: counterRate(previous.failed, next.failed, seconds),
    lag: next.consumers.length === 0 ? null : next.consumers.reduce((sum, c) => sum + c.pending + c.ackPending, 0),
    deadLetters: next.deadLetters,
  };
}

/** A bounded window of rate points built from successive snapshots. */
export class MetricsHistory {
  private previous: Snapshot | null = null;
  private readonly pointList: RatePoint[] = [];

  /** @param windowMs how far back points are kept. */
  constructor(private readonly windowMs: number) {}

  /** Adds a scrape; returns the new point, or null for the first scrape (no rate yet). */
  push(snapshot: Snapshot): RatePoint | null {
    const previous = this.previous;
    this.previous = snapshot;
    if (!previous || snapshot.at <= previous.at) return null;
    const point = ratePoint(previous, snapshot);
    this.pointList.push(point);
    const oldest = snapshot.at - this.windowMs;
    while (this.pointList.length > 0 && this.pointList[0]!.at < oldest) this.pointList.shift();
    return point;
  }

  get latest(): Snapshot | null {
    return this.previous;
  }

  get points(): readonly RatePoint[] {
    return this.pointList;
  }
}
