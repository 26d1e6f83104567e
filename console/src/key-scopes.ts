// Which scope a view or button needs, decided from the key's scopes (GET /auth/key).

export type Scope = 'ingest' | 'read' | 'replay' | 'admin';

/** May a key with these scopes use `scope`? Unknown (null: not answered yet, or failed) says yes. */
export function keyMay(info: { scopes: readonly Scope[] } | null, scope: Scope): boolean {
  return info === null || info.scopes.includes(scope);
}
