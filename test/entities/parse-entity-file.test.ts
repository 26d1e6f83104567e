import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EntityFileError, loadEntityFile, parseEntityFile, tableKey } from '../../src/entities/index.js';

/** Lines are joined with \n; line 1 is the first element. */
const file = (...lines: string[]): string => lines.join('\n') + '\n';

function refuses(text: string, line: number, reason: RegExp): void {
  assert.throws(
    () => parseEntityFile(text, 'ents.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof EntityFileError, `expected EntityFileError, got ${String(error)}`);
      assert.equal(error.line, line, `wrong line in: ${error.message}`);
      assert.match(error.message, new RegExp(`^ents\\.yaml:${line}: `));
      assert.match(error.reason, reason);
      return true;
    },
  );
}

const order = (fields: string[], extra: string[] = []): string =>
  file('entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    key: [order_id]', ...extra, '    fields:', ...fields);

describe('parseEntityFile', () => {
  it('reads the example shape of SPEC.md', () => {
    const defs = parseEntityFile(
      order([
        '      order_id:  { type: string, required: true }',
        '      total:     { type: number, minimum: 0 }',
        '      customer:  { type: string }',
        '      placed_at: { type: timestamp }',
        '      lines:     { type: json }',
      ]),
      'ents.yaml',
    );
    assert.equal(defs.length, 1);
    const def = defs[0]!;
    assert.equal(def.name, 'Order');
    assert.deepEqual(def.table, { schema: 'public', name: 'orders' });
    assert.deepEqual(def.types, ['order.created']);
    assert.deepEqual(def.key, ['order_id']);
    assert.deepEqual(
      def.fields.map((f) => [f.name, f.type, f.required]),
      [
        ['order_id', 'string', true],
        ['total', 'number', false],
        ['customer', 'string', false],
        ['placed_at', 'timestamp', false],
        ['lines', 'json', false],
      ],
    );
    assert.deepEqual(def.fields[1]!.keywords, { minimum: 0 });
  });

  it('makes key fields required even when the file does not say so', () => {
    const [def] = parseEntityFile(order(['      order_id: { type: string }']), 'ents.yaml');
    assert.equal(def!.fields[0]!.required, true);
  });

  it('reads a schema-qualified table and a shorthand field type', () => {
    const text = file('entities:', '  - name: Order', '    table: analytics.orders', '    types: order.>', '    key: order_id', '    fields:', '      order_id: string');
    const [def] = parseEntityFile(text, 'ents.yaml');
    assert.deepEqual(def!.table, { schema: 'analytics', name: 'orders' });
    assert.deepEqual(def!.types, ['order.>']);
    assert.equal(def!.fields[0]!.type, 'string');
  });

  it('accepts an empty entity list', () => {
    assert.deepEqual(parseEntityFile('entities: []\n', 'ents.yaml'), []);
    assert.deepEqual(parseEntityFile('entities:\n', 'ents.yaml'), []);
  });

  it('refuses an unknown field type on its line', () => {
    refuses(order(['      order_id: { type: string }', '      total: { type: money }']), 8, /unknown type "money"/);
  });

  it('refuses a keyword that does not fit the type', () => {
    refuses(order(['      order_id: { type: string }', '      total:', '        type: number', '        maxLength: 4']), 10, /keyword "maxLength" does not fit field "total" of type number/);
  });

  it('refuses a misspelt keyword', () => {
    refuses(order(['      order_id: { type: string }', '      total: { type: number, minimun: 0 }']), 8, /keyword "minimun"/);
  });

  it('refuses a keyword value of the wrong kind', () => {
    refuses(order(['      order_id: { type: string }', '      n:', '        type: integer', '        minimum: "zero"']), 10, /"minimum" of field "n" must be a number/);
    refuses(order(['      order_id: { type: string }', '      s:', '        type: string', '        pattern: "[a-"']), 10, /not a valid regular expression/);
    refuses(order(['      order_id: { type: string }', '      s:', '        type: string', '        enum: [a, 2]']), 10, /must list string values only; 2 is not one/);
    refuses(order(['      order_id: { type: string }', '      s:', '        type: string', '        required: yes']), 10, /must be true or false/);
  });

  it('refuses a field without a type', () => {
    refuses(order(['      order_id: { type: string }', '      total: { minimum: 0 }']), 8, /has no "type"/);
    refuses(order(['      order_id: { type: string }', '      total:']), 8, /field "total" has no type/);
  });

  it('refuses a key naming a missing field', () => {
    refuses(file('entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    key:', '      - id', '    fields:', '      order_id: string'), 6, /key field "id" is not a field of entity Order/);
  });

  it('refuses a key field of type json', () => {
    refuses(file('entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    key:', '      - doc', '    fields:', '      doc: json'), 6, /type json, which cannot be a key/);
  });

  it('refuses an entity without a key, naming it', () => {
    refuses(file('entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    fields:', '      id: string'), 2, /entity Order has no "key"/);
  });

  it('lets several entities take one event type', () => {
    const text = file(
      'entities:',
      '  - name: Order',
      '    table: orders',
      '    types: [order.created]',
      '    key: [id]',
      '    fields: { id: string }',
      '  - name: AnyOrder',
      '    table: any_orders',
      '    types: [order.*]',
      '    key: [id]',
      '    fields: { id: string }',
    );
    assert.deepEqual(parseEntityFile(text, 'ents.yaml').map((d) => d.types), [['order.created'], ['order.*']]);
  });

  it('reads values, types, modes, children and conditions as SPEC.md writes them', () => {
    const defs = parseEntityFile(
      file(
        'entities:',
        '  - name: Order',
        '    table: orders',
        '    types: [order.created]',
        '    deletes: [order.purged]',
        '    key: [order_id]',
        '    fields:',
        '      order_id:    { type: string, required: true }',
        '      customer_id: { from: customer.id, type: string, index: true }',
        '      total:       { type: decimal, precision: 12, scale: 2 }',
        '      currency:    { from: [currency, customer.currency], type: string, default: EUR }',
        '      channel:     { value: web }',
        '      total_cents: { expr: "$round(total * 100)", type: bigint }',
        '  - name: OrderLine',
        '    table: order_lines',
        '    parent: Order',
        '    each: lines',
        '    key: [line_no]',
        '    fields:',
        '      line_no: { from: $index, type: integer }',
        '  - name: Customer',
        '    table: customers',
        '    types: [customer.*]',
        '    mode: merge',
        '    when: { path: customer.id, exists: true }',
        '    key: [customer_id]',
        '    fields:',
        '      customer_id: { from: customer.id, type: string, unique: true }',
        '  - name: History',
        '    table: history',
        '    types: [order.*]',
        '    mode: append',
        '    fields:',
        '      status: { type: string }',
      ).replace('{ value: web }', '{ value: web, type: string }'),
      'ents.yaml',
    );
    const [order, line, customer, history] = defs;
    assert.deepEqual(order!.deletes, ['order.purged']);
    assert.deepEqual(order!.fields.map((f) => f.source), [
      { kind: 'paths', paths: [['order_id']] },
      { kind: 'paths', paths: [['customer', 'id']] },
      { kind: 'paths', paths: [['total']] },
      { kind: 'paths', paths: [['currency'], ['customer', 'currency']] },
      { kind: 'value', value: 'web' },
      { kind: 'expr', text: '$round(total * 100)' },
    ]);
    assert.deepEqual([order!.fields[2]!.precision, order!.fields[2]!.scale, order!.fields[3]!.default, order!.fields[1]!.index], [12, 2, 'EUR', true]);
    assert.deepEqual([line!.parent, line!.each, line!.types, line!.parentKey.map((f) => f.name), line!.fields[0]!.source], ['Order', ['lines'], [], ['order_id'], { kind: 'index' }]);
    assert.deepEqual([customer!.mode, customer!.when, customer!.fields[0]!.unique], ['merge', { kind: 'exists', path: ['customer', 'id'], exists: true }, true]);
    assert.deepEqual([history!.mode, history!.key], ['append', []]);
  });

  it('refuses mistakes in the mapping keys on their line, saying what to write', () => {
    refuses(order(['      order_id: string', '      total: { type: decimal }']), 8, /needs "precision" \(total digits\) and "scale".*precision: 12, scale: 2/);
    refuses(order(['      order_id: string', '      total: { type: number, precision: 3 }']), 8, /"precision" and "scale" fit only a field of type decimal/);
    refuses(order(['      order_id: string', '      a: { type: string, from: x, value: y }']), 8, /has both "from" and "value"; give one of from, value and expr/);
    refuses(order(['      order_id: string', '      a: { type: bigint, expr: "$round(total * " }']), 8, /"expr" of field "a" is not a valid JSONata expression: .*at character/);
    refuses(order(['      order_id: string', '      a: { type: integer, from: $index }']), 8, /needs a child entity \(parent \+ each\)/);
    refuses(order(['      order_id: string', '      a: { type: string, from: $nope }']), 8, /not an event attribute; use \$id, \$type, \$source, \$time or a data path/);
    refuses(order(['      order_id: string', '      a: { type: integer, default: many }']), 8, /"default" of field "a" must be an integer, got "many"/);
    refuses(order(['      order_id: string', '      a: { type: date, value: "2024-02-30" }']), 8, /"value" of field "a" must be a date like 2024-05-01/);
    refuses(order(['      order_id: string', '      a: { type: string, from: "customer..id" }']), 8, /is not a dotted path/);
    refuses(order(['      order_id: string'], ['    mode: replace']), 6, /mode "replace" of entity Order is unknown; use one of upsert, merge, append, insert-once/);
    refuses(order(['      order_id: string'], ['    when: { path: a }']), 6, /"when" of entity Order must be \{ path: customer\.id, exists: true \}/);
    refuses(order(['      order_id: string'], ['    each: lines']), 6, /has "each" but no "parent"/);
  });

  it('refuses a child whose parent is missing, a child itself, or clashes with its key', () => {
    const child = (parent: string, fields = '{ n: { from: $index, type: integer } }') => [`  - name: Line`, '    table: lines', `    parent: ${parent}`, '    each: lines', '    key: [n]', `    fields: ${fields}`];
    const orderLines = ['entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    key: [order_id]', '    fields: { order_id: string }'];
    refuses(file(...orderLines, ...child('Nope')), 9, /parent "Nope" of entity Line is not an entity of this file; name one of Order/);
    refuses(file(...orderLines, ...child('Order', '{ n: { from: $index, type: integer }, order_id: string }')), 9, /declares field "order_id", which is its parent's key field/);
    const sub = (fields: string) => ['  - name: Sub', '    table: subs', '    parent: Line', '    each: x', '    key: [m]', `    fields: ${fields}`];
    refuses(file(...orderLines, ...child('Order'), ...sub('{ m: integer, order_id: string }')), 15, /declares field "order_id", which is an ancestor's key field copied into every child row/);
    const loop = ['  - name: A', '    table: a', '    parent: B', '    each: x', '    key: [m]', '    fields: { m: integer }', '  - name: B', '    table: b', '    parent: A', '    each: y', '    key: [n]', '    fields: { n: integer }'];
    refuses(file(...orderLines, ...loop), 9, /entities A, B name each other as parent, so none of them has a root; the first entity of a chain needs "types" instead of "parent"/);
    refuses(file(...orderLines, ...child('Order').slice(0, 4), '    types: [x]', ...child('Order').slice(4)), 11, /is a child of Order: it follows its parent's events, so "types" does not apply/);
  });

  it('takes a child of a child, keyed by its ancestors\' keys and its own, whatever order the file lists them in', () => {
    const defs = parseEntityFile(
      [
        'entities:',
        '  - name: LineDiscount',
        '    table: line_discounts',
        '    parent: OrderLine',
        '    each: discounts',
        '    key: [code]',
        '    fields: { code: string }',
        '  - name: OrderLine',
        '    table: order_lines',
        '    parent: Order',
        '    each: lines',
        '    key: [line_no]',
        '    fields: { line_no: { from: $index, type: integer } }',
        '  - name: Order',
        '    table: orders',
        '    types: [order.created]',
        '    key: [order_id]',
        '    fields: { order_id: string }',
        '',
      ].join('\n'),
      'nested.yaml',
    );
    const discount = defs.find((d) => d.name === 'LineDiscount')!;
    assert.deepEqual(discount.parentKey.map((f) => [f.name, f.type]), [['order_id', 'string'], ['line_no', 'integer']]);
    assert.deepEqual(tableKey(discount), ['order_id', 'line_no', 'code']);
  });

  it('refuses duplicate entity names and duplicate tables', () => {
    const entity = (name: string, table: string, type: string): string[] => [`  - name: ${name}`, `    table: ${table}`, `    types: [${type}]`, '    key: [id]', '    fields: { id: string }'];
    refuses(file('entities:', ...entity('Order', 'orders', 'a'), ...entity('Order', 'orders2', 'b')), 7, /entity name "Order" is already used on line 2/);
    refuses(file('entities:', ...entity('Order', 'orders', 'a'), ...entity('Other', 'public.orders', 'b')), 8, /table public\.orders is already used by entity Order/);
  });

  it('refuses names with quotes, semicolons or spaces', () => {
    refuses(order(['      order_id: string'], []).replace('name: Order', 'name: "Order; DROP TABLE x"'), 2, /entity name "Order; DROP TABLE x" is not a plain identifier/);
    refuses(order(['      order_id: string'], []).replace('table: orders', 'table: \'orders"; DROP TABLE users; --\''), 3, /not a plain identifier/);
    refuses(order(['      order_id: string', `      'a"; DROP TABLE x; --': string`]), 8, /field name "a\\"; DROP TABLE x; --" is not a plain identifier/);
    refuses(order(['      order_id: string']).replace('table: orders', 'table: a.b.c'), 3, /must be "name" or "schema.name"/);
    refuses(order(['      order_id: string']).replace('table: orders', 'table: 1orders'), 3, /not a plain identifier/);
    refuses(order(['      order_id: string']).replace('table: orders', 'table: sluice.orders'), 3, /schema "sluice" is reserved/);
    refuses(order(['      order_id: string', `      ${'x'.repeat(64)}: string`]), 8, /PostgreSQL allows at most 63/);
  });

  it('refuses a field named like a system column', () => {
    refuses(order(['      order_id: string', '      _stream_seq: integer']), 8, /reserved for the column Sluice adds/);
  });

  it('refuses an invalid type pattern', () => {
    refuses(order(['      order_id: string']).replace('types: [order.created]', 'types: ["order.>.x"]'), 4, /not a valid type pattern/);
  });

  it('refuses unknown keys at every level', () => {
    refuses(file('version: 1', 'entities: []'), 1, /unknown key "version"/);
    refuses(order(['      order_id: string'], ['    tabel: x']), 6, /unknown entity key "tabel"/);
  });

  it('reports YAML syntax errors with their line', () => {
    refuses(file('entities:', '  - name: Order', '    table: orders', '    types: [order.created', '    key: [id]'), 5, /not valid YAML/);
    refuses(file('entities:', '  - name: Order', '    name: Again'), 3, /not valid YAML: .*unique/i);
  });

  it('refuses an empty file', () => {
    refuses('', 1, /the file is empty/);
  });

  it('loadEntityFile names the file in its errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-entities-'));
    try {
      const path = join(dir, 'sluice.entities.yaml');
      await writeFile(path, file('entities:', '  - name: Order', '    table: orders', '    types: [order.created]', '    key: [id]', '    fields: { id: strin }'));
      await assert.rejects(loadEntityFile(path), (e: unknown) => e instanceof EntityFileError && e.message.startsWith(`${path}:6: `));
      await assert.rejects(loadEntityFile(join(dir, 'missing.yaml')), /missing\.yaml: the entity file does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the shipped example', () => {
  it('examples/sluice.entities.yaml parses', async () => {
    const defs = await loadEntityFile(new URL('../../examples/sluice.entities.yaml', import.meta.url).pathname);
    assert.deepEqual(defs.map((d) => [d.name, `${d.table.schema}.${d.table.name}`, d.types, d.key]), [
      ['Order', 'public.orders', ['order.created', 'order.updated'], ['order_id']],
      ['Customer', 'public.customers', ['customer.*'], ['customer_id']],
      ['Invoice', 'public.invoices', ['invoice.issued', 'invoice.amended'], ['invoice_id']],
      ['InvoiceLine', 'public.invoice_lines', [], ['line_no']],
      ['CustomerProfile', 'public.customer_profiles', ['invoice.issued', 'profile.*'], ['customer_id']],
      ['Payment', 'public.payments', ['payment.*'], []],
      ['FirstInvoice', 'public.first_invoices', ['invoice.issued'], ['customer_id']],
    ]);
  });
});
