// Where the deployment files are, and how they are read. Parsing is strict: a file that
// does not parse fails the test that reads it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const deployDir = join(repoRoot, 'deploy');
export const k8sDir = join(deployDir, 'k8s');

/** The `sluice` sub-commands of SPEC.md ("Processes and commands"). */
export const SLUICE_COMMANDS: readonly string[] = Object.freeze([
  'dev', 'gateway', 'worker', 'migrate', 'send', 'status', 'events', 'replay', 'tail', 'entities',
]);

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}

/** Every document of a YAML text (multi-document aware); throws on the first YAML error. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, { merge: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const values: unknown[] = [];
  for (const doc of list) {
    const problem = doc.errors[0];
    if (problem !== undefined) throw new Error(`${source}: ${problem.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** The YAML files of a folder (not recursive), relative to it. */
export function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
}

export function relativeToRepo(path: string): string {
  return relative(repoRoot, path);
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A deep copy, for tests that break a file on purpose. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** `nats:2.11-alpine` → [2, 11]; null when the tag names no version. */
export function imageVersion(image: string): [number, number] | null {
  const match = /:(\d+)\.(\d+)/.exec(image) ?? /:(\d+)(?:[-.]|$)/.exec(image);
  if (match === null) return null;
  return [Number(match[1]), Number(match[2] ?? 0)];
}

export function atLeast(version: [number, number] | null, major: number, minor: number): boolean {
  return version !== null && (version[0] > major || (version[0] === major && version[1] >= minor));
}
