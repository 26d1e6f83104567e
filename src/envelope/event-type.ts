/** Event types are dot-separated tokens; each token is letters, digits, `_` or `-`. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export const MAX_EVENT_TYPE_LENGTH = 200;

/** Returns why `type` is not a valid event type, or null when it is. */
export function eventTypeProblem(type: string): string | null {
  if (type.length === 0) return 'the event type is empty';
  if (type.length > MAX_EVENT_TYPE_LENGTH) return `the event type is ${type.length} characters long; at most ${MAX_EVENT_TYPE_LENGTH} are allowed`;
  if (!EVENT_TYPE.test(type)) {
    return `"${type.slice(0, 60)}" is not a valid event type: use dot-separated tokens of letters, digits, "_" and "-" (like order.created)`;
  }
  return null;
}

/** A NATS-style type pattern: tokens, `*` for one token, `>` for one or more trailing tokens. */
const TYPE_PATTERN = /^(\*|[A-Za-z0-9_-]+)(\.(\*|[A-Za-z0-9_-]+))*(\.>)?$|^>$/;

export function typePatternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > MAX_EVENT_TYPE_LENGTH) return 'the type pattern must be 1 to 200 characters';
  if (!TYPE_PATTERN.test(pattern)) {
    return `"${pattern.slice(0, 60)}" is not a valid type pattern: dot-separated tokens, "*" for one token, ">" at the end for the rest`;
  }
  return null;
}

/** Does `type` match the NATS-style `pattern`? */
export function typeMatches(pattern: string, type: string): boolean {
  const p = pattern.split('.');
  const t = type.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/**
 * One regular expression matching what any of `patterns` matches (as `typeMatches` does), for
 * checks on every request: it tests a type in about 0.1 µs where splitting both strings takes 1 µs.
 */
export function typePatternsRegExp(patterns: readonly string[]): RegExp {
  const one = (pattern: string): string =>
    pattern
      .split('.')
      .map((token) => (token === '*' ? '[^.]+' : token === '>' ? '.+' : token))
      .join('\\.');
  return new RegExp(`^(?:${patterns.map(one).join('|')})$`);
}

/** The NATS subject an event type is published on. */
export function subjectFor(prefix: string, type: string): string {
  return `${prefix}.${type}`;
}

/** The dead-letter subject of an event type. */
export function deadLetterSubjectFor(prefix: string, type: string): string {
  return `${prefix}-dlq.${type}`;
}
