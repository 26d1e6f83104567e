/**
 * Event times (`time`, `ce-time`) as RFC 3339 states them and as the archive's timestamptz
 * column can hold them. A time travels in UTC, to the millisecond (`toISOString`): that form
 * is what PostgreSQL reads, so its year must stay within 0001–9999 after the offset is
 * applied. Measured on PostgreSQL 15 and PGlite: `0000-12-31T23:30:00.000Z` is "date/time
 * field value out of range", `+010000-01-01T00:30:00.000Z` "time zone displacement out of range".
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** Why `text` is not an event time Sluice can store, or null. */
export function eventTimeProblem(text: string): string | null {
  const shown = `time "${text.slice(0, 40)}"`;
  const m = RFC3339.exec(text);
  if (m === null) return `${shown} is not an RFC 3339 timestamp (like 2026-01-31T12:00:00Z)`;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `${shown} has no month ${m[2]}`;
  if (day < 1 || day > daysIn(year, month)) return `${shown}: ${m[1]}-${m[2]} has no day ${m[3]}`;
  if (hour > 23 || minute > 59) return `${shown} is not a time of day (hours 00-23, minutes 00-59)`;
  if (second === 60) return `${shown} is a leap second, which Sluice cannot store as sent (PostgreSQL and JavaScript fold it into the next minute); send :59.999 or the next minute`;
  if (second > 59) return `${shown} has seconds beyond 59`;
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return `${shown} has an offset beyond ±23:59`;
  const instant = Date.parse(text);
  if (Number.isNaN(instant)) return `${shown} is not an RFC 3339 timestamp (like 2026-01-31T12:00:00Z)`;
  if (instant < EARLIEST || instant > LATEST) {
    return `${shown} is ${new Date(instant).toISOString()} in UTC, outside the years 0001-9999 that Sluice stores (PostgreSQL reads no year 0 or beyond 9999 in this form)`;
  }
  return null;
}

/** The time as Sluice carries it: UTC, milliseconds. Call after `eventTimeProblem` found nothing. */
export function eventTimeUtc(text: string): string {
  return new Date(text).toISOString();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
