import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { typePatternProblem, typePatternsRegExp } from '../../envelope/index.js';
import { isScope, SCOPES, type Scope } from './scopes.js';

/** One key of the keys file, as the gateway checks it. The key itself is never held, only its SHA-256. */
export interface ApiKey {
  /** Used in logs and metric labels. */
  readonly name: string;
  /** SHA-256 of the key, 32 bytes. */
  readonly digest: Buffer;
  readonly scopes: ReadonlySet<Scope>;
  /** NATS-style type patterns the key may send; null: any type. */
  readonly types: readonly string[] | null;
  /** `types` as one regular expression; null: any type. */
  readonly typesPattern: RegExp | null;
  /** Requests per second; null: no limit. */
  readonly ratePerSecond: number | null;
  /** Requests the key may make at once after a quiet spell: twice the rate as written (500/s: 1000; 60/m: 120). */
  readonly burst: number | null;
}

/** A mistake in the keys file: the message names the file and the line. */
export class KeysFileError extends Error {
  constructor(readonly fileName: string, readonly line: number, reason: string) {
    super(`${fileName}:${line}: ${reason}`);
    this.name = 'KeysFileError';
  }
}

const KEY_FIELDS = new Set(['name', 'hash', 'scopes', 'types', 'rate']);
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HASH = /^sha256:([0-9a-f]{64})$/;
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/;
const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/**
 * Parses a keys file (YAML, `keys:` with a list of keys; see the README). Throws
 * `KeysFileError` naming the line of the first mistake. Names and hashes must be unique.
 */
export function parseKeysFile(text: string, fileName: string): ApiKey[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number => (node?.range == null ? 1 : lines.linePos(node.range[0]).line);
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new KeysFileError(fileName, lineOf(node), reason);
  };
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) throw new KeysFileError(fileName, lines.linePos(yamlError.pos[0]).line, `not valid YAML: ${yamlError.message.split('\n')[0]}`);

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return fail(root, 'the file is empty; it must hold "keys:" with a list of keys');
  if (!isMap(root)) return fail(root, 'the file must be a mapping with the key "keys"');
  let list: Node | null = null;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'keys') fail(pair.key as Node, `unknown key "${key}" at the top of the file; only "keys" is allowed`);
    list = pair.value as Node | null;
  }
  if (list === null || (isScalar(list) && list.value === null)) return [];
  if (!isSeq(list)) return fail(list, '"keys" must be a list of keys');

  const keys: ApiKey[] = [];
  const names = new Map<string, number>();
  const hashes = new Map<string, string>();
  for (const item of list.items as Node[]) {
    if (!isMap(item)) fail(item, 'each key must be a mapping with name, hash and scopes');
    const fields = new Map<string, Node>();
    for (const pair of (item as import('yaml').YAMLMap).items) {
      const field = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!KEY_FIELDS.has(field)) fail(pair.key as Node, `unknown field "${field}"; a key has name, hash, scopes, types and rate`);
      fields.set(field, pair.value as Node);
    }
    const text = (field: string, what: string): { value: string; node: Node } => {
      const node = fields.get(field);
      if (node === undefined || node === null) return fail(item, `the key has no "${field}" (${what})`);
      if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) return fail(node, `"${field}" must be ${what}`);
      return { value: String(node.value), node };
    };
    const strings = (field: string, what: string): Array<{ value: string; node: Node }> => {
      const node = fields.get(field)!;
      const nodes = isSeq(node) ? (node.items as Node[]) : [node];
      if (nodes.length === 0) fail(node, `"${field}" must list ${what}`);
      return nodes.map((n) => {
        if (!isScalar(n) || typeof n.value !== 'string') return fail(n, `"${field}" must list ${what}`);
        return { value: n.value, node: n };
      });
    };

    const name = text('name', 'a name for logs and metrics, like web-shop');
    if (!NAME.test(name.value)) fail(name.node, `name "${name.value.slice(0, 40)}" must be 1 to 64 letters, digits, ".", "_" or "-"`);
    const firstLine = names.get(name.value);
    if (firstLine !== undefined) fail(name.node, `the name "${name.value}" is already used on line ${firstLine}`);
    names.set(name.value, lineOf(name.node));

    const hash = text('hash', 'sha256: and the key\'s SHA-256 in hex, as `sluice keys new` prints it');
    const hex = HASH.exec(hash.value.trim().toLowerCase())?.[1];
    if (hex === undefined) fail(hash.node, `"hash" must be sha256: and 64 hex digits, as \`sluice keys new\` prints it (the file holds hashes, never keys)`);
    const sameHash = hashes.get(hex!);
    if (sameHash !== undefined) fail(hash.node, `key ${name.value} has the same hash as key ${sameHash}`);
    hashes.set(hex!, name.value);

    if (!fields.has('scopes')) fail(item, `key ${name.value} has no "scopes" (any of ${SCOPES.join(', ')})`);
    const scopes = new Set<Scope>();
    for (const s of strings('scopes', `scopes (any of ${SCOPES.join(', ')})`)) {
      if (!isScope(s.value)) fail(s.node, `"${s.value.slice(0, 40)}" is not a scope; use ${SCOPES.join(', ')}`);
      scopes.add(s.value as Scope);
    }

    let types: string[] | null = null;
    if (fields.has('types')) {
      types = strings('types', 'event type patterns like order.* or cart.>').map((t) => {
        const problem = typePatternProblem(t.value);
        if (problem !== null) fail(t.node, problem);
        return t.value;
      });
    }

    let ratePerSecond: number | null = null;
    let burst: number | null = null;
    if (fields.has('rate')) {
      const rate = text('rate', 'requests per time, like 500/s or 60/m');
      const match = RATE.exec(rate.value.trim());
      const perSecond = match === null ? NaN : Number(match[1]) / SECONDS_PER_UNIT[match[2]!]!;
      if (!(perSecond > 0)) fail(rate.node, `rate "${rate.value.slice(0, 40)}" must be a positive number of requests per s, m or h, like 500/s`);
      ratePerSecond = perSecond;
      burst = Math.max(1, 2 * Number(match![1]));
    }

    keys.push({ name: name.value, digest: Buffer.from(hex!, 'hex'), scopes, types, typesPattern: types === null ? null : typePatternsRegExp(types), ratePerSecond, burst });
  }
  return keys;
}
