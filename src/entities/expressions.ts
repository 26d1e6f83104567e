import jsonata from 'jsonata';
import type { EventAttributes } from './model.js';

/** A compiled JSONata expression with the event's attributes bound as `$id`, `$type`, `$source`, `$time`, `$index`, `$data`. */
export interface Expression {
  readonly text: string;
  evaluate(input: unknown, event: EventAttributes, index: number | undefined, data: unknown): Promise<unknown>;
}

/** Why `text` is not a JSONata expression (with the position), or null. */
export function expressionProblem(text: string): string | null {
  try {
    jsonata(text);
    return null;
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return `${e.message ?? String(error)}${typeof e.position === 'number' ? ` (at character ${e.position})` : ''}`;
  }
}

/**
 * Compiles an expression once; each evaluation then costs about 6 µs for `$round(total * 100)`
 * on this machine (BENCHMARKS.md has the per-event figures).
 */
export function compileExpression(text: string): Expression {
  const compiled = jsonata(text);
  return {
    text,
    async evaluate(input, event, index, data) {
      const result: unknown = await compiled.evaluate(input, { id: event.id, type: event.type, source: event.source, time: event.time, index, data });
      return normalize(result);
    },
  };
}

/** JSONata returns sequences as arrays with a marker, and `undefined` for nothing; plain JSON values only. */
function normalize(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return undefined;
  if (Array.isArray(value)) return Array.from(value, normalize);
  return value;
}
