/**
 * Does `doc` contain `pattern`, as PostgreSQL's `jsonb @>` decides? Objects contain the
 * pattern's keys with contained values, arrays contain each of the pattern's elements
 * somewhere, scalars are equal (a top-level array also contains a bare scalar).
 */
export function jsonContains(doc: unknown, pattern: unknown, top = true): boolean {
  if (Array.isArray(pattern)) {
    if (!Array.isArray(doc)) return false;
    return pattern.every((p) => doc.some((d) => jsonContains(d, p, false)));
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
    const d = doc as Record<string, unknown>;
    return Object.entries(pattern as Record<string, unknown>).every(([key, value]) => Object.hasOwn(d, key) && jsonContains(d[key], value, false));
  }
  if (top && Array.isArray(doc)) return doc.some((d) => jsonContains(d, pattern, false));
  return doc === pattern;
}
