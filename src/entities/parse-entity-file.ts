import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { typePatternProblem } from '../envelope/index.js';
import { EntityFileError } from './errors.js';
import { columnValue } from './column-values.js';
import { expressionProblem } from './expressions.js';
import { FIELD_KEYWORDS } from './field-keywords.js';
import { EVENT_ATTRIBUTES, FIELD_COLUMN_TYPES, FIELD_SEQS_COLUMN, SYSTEM_COLUMNS } from './model.js';
import type { EntityDefinition, EntityMode, EventAttribute, FieldDefinition, FieldSource, FieldType, TableName, WhenCondition } from './model.js';
import { identifierProblem } from './names.js';
import { parsePath, pathProblem } from './paths.js';

const ENTITY_KEYS = ['name', 'table', 'types', 'key', 'fields', 'description', 'mode', 'deletes', 'when', 'parent', 'each'];
const MODES: readonly EntityMode[] = ['upsert', 'merge', 'append', 'insert-once'];
/** Field keys that say where a value comes from and how the column is built, besides `type` and `required`. */
const MAPPING_KEYS = ['from', 'value', 'expr', 'default', 'index', 'unique', 'precision', 'scale'];
/** PostgreSQL's limit for numeric(precision, scale). */
const MAX_PRECISION = 1000;
const SYSTEM_COLUMN_NAMES: readonly string[] = [...SYSTEM_COLUMNS.map((c) => c.name), FIELD_SEQS_COLUMN.name];
/** Schemas an entity table may not live in: Sluice's own, and PostgreSQL's. */
const RESERVED_SCHEMA = /^(sluice|information_schema|pg_.*)$/i;

/** Reads and checks an entity file; throws `EntityFileError` (`FILE:LINE: reason`) on the first mistake. */
export async function loadEntityFile(path: string): Promise<EntityDefinition[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'the entity file does not exist' : `cannot read the entity file (${(error as Error).message})`;
    throw new EntityFileError(path, 0, why, { cause: error });
  }
  return parseEntityFile(text, path);
}

/**
 * Parses the text of an entity file (YAML) into definitions, checking everything that can be
 * checked before an event arrives. Throws `EntityFileError` (`FILE:LINE: reason`) on the first mistake.
 */
export function parseEntityFile(text: string, fileName: string): EntityDefinition[] {
  return new EntityFileReader(text, fileName).read();
}

