import { parseDuration } from '../config/index.js';
import { typePatternProblem } from '../envelope/index.js';
import { SubscriptionInputError } from './errors.js';
import { SUBSCRIPTION_DEFAULTS, type SubscriptionInput, type SubscriptionPatch } from './model.js';
import { secretProblem } from './secret.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const INPUT_FIELDS = ['name', 'types', 'url', 'secret', 'filter', 'max_attempts', 'timeout', 'max_in_flight', 'ordered', 'paused'];
const PATCH_FIELDS = ['types', 'url', 'filter', 'max_attempts', 'timeout', 'max_in_flight', 'ordered', 'paused'];
const LIMITS = {
  max_attempts: [1, 100],
  max_in_flight: [1, 1000],
  timeout: [100, 300_000],
} as const;

type Raw = Record<string, unknown>;

function asObject(value: unknown, what: string): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SubscriptionInputError('', `${what} must be an object`);
  return value as Raw;
}

function refuseUnknown(raw: Raw, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new SubscriptionInputError(key, `unknown field; use ${allowed.join(', ')}`);
  }
}

/** Checks a subscription name (used in paths, metric labels and consumer names). */
export function subscriptionNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || !NAME.test(name)) return 'must be 1 to 63 letters, digits, "_" or "-", starting with a letter or digit';
  return null;
}

function types(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new SubscriptionInputError('types', 'must be a non-empty list of event types or patterns (like ["order.*"])');
  for (const pattern of value) {
    if (typeof pattern !== 'string') throw new SubscriptionInputError('types', 'each entry must be a string');
    const problem = typePatternProblem(pattern);
    if (problem !== null) throw new SubscriptionInputError('types', problem);
  }
  return [...new Set(value as string[])];
}

function url(value: unknown): string {
  if (typeof value !== 'string') throw new SubscriptionInputError('url', 'must be an http:// or https:// URL');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SubscriptionInputError('url', `"${value.slice(0, 80)}" is not a URL; use http:// or https://`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SubscriptionInputError('url', 'must use http:// or https://');
  if (value.length > 2000) throw new SubscriptionInputError('url', 'must be at most 2000 characters');
  return parsed.toString();
}

function filter(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') throw new SubscriptionInputError('filter', 'must be a JSON object (or array) the event data must contain, like {"status": "paid"}');
  return value;
}

function integer(field: 'max_attempts' | 'max_in_flight', value: unknown): number {
  const [min, max] = LIMITS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new SubscriptionInputError(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

/** `"10s"`, `"500ms"`, or a number of seconds → milliseconds. */
function timeout(value: unknown): number {
  const [min, max] = LIMITS.timeout;
  const ms = typeof value === 'number' ? Math.round(value * 1000) : typeof value === 'string' ? parseDuration(value) : null;
  if (ms === null || !Number.isFinite(ms) || ms < min || ms > max) throw new SubscriptionInputError('timeout', `must be a duration from 100ms to 5m (like "10s"), or a number of seconds`);
  return ms;
}

function flag(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new SubscriptionInputError(field, 'must be true or false');
  return value;
}

/** Reads a subscription from its declared form (snake_case fields, as in the file and the API). */
export function parseSubscriptionInput(value: unknown): SubscriptionInput {
  const raw = asObject(value, 'a subscription');
  refuseUnknown(raw, INPUT_FIELDS);
  const nameProblem = subscriptionNameProblem(raw.name);
  if (nameProblem !== null) throw new SubscriptionInputError('name', nameProblem);
  if (raw.types === undefined) throw new SubscriptionInputError('types', 'is required');
  if (raw.url === undefined) throw new SubscriptionInputError('url', 'is required');
  let secret: string | undefined;
  if (raw.secret !== undefined && raw.secret !== null) {
    if (typeof raw.secret !== 'string') throw new SubscriptionInputError('secret', 'must be a string');
    const problem = secretProblem(raw.secret);
    if (problem !== null) throw new SubscriptionInputError('secret', problem);
    secret = raw.secret;
  }
  return {
    name: raw.name as string,
    types: types(raw.types),
    url: url(raw.url),
    filter: filter(raw.filter),
    maxAttempts: raw.max_attempts === undefined ? SUBSCRIPTION_DEFAULTS.maxAttempts : integer('max_attempts', raw.max_attempts),
    timeoutMs: raw.timeout === undefined ? SUBSCRIPTION_DEFAULTS.timeoutMs : timeout(raw.timeout),
    maxInFlight: raw.max_in_flight === undefined ? SUBSCRIPTION_DEFAULTS.maxInFlight : integer('max_in_flight', raw.max_in_flight),
    ordered: raw.ordered === undefined ? SUBSCRIPTION_DEFAULTS.ordered : flag('ordered', raw.ordered),
    paused: raw.paused === undefined ? SUBSCRIPTION_DEFAULTS.paused : flag('paused', raw.paused),
    ...(secret !== undefined ? { secret } : {}),
  };
}

/** Reads the body of `PATCH /subscriptions/{name}`. */
export function parseSubscriptionPatch(value: unknown): SubscriptionPatch {
  const raw = asObject(value, 'the body');
  refuseUnknown(raw, PATCH_FIELDS);
  if (Object.keys(raw).length === 0) throw new SubscriptionInputError('', `the body is empty; send one or more of ${PATCH_FIELDS.join(', ')}`);
  return {
    ...(raw.types !== undefined ? { types: types(raw.types) } : {}),
    ...(raw.url !== undefined ? { url: url(raw.url) } : {}),
    ...(Object.hasOwn(raw, 'filter') ? { filter: filter(raw.filter) } : {}),
    ...(raw.max_attempts !== undefined ? { maxAttempts: integer('max_attempts', raw.max_attempts) } : {}),
    ...(raw.timeout !== undefined ? { timeoutMs: timeout(raw.timeout) } : {}),
    ...(raw.max_in_flight !== undefined ? { maxInFlight: integer('max_in_flight', raw.max_in_flight) } : {}),
    ...(raw.ordered !== undefined ? { ordered: flag('ordered', raw.ordered) } : {}),
    ...(raw.paused !== undefined ? { paused: flag('paused', raw.paused) } : {}),
  };
}

/** A duration as the API shows it: `"10s"`, `"1500ms"`. */
export function formatTimeout(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
