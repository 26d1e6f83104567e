import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { typePatternProblem } from '../envelope/index.js';
import { EntityFileError } from './errors.js';
import { FIELD_KEYWORDS } from './field-keywords.js';
import { FIELD_COLUMN_TYPES, SYSTEM_COLUMNS } from './model.js';
import type { EntityDefinition, FieldDefinition, FieldType, TableName } from './model.js';
import { identifierProblem } from './names.js';
import { typePatternsOverlap } from './type-overlap.js';

const ENTITY_KEYS = ['name', 'table', 'types', 'key', 'fields', 'description'];
const SYSTEM_COLUMN_NAMES: readonly string[] = SYSTEM_COLUMNS.map((c) => c.name);
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

interface PlacedPattern {
  readonly pattern: string;
  readonly entity: string;
  readonly line: number;
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
    const patterns: PlacedPattern[] = [];
    for (const item of entitiesNode.items) {
      const node = this.resolve(item as Node);
      if (!isMap(node)) this.fail(node, 'each entity must be a mapping with name, table, types, key and fields');
      const { definition, nameNode, tableNode, typeNodes } = this.readEntity(node);

      const firstLine = names.get(definition.name);
      if (firstLine !== undefined) this.fail(nameNode, `entity name "${definition.name}" is already used on line ${firstLine}`);
      names.set(definition.name, this.lineOf(nameNode));

      const tableKey = `${definition.table.schema}.${definition.table.name}`;
      const sameTable = tables.get(tableKey);
      if (sameTable !== undefined) {
        this.fail(tableNode, `table ${tableKey} is already used by entity ${sameTable.entity} (line ${sameTable.line}); each entity needs its own table`);
      }
      tables.set(tableKey, { entity: definition.name, line: this.lineOf(tableNode) });

      definition.types.forEach((pattern, i) => {
        const line = this.lineOf(typeNodes[i] ?? null);
        const clash = patterns.find((p) => p.entity !== definition.name && typePatternsOverlap(p.pattern, pattern));
        if (clash !== undefined) {
          throw new EntityFileError(
            this.fileName,
            line,
            `type pattern "${pattern}" of entity ${definition.name} overlaps "${clash.pattern}" of entity ${clash.entity} (line ${clash.line}); an event type may go to one entity only`,
          );
        }
        patterns.push({ pattern, entity: definition.name, line });
      });
      definitions.push(definition);
    }
    return definitions;
  }

  private readEntity(node: YAMLMap): { definition: EntityDefinition; nameNode: Node; tableNode: Node; typeNodes: Node[] } {
    const entries = this.entries(node, ENTITY_KEYS, 'entity');
    const nameNode = this.need(entries, 'name', node, 'the entity has no "name"');
    const name = this.identifier(nameNode, 'entity name');
    const tableNode = this.need(entries, 'table', node, `entity ${name} has no "table"`);
    const table = this.tableName(tableNode);

    const typesNode = this.need(entries, 'types', node, `entity ${name} has no "types" (the event type patterns it stores)`);
    const typeNodes = isSeq(typesNode) ? this.list(typesNode, `"types" of entity ${name} must be a non-empty list of event type patterns`) : [typesNode];
    const types = typeNodes.map((n) => {
      const pattern = this.string(n, 'a type pattern');
      const problem = typePatternProblem(pattern);
      if (problem !== null) this.fail(n, problem);
      return pattern;
    });

    const description = entries.get('description');
    if (description !== undefined) this.string(description.value, 'the entity description');

    const fieldsNode = this.need(entries, 'fields', node, `entity ${name} has no "fields"`);
    if (!isMap(fieldsNode) || fieldsNode.items.length === 0) this.fail(fieldsNode, `"fields" of entity ${name} must be a mapping of field name to definition`);
    const fields: FieldDefinition[] = [];
    const fieldNodes = new Map<string, Node>();
    for (const pair of fieldsNode.items) {
      const keyNode = pair.key as Node;
      const fieldName = this.identifier(keyNode, 'field name');
      if (SYSTEM_COLUMN_NAMES.includes(fieldName)) {
        this.fail(keyNode, `field name "${fieldName}" is reserved for the column Sluice adds to every entity table`);
      }
      fieldNodes.set(fieldName, keyNode);
      const value = this.resolve(pair.value as Node | null);
      if (value === null || (isScalar(value) && value.value === null)) {
        this.fail(keyNode, `field "${fieldName}" has no type; use one of ${Object.keys(FIELD_COLUMN_TYPES).join(', ')}`);
      }
      fields.push(this.readField(fieldName, value));
    }

    const keyNode = this.need(entries, 'key', node, `entity ${name} has no "key" (the fields a row is upserted by)`);
    const keyItems = isSeq(keyNode) ? this.list(keyNode, `"key" of entity ${name} must list field names`) : [keyNode];
    const key: string[] = [];
    for (const item of keyItems) {
      const fieldName = this.string(item, 'a key field name');
      const field = fields.find((f) => f.name === fieldName);
      if (field === undefined) this.fail(item, `key field "${fieldName}" is not a field of entity ${name}; declare it under "fields"`);
      if (field.type === 'json') this.fail(item, `key field "${fieldName}" has type json, which cannot be a key; use string, integer, number, boolean or timestamp`);
      if (key.includes(fieldName)) this.fail(item, `key field "${fieldName}" is listed twice`);
      key.push(fieldName);
    }
    // Key fields are required whatever the file says: a row without its key cannot be upserted.
    const keyedFields = fields.map((f) => (key.includes(f.name) && !f.required ? { ...f, required: true } : f));
    const definition: EntityDefinition = { name, table, types, key, fields: keyedFields };
    return { definition, nameNode, tableNode, typeNodes };
  }

  private readField(name: string, node: Node): FieldDefinition {
    if (isScalar(node) && typeof node.value === 'string') {
      // Shorthand `total: number`.
      return { name, type: this.fieldType(node, name), required: false, keywords: {} };
    }
    if (!isMap(node)) this.fail(node, `field "${name}" must be a type name or a mapping like { type: string }`);
    let type: FieldType | undefined;
    let required = false;
    const keywords: Record<string, unknown> = {};
    const rest: Pair[] = [];
    for (const pair of node.items) {
      const keyword = this.keyName(pair);
      const value = this.resolve(pair.value as Node | null) ?? (pair.key as Node);
      if (keyword === 'type') type = this.fieldType(value, name);
      else if (keyword === 'required') {
        if (!isScalar(value) || typeof value.value !== 'boolean') this.fail(value, `"required" of field "${name}" must be true or false`);
        required = value.value;
      } else rest.push(pair);
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
          `keyword "${keyword}" does not fit field "${name}" of type ${type}; ${fits.length > 0 ? `it may use ${fits.join(', ')}` : 'it takes no keywords'} (and required)`,
        );
      }
      const valueNode = this.resolve(pair.value as Node | null) ?? (pair.key as Node);
      const value = valueNode.toJS(this.doc) as unknown;
      const problem = check(value, type);
      if (problem !== null) this.fail(valueNode, `"${keyword}" of field "${name}" ${problem}`);
      keywords[keyword] = value;
    }
    return { name, type, required, keywords };
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