class EntityFileReader {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(
    text: string,
    private readonly fileName: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  read(): EntityDefinition[] {
    const yamlError = this.doc.errors[0];
    if (yamlError !== undefined) {
      throw new EntityFileError(this.fileName, this.lineAt(yamlError.pos[0]), `not valid YAML: ${yamlError.message.split('\n')[0]}`);
    }
    const root = this.resolve(this.doc.contents);
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      this.fail(root, 'the file is empty; it must hold "entities:" with a list of entities');
    }
    if (!isMap(root)) this.fail(root, 'the file must be a mapping with the key "entities"');
    let entitiesNode: Node | null = null;
    for (const pair of root.items) {
      const key = this.keyName(pair);
      if (key !== 'entities') this.fail(pair.key as Node, `unknown key "${key}" at the top of the file; only "entities" is allowed`);
      entitiesNode = this.resolve(pair.value as Node | null);
    }
    if (entitiesNode === null) this.fail(root, 'the file has no "entities" list');
    if (isScalar(entitiesNode) && entitiesNode.value === null) return [];
    if (!isSeq(entitiesNode)) this.fail(entitiesNode, '"entities" must be a list of entities');

    const definitions: EntityDefinition[] = [];
    const names = new Map<string, number>();
    const tables = new Map<string, { entity: string; line: number }>();
    const parents: Array<{ index: number; node: Node }> = [];
    for (const item of entitiesNode.items) {
      const node = this.resolve(item as Node);
      if (!isMap(node)) this.fail(node, 'each entity must be a mapping with name, table, types, key and fields');
      const { definition, nameNode, tableNode, parentNode } = this.readEntity(node);

      const firstLine = names.get(definition.name);
      if (firstLine !== undefined) this.fail(nameNode, `entity name "${definition.name}" is already used on line ${firstLine}`);
      names.set(definition.name, this.lineOf(nameNode));

      const tableKey = `${definition.table.schema}.${definition.table.name}`;
      const sameTable = tables.get(tableKey);
      if (sameTable !== undefined) {
        this.fail(tableNode, `table ${tableKey} is already used by entity ${sameTable.entity} (line ${sameTable.line}); each entity needs its own table`);
      }
      tables.set(tableKey, { entity: definition.name, line: this.lineOf(tableNode) });
      if (parentNode !== null) parents.push({ index: definitions.length, node: parentNode });
      definitions.push(definition);
    }
    // Children name their parent anywhere in the file; resolve once every entity is read,
    // parents before their children (a grandchild copies its parent's key, which holds the
    // root's key: Order → OrderLine → LineDiscount is keyed by order, line and discount).
    const pending = [...parents];
    while (pending.length > 0) {
      const ready = pending.findIndex(({ index }) => {
        const parent = definitions.find((d) => d.name === definitions[index]!.parent);
        return parent === undefined || parent.parent === null || !pending.some((p) => definitions[p.index] === parent);
      });
      if (ready === -1) {
        const { node } = pending[0]!;
        const cycle = pending.map((p) => definitions[p.index]!.name).join(', ');
        this.fail(node, `entities ${cycle} name each other as parent, so none of them has a root; the first entity of a chain needs "types" instead of "parent"`);
      }
      const [{ index, node }] = pending.splice(ready, 1) as [{ index: number; node: Node }];
      const child = definitions[index] as EntityDefinition;
      const parent = definitions.find((d) => d.name === child.parent);
      if (parent === undefined) {
        this.fail(node, `parent "${child.parent}" of entity ${child.name} is not an entity of this file; name one of ${definitions.filter((d) => d.name !== child.name).map((d) => d.name).join(', ')}`);
      }
      if (parent.key.length === 0) this.fail(node, `parent "${parent.name}" of entity ${child.name} has no "key"; give it one, its key is copied into each child row`);
      const inherited = [...parent.parentKey, ...parent.key.map((k) => parent.fields.find((x) => x.name === k) as FieldDefinition)];
      for (const f of inherited) {
        if (child.fields.some((c) => c.name === f.name)) {
          this.fail(node, `entity ${child.name} declares field "${f.name}", which is ${parent.parentKey.includes(f) ? 'an ancestor\'s' : 'its parent\'s'} key field copied into every child row; remove or rename it`);
        }
      }
      const parentKey = inherited.map((f) => ({ ...f, source: { kind: 'paths', paths: [] }, index: false, unique: false, required: true }) as FieldDefinition);
      definitions[index] = { ...child, parentKey };
    }
        return definitions;
  }

