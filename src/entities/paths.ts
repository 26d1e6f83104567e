/** A dotted path (`customer.address.city`) as its steps; a step of digits also indexes an array. */
export function parsePath(text: string): string[] {
  return text.split('.');
}

/** The value at `path` in `value`, or undefined when any step is missing. */
export function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) current = /^\d+$/.test(step) ? current[Number(step)] : undefined;
    else current = Object.hasOwn(current, step) ? (current as Record<string, unknown>)[step] : undefined;
  }
  return current;
}

/** Why a path text is not usable, or null: steps are non-empty and contain no spaces. */
export function pathProblem(text: string): string | null {
  if (text === '' || text.split('.').some((s) => s === '' || /\s/.test(s))) {
    return `path ${JSON.stringify(text)} is not a dotted path; write steps separated by ".", like customer.id`;
  }
  return null;
}
