/** What a key may do. `ingest`: send events; `read`: look up and list; `replay`: POST /replay…; `admin`: subscriptions and anything unlisted. */
export const SCOPES = ['ingest', 'read', 'replay', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
