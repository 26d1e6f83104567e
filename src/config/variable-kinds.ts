import { parseDuration, parseInteger, parseSize } from './units.js';

/**
 * One environment variable: its default as a user would write it, a one-line doc, and how its
 * text becomes a value. The loader, `sluice --help`, the README table and `.env.example` all
 * come from these declarations (src/config/variables.ts).
 */
export interface Variable<T> {
  /** The default in the variable's own syntax; null: none (`unset` says what that means). */
  readonly default: string | null;
  /** What leaving it unset means when there is no default text to show. */
  readonly unset?: string;
  /** One line for `sluice --help`, the README and `.env.example`. */
  readonly doc: string;
  /** The value of the trimmed text (the default's when unset; null when unset without one). Throws VariableProblem. */
  read(text: string | null): T;
}

/** What is wrong with a variable's text; the loader names the variable (ConfigError). */
export class VariableProblem extends Error {}

type Check = (text: string) => string | null;

const DURATION_HELP = 'use a number with ms, s, m, h, d or w (like 30s, 24h, 7d)';
const SIZE_HELP = 'use bytes or a number with KB, MB, GB (10^3...) or KiB, MiB, GiB (2^10...)';

function durationOf(text: string): number {
  const value = parseDuration(text);
  if (value === null || value <= 0) throw new VariableProblem(`"${text}" is not a duration; ${DURATION_HELP}`);
  return value;
}

function sizeOf(text: string): number {
  const value = parseSize(text);
  if (value === null || value <= 0) throw new VariableProblem(`"${text}" is not a size; ${SIZE_HELP}`);
  return value;
}

function integerOf(text: string, min: number, max: number): number {
  const value = parseInteger(text, min, max);
  if (value === null) throw new VariableProblem(`"${text}" is not a whole number from ${min} to ${max}`);
  return value;
}

function checked(text: string, check: Check | undefined): string {
  const problem = check?.(text) ?? null;
  if (problem !== null) throw new VariableProblem(problem);
  return text;
}

/** Text with a default. */
export function text(spec: { default: string; doc: string; check?: Check }): Variable<string> {
  return { default: spec.default, doc: spec.doc, read: (t) => checked(t ?? spec.default, spec.check) };
}

/** Text that may be unset (undefined). */
export function optionalText(spec: { doc: string; unset?: string; check?: Check }): Variable<string | undefined> {
  return { default: null, ...(spec.unset !== undefined ? { unset: spec.unset } : {}), doc: spec.doc, read: (t) => (t === null ? undefined : checked(t, spec.check)) };
}

/** One of a few words. */
export function choice<C extends string>(spec: { default: C; choices: readonly C[]; doc: string; problem: (text: string) => string }): Variable<C> {
  return {
    default: spec.default,
    doc: spec.doc,
    read: (t) => {
      const value = t ?? spec.default;
      if (!(spec.choices as readonly string[]).includes(value)) throw new VariableProblem(spec.problem(value));
      return value as C;
    },
  };
}

/** A whole number within bounds. */
export function integer(spec: { default: string; min: number; max: number; doc: string }): Variable<number> {
  return { default: spec.default, doc: spec.doc, read: (t) => integerOf(t ?? spec.default, spec.min, spec.max) };
}

/** A whole number within bounds, or null when unset. */
export function optionalInteger(spec: { min: number; max: number; doc: string; unset?: string }): Variable<number | null> {
  return { default: null, ...(spec.unset !== undefined ? { unset: spec.unset } : {}), doc: spec.doc, read: (t) => (t === null ? null : integerOf(t, spec.min, spec.max)) };
}

/** A duration (`30s`, `7d`) in milliseconds. */
export function duration(spec: { default: string; doc: string; max?: { ms: number; why: string } }): Variable<number> {
  return {
    default: spec.default,
    doc: spec.doc,
    read: (t) => {
      const value = durationOf(t ?? spec.default);
      if (spec.max !== undefined && value > spec.max.ms) throw new VariableProblem(`"${t}" is longer than ${spec.max.ms} ms, the most it can be: ${spec.max.why}`);
      return value;
    },
  };
}

/** A duration in milliseconds, or null when unset. */
export function optionalDuration(spec: { doc: string; unset: string }): Variable<number | null> {
  return { default: null, unset: spec.unset, doc: spec.doc, read: (t) => (t === null ? null : durationOf(t)) };
}

/** A size (`1MiB`, `512KB`) in bytes. */
export function size(spec: { default: string; doc: string }): Variable<number> {
  return { default: spec.default, doc: spec.doc, read: (t) => sizeOf(t ?? spec.default) };
}

/** A count or a size, or `unlimited` (-1). */
export function limit(spec: { of: 'count' | 'size'; doc: string }): Variable<number> {
  return {
    default: 'unlimited',
    doc: spec.doc,
    read: (t) => {
      if (t === null || t === 'unlimited') return -1;
      return spec.of === 'size' ? sizeOf(t) : integerOf(t, 1, Number.MAX_SAFE_INTEGER);
    },
  };
}

/** A comma-separated list (blank entries dropped); empty when unset. */
export function list(spec: { doc: string; unset: string; check?: Check }): Variable<string[]> {
  return {
    default: null,
    unset: spec.unset,
    doc: spec.doc,
    read: (t) => (t ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0).map((item) => checked(item, spec.check)),
  };
}

/** A comma-separated list, or null when unset (unset means something else than empty). */
export function optionalList(spec: { doc: string; unset: string; check?: Check }): Variable<string[] | null> {
  const items = list(spec);
  return { ...items, read: (t) => (t === null ? null : items.read(t)) };
}