  private readEntity(node: YAMLMap): { definition: EntityDefinition; nameNode: Node; tableNode: Node; parentNode: Node | null } {
    const entries = this.entries(node, ENTITY_KEYS, 'entity');
    const nameNode = this.need(entries, 'name', node, 'the entity has no "name"');
    const name = this.identifier(nameNode, 'entity name');
    const tableNode = this.need(entries, 'table', node, `entity ${name} has no "table"`);
    const table = this.tableName(tableNode);
    const parentNode = entries.get('parent')?.value ?? null;
    const eachNode = entries.get('each')?.value ?? null;
    const isChild = parentNode !== null || eachNode !== null;
    if (isChild) {
      if (parentNode === null) this.fail(eachNode, `entity ${name} has "each" but no "parent"; name the entity whose array it repeats for`);
      if (eachNode === null) this.fail(parentNode, `entity ${name} has "parent" but no "each"; give the path of the parent data's array, like each: lines`);
      for (const k of ['types', 'deletes', 'mode', 'when']) {
        const entry = entries.get(k);
        if (entry !== undefined) this.fail(entry.key, `entity ${name} is a child of ${String((parentNode as { value?: unknown }).value)}: it follows its parent's events, so "${k}" does not apply; remove it`);
      }
    }
    const parent = parentNode === null ? null : this.identifier(parentNode, 'parent entity name');
    const each = eachNode === null ? null : this.path(eachNode, `"each" of entity ${name}`);

    const typeNodes = isChild ? [] : this.patternNodes(this.need(entries, 'types', node, `entity ${name} has no "types" (the event type patterns it stores)`), `"types" of entity ${name}`);
    const types = typeNodes.map((n) => this.pattern(n));
    const deletesEntry = entries.get('deletes');
    const deleteNodes = deletesEntry === undefined ? [] : this.patternNodes(deletesEntry.value, `"deletes" of entity ${name}`);
    // A type matching both `types` and `deletes` deletes (`types: [customer.*]` with `deletes: [customer.erased]`).
    const deletes = deleteNodes.map((n) => this.pattern(n));

    const modeEntry = entries.get('mode');
    let mode: EntityMode = 'upsert';
    if (modeEntry !== undefined) {
      const text = this.string(modeEntry.value, `"mode" of entity ${name}`);
      if (!(MODES as readonly string[]).includes(text)) this.fail(modeEntry.value, `mode "${text}" of entity ${name} is unknown; use one of ${MODES.join(', ')}`);
      mode = text as EntityMode;
    }
    const whenEntry = entries.get('when');
    const when = whenEntry === undefined ? null : this.when(whenEntry.value, name);

    const description = entries.get('description');
    if (description !== undefined) this.string(description.value, 'the entity description');

    const fieldsNode = this.need(entries, 'fields', node, `entity ${name} has no "fields"`);
    if (!isMap(fieldsNode) || fieldsNode.items.length === 0) this.fail(fieldsNode, `"fields" of entity ${name} must be a mapping of field name to definition`);
    const fields: FieldDefinition[] = [];
    for (const pair of fieldsNode.items) {
      const keyNode = pair.key as Node;
      const fieldName = this.identifier(keyNode, 'field name');
      if (SYSTEM_COLUMN_NAMES.includes(fieldName)) {
        this.fail(keyNode, `field name "${fieldName}" is reserved for the column Sluice adds to every entity table`);
      }
      const value = this.resolve(pair.value as Node | null);
      if (value === null || (isScalar(value) && value.value === null)) {
        this.fail(keyNode, `field "${fieldName}" has no type; use one of ${Object.keys(FIELD_COLUMN_TYPES).join(', ')}`);
      }
      const field = this.readField(fieldName, value, isChild);
      fields.push(field);
    }

    const keyEntry = entries.get('key');
    if (keyEntry === undefined && mode !== 'append') {
      this.fail(node, `entity ${name} has no "key" (the fields a row is ${isChild ? 'told apart by under its parent' : 'upserted by'}); only mode append may leave it out (its rows are keyed by event id)`);
    }
    const keyItems = keyEntry === undefined ? [] : isSeq(keyEntry.value) ? this.list(keyEntry.value, `"key" of entity ${name} must list field names`) : [keyEntry.value];
    const key: string[] = [];
    for (const item of keyItems) {
      const fieldName = this.string(item, 'a key field name');
      const field = fields.find((f) => f.name === fieldName);
      if (field === undefined) this.fail(item, `key field "${fieldName}" is not a field of entity ${name}; declare it under "fields"`);
      if (field.type === 'json') this.fail(item, `key field "${fieldName}" has type json, which cannot be a key; use string, integer, bigint, decimal, uuid, date, boolean or timestamp`);
      if (key.includes(fieldName)) this.fail(item, `key field "${fieldName}" is listed twice`);
      key.push(fieldName);
    }
    // Key fields are required whatever the file says: a row without its key cannot be upserted.
    const keyedFields = fields.map((f) => (key.includes(f.name) && !f.required ? { ...f, required: true } : f));
    const definition: EntityDefinition = { name, table, types, key, fields: keyedFields, mode, deletes, when, parent, each, parentKey: [] };
    return { definition, nameNode, tableNode, parentNode };
  }

