import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Node } from 'yaml';
import { SubscriptionFileError, SubscriptionInputError } from './errors.js';
import type { SubscriptionInput } from './model.js';
import { parseSubscriptionInput } from './validate.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the subscription file; throws `SubscriptionFileError` (`FILE:LINE: reason`) on the first mistake. */
export async function loadSubscriptionFile(path: string, env: Env): Promise<SubscriptionInput[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new SubscriptionFileError(path, 0, code === 'ENOENT' ? 'the subscription file does not exist' : `cannot read it (${(error as Error).message})`, { cause: error });
  }
  return parseSubscriptionFile(text, path, env);
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Parses the text of a subscription file (YAML: `subscriptions:` and a list). `${NAME}` in a
 * value is replaced by that environment variable (secrets stay out of the file); a reference
 * to an unset variable is a mistake, named with its line.
 */
export function parseSubscriptionFile(text: string, fileName: string, env: Env): SubscriptionInput[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined): number => (node?.range === undefined || node.range === null ? 0 : lines.linePos(node.range[0]).line);
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new SubscriptionFileError(fileName, lineOf(node), reason);
  };
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) throw new SubscriptionFileError(fileName, lines.linePos(yamlError.pos[0]).line, `not valid YAML: ${yamlError.message.split('\n')[0]}`);

  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(REFERENCE, (_match, name: string) => {
        const value = env[name];
        if (value === undefined) fail(node, `\${${name}} refers to an environment variable that is not set`);
        return value!;
      });
    },
  });

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return [];
  if (!isMap(root)) return fail(root, 'the file must be a mapping with the key "subscriptions"');
  let list: Node | null = null;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'subscriptions') fail(pair.key as Node, `unknown key "${key}" at the top of the file; only "subscriptions" is allowed`);
    list = pair.value as Node | null;
  }
  if (list === null || (isScalar(list) && list.value === null)) return [];
  if (!isSeq(list)) return fail(list, '"subscriptions" must be a list');

  const inputs: SubscriptionInput[] = [];
  const names = new Map<string, number>();
  for (const item of list.items) {
    const node = item as Node;
    if (!isMap(node)) fail(node, 'each subscription must be a mapping with name, types and url');
    const map = node as import('yaml').YAMLMap;
    let input: SubscriptionInput;
    try {
      input = parseSubscriptionInput(map.toJS(doc));
    } catch (error) {
      if (!(error instanceof SubscriptionInputError)) throw error;
      const pair = map.items.find((p) => isScalar(p.key) && p.key.value === error.field);
      return fail((pair?.value as Node | undefined) ?? (pair?.key as Node | undefined) ?? map, error.message);
    }
    const earlier = names.get(input.name);
    if (earlier !== undefined) fail(map, `the name "${input.name}" is already used by the subscription on line ${earlier}`);
    if (input.secret === undefined) fail(map, 'a declared subscription needs a secret ("whsec_…", usually secret: ${SOME_VARIABLE})');
    names.set(input.name, lineOf(map));
    inputs.push(input);
  }
  return inputs;
}
