import { UsageError } from './client-args.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Reads a `--since`/`--until` value: an RFC 3339 time (or any date `Date` reads, such as
 * `2026-01-31`), `now`, or a duration back from now (`90s`, `15m`, `2h`, `7d`).
 * Returns the time as RFC 3339 in UTC.
 */
export function parseTimeArg(name: string, text: string, now: number = Date.now()): string {
  const value = text.trim();
  if (value === 'now') return new Date(now).toISOString();
  const relative = /^(\d+)(ms|s|m|h|d|w)$/.exec(value);
  if (relative !== null) return new Date(now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return new Date(at).toISOString();
  }
  throw new UsageError(`--${name} takes a time (2026-01-31T12:00:00Z) or a duration back from now (15m, 2h, 7d), not "${text}"`);
}