  private readField(name: string, node: Node, isChild: boolean): FieldDefinition {
    const plain = { required: false, keywords: {}, source: { kind: 'paths', paths: [[name]] } as FieldSource, index: false, unique: false };
    if (isScalar(node) && typeof node.value === 'string') {
      // Shorthand `total: number`.
      const type = this.fieldType(node, name);
      if (type === 'decimal') this.fail(node, `field "${name}" of type decimal needs its digits; write { type: decimal, precision: 12, scale: 2 }`);
      return { name, type, ...plain };
    }
    if (!isMap(node)) this.fail(node, `field "${name}" must be a type name or a mapping like { type: string }`);
    let type: FieldType | undefined;
    let required = false;
    const keywords: Record<string, unknown> = {};
    const rest: Pair[] = [];
    const mapping = new Map<string, Node>();
    for (const pair of node.items) {
      const keyword = this.keyName(pair);
      const value = this.resolve(pair.value as Node | null) ?? (pair.key as Node);
      if (keyword === 'type') type = this.fieldType(value, name);
      else if (keyword === 'required') required = this.boolean(value, `"required" of field "${name}"`);
      else if (MAPPING_KEYS.includes(keyword)) mapping.set(keyword, value);
      else rest.push(pair);
    }
    if (type === undefined) this.fail(node, `field "${name}" has no "type"; use one of ${Object.keys(FIELD_COLUMN_TYPES).join(', ')}`);
    const allowed = FIELD_KEYWORDS[type];
    for (const pair of rest) {
      const keyword = this.keyName(pair);
      const check = Object.hasOwn(allowed, keyword) ? allowed[keyword] : undefined;
      if (check === undefined) {
        const fits = Object.keys(allowed);
        this.fail(
          pair.key as Node,
          `keyword "${keyword}" does not fit field "${name}" of type ${type}; ${fits.length > 0 ? `it may use ${fits.join(', ')}` : 'it takes no keywords'} (and required, ${MAPPING_KEYS.join(', ')})`,
        );
      }
      const valueNode = this.resolve(pair.value as Node | null) ?? (pair.key as Node);
      const value = valueNode.toJS(this.doc) as unknown;
      const problem = check(value, type);
      if (problem !== null) this.fail(valueNode, `"${keyword}" of field "${name}" ${problem}`);
      keywords[keyword] = value;
    }

    let precision: number | undefined;
    let scale: number | undefined;
    const precisionNode = mapping.get('precision');
    const scaleNode = mapping.get('scale');
    if (type === 'decimal') {
      if (precisionNode === undefined) this.fail(node, `field "${name}" of type decimal needs "precision" (total digits) and "scale" (digits after the point), like { type: decimal, precision: 12, scale: 2 }`);
      precision = this.wholeNumber(precisionNode, `"precision" of field "${name}"`, 1, MAX_PRECISION);
      scale = scaleNode === undefined ? 0 : this.wholeNumber(scaleNode, `"scale" of field "${name}"`, 0, precision);
    } else if (precisionNode !== undefined || scaleNode !== undefined) {
      this.fail(precisionNode ?? scaleNode ?? node, `"precision" and "scale" fit only a field of type decimal; field "${name}" is ${type}`);
    }

    const sources = ['from', 'value', 'expr'].filter((k) => mapping.has(k));
    if (sources.length > 1) this.fail(mapping.get(sources[1] as string) ?? node, `field "${name}" has both "${sources[0]}" and "${sources[1]}"; give one of from, value and expr`);
    let source: FieldSource = { kind: 'paths', paths: [[name]] };
    const fromNode = mapping.get('from');
    const valueNode = mapping.get('value');
    const exprNode = mapping.get('expr');
    if (fromNode !== undefined) source = this.fromSource(fromNode, name, isChild);
    else if (valueNode !== undefined) source = { kind: 'value', value: this.constant(valueNode, `"value" of field "${name}"`, { name, type, precision, scale }) };
    else if (exprNode !== undefined) source = { kind: 'expr', text: this.expression(exprNode, `"expr" of field "${name}"`) };

    const defaultNode = mapping.get('default');
    const fallback = defaultNode === undefined ? undefined : this.constant(defaultNode, `"default" of field "${name}"`, { name, type, precision, scale });
    const index = mapping.has('index') ? this.boolean(mapping.get('index') as Node, `"index" of field "${name}"`) : false;
    const unique = mapping.has('unique') ? this.boolean(mapping.get('unique') as Node, `"unique" of field "${name}"`) : false;
    if ((index || unique) && type === 'json') this.fail(mapping.get(unique ? 'unique' : 'index') ?? node, `field "${name}" has type json, which takes no index here; index a field computed from it instead`);
    return {
      name,
      type,
      required,
      keywords,
      source,
      ...(fallback !== undefined ? { default: fallback } : {}),
      index,
      unique,
      ...(precision !== undefined ? { precision, scale: scale ?? 0 } : {}),
    };
  }

