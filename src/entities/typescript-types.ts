import type { EntityDefinition, FieldDefinition } from './model.js';

/** Words TypeScript refuses as an interface name. */
const RESERVED = new Set([
  'any', 'boolean', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof',
  'interface', 'let', 'never', 'new', 'null', 'number', 'object', 'package', 'private', 'protected', 'public', 'return',
  'static', 'string', 'super', 'switch', 'symbol', 'this', 'throw', 'true', 'try', 'typeof', 'undefined', 'unknown',
  'var', 'void', 'while', 'with', 'yield', 'bigint', 'await',
]);

const BASE_TYPES = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'boolean',
  timestamp: 'string',
  json: 'unknown',
  // Exact values travel best as strings ("12.50"); a JSON number is taken from its text too.
  decimal: 'number | string',
  bigint: 'number | string',
  date: 'string',
  uuid: 'string',
} as const;

function comment(lines: readonly string[], indent: string): string {
  const clean = lines.filter((l) => l !== '').map((l) => l.replace(/\*\//g, '*\\/'));
  if (clean.length === 0) return '';
  if (clean.length === 1) return `${indent}/** ${clean[0]} */\n`;
  return `${indent}/**\n${clean.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`;
}

function fieldType(field: FieldDefinition, required: boolean): string {
  const allowed = Array.isArray(field.keywords.enum) ? (field.keywords.enum as unknown[]) : 'const' in field.keywords ? [field.keywords.const] : null;
  const base = allowed !== null ? allowed.map((v) => JSON.stringify(v)).join(' | ') : BASE_TYPES[field.type];
  if (required) return base;
  // `unknown` already includes null.
  return field.type === 'json' ? base : `${base} | null`;
}

function fieldDoc(field: FieldDefinition): string[] {
  const lines: string[] = [];
  if (typeof field.keywords.description === 'string') lines.push(...field.keywords.description.split('\n'));
  if (field.type === 'timestamp') lines.push('RFC 3339 timestamp, like 2024-05-01T12:00:00Z.');
  if (field.type === 'date') lines.push('A date, like 2024-05-01.');
  if (field.type === 'decimal') lines.push(`decimal(${field.precision},${field.scale}), exact: send a string or a number.`);
  if (field.type === 'bigint') lines.push('64-bit integer: send a string or a number.');
  const rules = Object.entries(field.keywords)
    .filter(([k]) => !['description', 'enum', 'const'].includes(k))
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  if (rules.length > 0) lines.push(rules.join(', '));
  return lines;
}

/** A property of the data: a field's value, an object of further properties, or a child's array. */
interface Shape {
  doc: string[];
  type: string | null;
  required: boolean;
  properties: Map<string, Shape>;
}

const newShape = (): Shape => ({ doc: [], type: null, required: false, properties: new Map() });

/** Adds a field to the data's shape under each path it is read from (the first of several is the one a producer should send). */
function addField(root: Shape, field: FieldDefinition, conditional: boolean): void {
  if (field.source.kind !== 'paths') return;
  // A field read from one of several paths, or by an entity that applies only `when` a condition holds, is never required of the data.
  const single = field.source.paths.length === 1 && !conditional;
  for (const path of field.source.paths) {
    let node = root;
    path.forEach((step, i) => {
      let next = node.properties.get(step);
      if (next === undefined) node.properties.set(step, (next = newShape()));
      // A required field needs every object on its (only) path.
      if (field.required && single && field.default === undefined) next.required = true;
      if (i === path.length - 1) {
        next.type = next.properties.size > 0 ? 'unknown' : fieldType(field, field.required && single && field.default === undefined);
        next.doc = fieldDoc(field);
      }
      node = next;
    });
  }
}

function render(shape: Shape, indent: string): string {
  const lines: string[] = [];
  for (const [name, child] of shape.properties) {
    const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
    const type = child.type !== null && child.properties.size === 0 ? child.type : `{\n${render(child, `${indent}  `)}${indent}}${child.required ? '' : ' | null'}`;
    lines.push(`${comment(child.doc, indent)}${indent}${key}${child.required ? '' : '?'}: ${type};\n`);
  }
  return lines.join('');
}

/**
 * TypeScript declarations for the data each entity reads (one interface per entity: the
 * properties its fields come from, nested as their paths say, a child's elements as an array
 * in its parent's) and a map from each event type pattern to its entity's interface — what
 * `sluice entities types` prints.
 */
export function entityTypeScript(defs: readonly EntityDefinition[]): string {
  const used = new Set<string>();
  const interfaceNames = new Map<string, string>();
  for (const def of defs) {
    let name = def.name;
    while (RESERVED.has(name) || used.has(name) || name === 'EntityEventTypes') name = `${name}_`;
    used.add(name);
    interfaceNames.set(def.name, name);
  }

  const out: string[] = ['// Generated by `sluice entities types` from the entity file. Do not edit by hand.', ''];
  for (const def of defs) {
    const name = interfaceNames.get(def.name) as string;
    const shape = newShape();
    for (const field of def.fields) addField(shape, field, def.when !== null);
    for (const child of defs.filter((d) => d.parent === def.name)) {
      const path = child.each as readonly string[];
      let node = shape;
      path.forEach((step, i) => {
        let next = node.properties.get(step);
        if (next === undefined) node.properties.set(step, (next = newShape()));
        if (i === path.length - 1) {
          next.type = `Array<${interfaceNames.get(child.name) as string}> | null`;
          next.doc = [`One row of ${child.table.schema}.${child.table.name} per element (entity ${child.name}).`];
        }
        node = next;
      });
    }
    const where =
      def.parent === null
        ? `event types ${def.types.join(', ')}${def.deletes.length > 0 ? ` (deleted by ${def.deletes.join(', ')})` : ''}`
        : `an element of ${def.parent}'s ${(def.each as readonly string[]).join('.')}`;
    const header = [`Data of entity ${def.name}: ${where}; table ${def.table.schema}.${def.table.name}, key (${def.key.join(', ') || '_message_id'}), mode ${def.mode}.`];
    out.push(`${comment(header, '')}export interface ${name} {\n${render(shape, '  ')}}`, '');
  }
  out.push(comment(['The entity interfaces each event type pattern (NATS wildcards) is validated against (all of them when several entities take it).'], '') + 'export interface EntityEventTypes {');
  const byPattern = new Map<string, string[]>();
  for (const def of defs) {
    for (const pattern of def.types) byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), interfaceNames.get(def.name) as string]);
  }
  for (const [pattern, names] of byPattern) out.push(`  ${JSON.stringify(pattern)}: ${names.join(' & ')};`);
  out.push('}', '');
  return out.join('\n');
}
