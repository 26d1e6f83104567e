import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { entityTypeScript, parseEntityFile } from '../../src/entities/index.js';
import { SHOP_ENTITIES } from './fixtures-shop.js';

const defs = parseEntityFile(
  `entities:
  - name: Order
    table: orders
    types: ["order.created", "order.updated"]
    key: [order_id]
    fields:
      order_id:  { type: string, description: "The order's id */ not a comment end" }
      status:    { type: string, enum: [pending, paid] }
      total:     { type: number, minimum: 0 }
      placed_at: { type: timestamp }
      lines:     { type: json }
      rush:      { type: boolean, required: true }
  - name: string
    table: strings
    types: ["text.*"]
    key: [id]
    fields:
      id: integer
`,
  'ents.yaml',
);

describe('entityTypeScript', () => {
  const source = entityTypeScript(defs);

  it('declares required and optional fields, literal unions, and the pattern map', () => {
    assert.match(source, /export interface Order \{/);
    assert.match(source, /\n {2}order_id: string;/);
    assert.match(source, /\n {2}status\?: "pending" \| "paid" \| null;/);
    assert.match(source, /\n {2}total\?: number \| null;/);
    assert.match(source, /\n {2}placed_at\?: string \| null;/);
    assert.match(source, /\n {2}lines\?: unknown;/);
    assert.match(source, /\n {2}rush: boolean;/);
    assert.match(source, /"order\.created": Order;/);
    assert.match(source, /"text\.\*": string_;/);
  });

  it('produces TypeScript that compiles and types the data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-types-'));
    try {
      await writeFile(join(dir, 'entities.ts'), source);
      await writeFile(
        join(dir, 'use.ts'),
        `import type { EntityEventTypes, Order } from './entities.js';
const ok: Order = { order_id: 'o', rush: false, status: 'paid', total: null, lines: { any: 1 } };
const byType: EntityEventTypes['order.updated'] = ok;
// @ts-expect-error status is not one of the declared values
const badStatus: Order = { order_id: 'o', rush: true, status: 'lost' };
// @ts-expect-error rush is required
const missing: Order = { order_id: 'o' };
export { ok, byType, badStatus, missing };
`,
      );
      // The smallest standard library the checker needs; the real one takes seconds to load.
      await writeFile(
        join(dir, 'lib.d.ts'),
        'interface Array<T> { length: number; [n: number]: T } interface Boolean {} interface CallableFunction {} interface Function {} interface IArguments {} interface NewableFunction {} interface Number {} interface Object {} interface RegExp {} interface String {}\n',
      );
      const options = { strict: true, noEmit: true, noLib: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
      const program = ts.createProgram([join(dir, 'lib.d.ts'), join(dir, 'use.ts')], options);
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(problems, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('nests path fields, puts children in their parent as arrays, and intersects entities sharing a type', async () => {
    const shop = entityTypeScript(parseEntityFile(SHOP_ENTITIES, 'shop.yaml'));
    assert.match(shop, /export interface Order \{\n {2}order_id: string;\n {2}customer\?: \{\n {4}id\?: string \| null;\n {4}currency\?: string \| null;\n {2}\} \| null;\n/);
    assert.match(shop, /\n {2}total\?: number \| string \| null;/);
    assert.match(shop, /\n {2}lines\?: Array<OrderLine> \| null;/);
    assert.match(shop, /export interface OrderLine \{\n {2}sku: string;/);
    assert.match(shop, /"order\.created": Order & Customer & FirstTouch;/);
    assert.doesNotMatch(shop, /channel|total_cents|received_by/, 'constants, expressions and attributes are not read from the data');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-types-'));
    try {
      await writeFile(join(dir, 'entities.ts'), shop);
      await writeFile(
        join(dir, 'use.ts'),
        `import type { EntityEventTypes } from './entities.js';
const created: EntityEventTypes['order.created'] = { order_id: 'o', total: '12.50', customer: { id: 'c', email: 'a@b.c' }, lines: [{ sku: 'a', qty: 1 }] };
// @ts-expect-error a line needs its sku
const noSku: EntityEventTypes['order.created'] = { order_id: 'o', lines: [{ qty: 1 }] };
export { created, noSku };
`,
      );
      await writeFile(
        join(dir, 'lib.d.ts'),
        'interface Array<T> { length: number; [n: number]: T } interface Boolean {} interface CallableFunction {} interface Function {} interface IArguments {} interface NewableFunction {} interface Number {} interface Object {} interface RegExp {} interface String {}\n',
      );
      const options = { strict: true, noEmit: true, noLib: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
      const program = ts.createProgram([join(dir, 'lib.d.ts'), join(dir, 'use.ts')], options);
      assert.deepEqual(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