  private fromSource(node: Node, field: string, isChild: boolean): FieldSource {
    const items = isSeq(node) ? this.list(node, `"from" of field "${field}" must be a path or a list of paths`) : [node];
    const paths: string[][] = [];
    for (const item of items) {
      const text = this.string(item, `"from" of field "${field}"`);
      if (text.startsWith('$')) {
        const attribute = text.slice(1);
        if (items.length > 1) this.fail(item, `"from" of field "${field}" lists ${text}; a list holds data paths only (use expr for more)`);
        if (attribute === 'index') {
          if (!isChild) this.fail(item, `"from: $index" of field "${field}" needs a child entity (parent + each); it is the element's position in the parent's array`);
          return { kind: 'index' };
        }
        if ((EVENT_ATTRIBUTES as readonly string[]).includes(attribute)) return { kind: 'attribute', attribute: attribute as EventAttribute };
        this.fail(item, `"from" of field "${field}" names ${text}, which is not an event attribute; use $id, $type, $source, $time${isChild ? ', $index' : ''} or a data path like customer.id`);
      }
      paths.push(this.path(item, `"from" of field "${field}"`));
    }
    return { kind: 'paths', paths };
  }

  private path(node: Node, what: string): string[] {
    const text = this.string(node, what);
    const problem = pathProblem(text);
    if (problem !== null) this.fail(node, `${what}: ${problem}`);
    return parsePath(text);
  }

  private constant(node: Node, what: string, field: Pick<FieldDefinition, 'name' | 'type' | 'precision' | 'scale'>): unknown {
    const value = node.toJS(this.doc) as unknown;
    if (value === null) this.fail(node, `${what} is null; leave it out instead`);
    const full = { ...field, required: false, keywords: {}, source: { kind: 'value', value } as FieldSource, index: false, unique: false };
    const checked = columnValue(full, value, null, false);
    if (!checked.ok) this.fail(node, `${what} ${checked.problem}${typeof value === 'string' || field.type === 'string' ? '' : ' (quote it)'}`);
    return value;
  }

  private expression(node: Node, what: string): string {
    const text = this.string(node, what);
    const problem = expressionProblem(text);
    if (problem !== null) this.fail(node, `${what} is not a valid JSONata expression: ${problem}`);
    return text;
  }

  private when(node: Node, entity: string): WhenCondition {
    if (isScalar(node) && typeof node.value === 'string') return { kind: 'expr', text: this.expression(node, `"when" of entity ${entity}`) };
    const usage = `"when" of entity ${entity} must be { path: customer.id, exists: true }, { path: status, equals: paid } or a JSONata expression in a string`;
    if (!isMap(node)) this.fail(node, usage);
    const entries = this.entries(node, ['path', 'exists', 'equals'], `"when"`);
    const pathEntry = entries.get('path');
    if (pathEntry === undefined) this.fail(node, usage);
    const path = this.path(pathEntry.value, `"path" of "when" of entity ${entity}`);
    const exists = entries.get('exists');
    const equals = entries.get('equals');
    if ((exists === undefined) === (equals === undefined)) this.fail(node, usage);
    if (exists !== undefined) return { kind: 'exists', path, exists: this.boolean(exists.value, `"exists" of "when" of entity ${entity}`) };
    return { kind: 'equals', path, value: (equals as { value: Node }).value.toJS(this.doc) as unknown };
  }

