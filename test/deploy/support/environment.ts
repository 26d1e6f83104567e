// The bridge between deployment files and Sluice's own configuration reader.
import { VARIABLES, loadConfig } from '../../../src/config/index.js';
import type { SluiceConfig } from '../../../src/config/index.js';

/** Names that Sluice does not read: a typo, or a variable that was never implemented. */
export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((name) => !Object.hasOwn(VARIABLES, name));
}

/** Sluice's own reading of an environment, or the ConfigError's message. */
export function readConfig(env: Record<string, string>): SluiceConfig | string {
  try {
    return loadConfig(env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Compose-style interpolation: `${VAR:-default}`, `${VAR-default}`, `${VAR}` (unset: empty). */
export function interpolate(text: string, env: Readonly<Record<string, string>> = {}): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_all, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '');
}

/** `nats://host:4222` → { host, port }. */
export function natsServer(url: string): { host: string; port: number } {
  const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  return { host: parsed.hostname, port: parsed.port === '' ? 4222 : Number(parsed.port) };
}
