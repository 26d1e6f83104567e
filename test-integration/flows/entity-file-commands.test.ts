import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { writeEntityFile } from '../../test/helpers/flows.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the built `sluice` command (npm run build makes dist/). */
function sluice(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/sluice.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const entity = (over: { name?: string; table?: string; key?: string; field?: string }) => `entities:
  - name: ${over.name ?? 'Order'}
    table: ${over.table ?? 'orders'}
    types: ["order.*"]
    key: [${over.key ?? 'order_id'}]
    fields:
      ${over.field ?? 'order_id'}: { type: string, required: true }
      total: { type: number }
`;

describe('sluice migrate and sluice entities types with an entity file', () => {
  let db: TestDatabase;
  before(async () => {
    assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'run npm run build first: the commands run from dist/');
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  const tables = async () =>
    (await db.query<{ t: string }>("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")).map((r) => r.t);

  it('refuses names with quotes and semicolons at start, with file:line:reason, and touches nothing', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [entity({ table: `'orders"; DROP TABLE sluice.events; --'` }), 3, /(schema|table name) .* is not a plain identifier/],
      [entity({ table: `"analytics;x.orders"` }), 3, /is not a plain identifier/],
      [entity({ name: `'Order"'` }), 2, /entity name/],
      [entity({ field: `"total; DROP TABLE orders"`, key: `"total; DROP TABLE orders"` }), 7, /not a plain identifier|field name/],
      [entity({ key: `'order_id"'` }), 5, /key/],
    ];
    for (const [text, line, reason] of cases) {
      const file = writeEntityFile(text);
      const r = await sluice(['migrate'], { SLUICE_ENTITIES: file, DATABASE_URL: db.url });
      assert.equal(r.code, 1, `exit code for:\n${text}\n${r.stderr}`);
      const first = r.stderr.trim().split('\n');
      assert.equal(first.length, 1, `one line: ${r.stderr}`);
      const expected = `${file}:${line}: `;
      assert.ok(first[0]!.includes(expected), `names ${expected} in: ${first[0]}`);
      assert.match(first[0]!, reason);
    }
    assert.deepEqual(await tables(), [], 'no table was created or dropped');
  });

  it('creates the entity tables and the system tables with a good file', async () => {
    const r = await sluice(['migrate'], { SLUICE_ENTITIES: writeEntityFile(), DATABASE_URL: db.url });
    assert.equal(r.code, 0, r.stderr);
    const all = await tables();
    for (const t of ['public.customers', 'public.orders', 'sluice.events', 'sluice.message_status', 'sluice.replays']) assert.ok(all.includes(t), `${t} in ${all.join(', ')}`);
    const columns = await db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position");
    assert.deepEqual(columns.map((c) => c.column_name), ['order_id', 'status', 'total', 'currency', 'customer', 'placed_at', 'lines', '_message_id', '_event_type', '_stream_seq', '_updated_at']);
  });

  it('prints TypeScript types for the declared entities that the compiler accepts', async () => {
    const r = await sluice(['entities', 'types'], { SLUICE_ENTITIES: writeEntityFile() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /export interface Order \{/);
    assert.match(r.stdout, /order_id: string;/);
    assert.match(r.stdout, /status\?: "pending" \| "paid" \| "shipped" \| "cancelled" \| null;/);
    assert.match(r.stdout, /export interface Customer \{/);
    const file = writeEntityFile(`${r.stdout}\nexport const o: Order = { order_id: 'o-1', total: 3 };\n`, 'types.ts');
    const tsc = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', file], { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(tsc.code, 0, tsc.out);
  });
});