  private patternNodes(node: Node, what: string): Node[] {
    return isSeq(node) ? this.list(node, `${what} must be a non-empty list of event type patterns`) : [node];
  }

  private pattern(node: Node): string {
    const pattern = this.string(node, 'a type pattern');
    const problem = typePatternProblem(pattern);
    if (problem !== null) this.fail(node, problem);
    return pattern;
  }

  private boolean(node: Node, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  private wholeNumber(node: Node, what: string, min: number, max: number): number {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(node, `${what} must be a whole number from ${min} to ${max}`);
    return value;
  }

  private fieldType(node: Node, field: string): FieldType {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'string' || !Object.hasOwn(FIELD_COLUMN_TYPES, value)) {
      this.fail(node, `field "${field}" has unknown type ${JSON.stringify(value ?? null)}; use one of ${Object.keys(FIELD_COLUMN_TYPES).join(', ')}`);
    }
    return value as FieldType;
  }

  private tableName(node: Node): TableName {
    const text = this.string(node, 'the table name');
    const parts = text.split('.');
    if (parts.length > 2) this.fail(node, `table "${text}" must be "name" or "schema.name"`);
    const [schema, name] = parts.length === 2 ? [parts[0] as string, parts[1] as string] : ['public', parts[0] as string];
    const problem = identifierProblem(schema, 'schema') ?? identifierProblem(name, 'table name');
    if (problem !== null) this.fail(node, problem);
    if (RESERVED_SCHEMA.test(schema)) this.fail(node, `schema "${schema}" is reserved; put entity tables in public or a schema of your own`);
    return { schema, name };
  }

  private identifier(node: Node, what: string): string {
    const text = this.string(node, `the ${what}`);
    const problem = identifierProblem(text, what);
    if (problem !== null) this.fail(node, problem);
    return text;
  }

  private string(node: Node, what: string): string {
    const resolved = this.resolve(node) ?? node;
    if (!isScalar(resolved) || typeof resolved.value !== 'string' || resolved.value === '') this.fail(resolved, `${what} must be a non-empty string`);
    return resolved.value;
  }

  private list(node: Node, problem: string): Node[] {
    if (!isSeq(node) || node.items.length === 0) this.fail(node, problem);
    return node.items.map((item) => this.resolve(item as Node) ?? node);
  }

  /** The pairs of a mapping by key name, refusing keys not in `allowed`. */
  private entries(node: YAMLMap, allowed: readonly string[], what: string): Map<string, { key: Node; value: Node }> {
    const out = new Map<string, { key: Node; value: Node }>();
    for (const pair of node.items) {
      const key = this.keyName(pair);
      if (!allowed.includes(key)) this.fail(pair.key as Node, `unknown ${what} key "${key}"; allowed: ${allowed.join(', ')}`);
      out.set(key, { key: pair.key as Node, value: this.resolve(pair.value as Node | null) ?? (pair.key as Node) });
    }
    return out;
  }

  private need(entries: Map<string, { key: Node; value: Node }>, key: string, owner: Node, problem: string): Node {
    const entry = entries.get(key);
    if (entry === undefined) this.fail(owner, problem);
    if (isScalar(entry.value) && entry.value.value === null) this.fail(entry.key, problem);
    return entry.value;
  }

  private keyName(pair: Pair): string {
    const key = pair.key as Node | null;
    if (!isScalar(key) || typeof key.value !== 'string') this.fail(key, 'keys must be plain names');
    return key.value;
  }

  private resolve(node: Node | null | undefined): Node | null {
    if (node === null || node === undefined) return null;
    return isAlias(node) ? ((node.resolve(this.doc) as Node | undefined) ?? node) : node;
  }

  private lineAt(offset: number): number {
    return Math.max(1, this.lines.linePos(offset).line);
  }

  private lineOf(node: Node | null): number {
    return this.lineAt(node?.range?.[0] ?? 0);
  }

  private fail(node: Node | null, reason: string): never {
    throw new EntityFileError(this.fileName, this.lineOf(node), reason);
  }
}
