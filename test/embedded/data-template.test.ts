import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { seedFromTemplate, writeDataTemplate } from '../../src/store/embedded/data-template.js';

describe('the embedded database template', { timeout: 240_000 }, () => {
  let root: string;
  let template: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sluice-template-'));
    template = join(root, 'template');
    await writeDataTemplate(template);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a new data directory starts as a copy of it, and the database opens and writes', async () => {
    const dataDir = join(root, 'new');
    const sql = await createEmbeddedSqlClient({ dataDir, templateDir: template });
    try {
      await sql.exec('CREATE TABLE t (n int PRIMARY KEY); INSERT INTO t VALUES (1), (2)');
      assert.deepEqual((await sql.query<{ n: number }>('SELECT n FROM t ORDER BY n')).rows, [{ n: 1 }, { n: 2 }]);
    } finally {
      await sql.close();
    }
    assert.ok(existsSync(join(dataDir, 'db', 'PG_VERSION')));
    assert.ok(!existsSync(join(dataDir, 'db.copying')));
    // The template itself is untouched: a second database starts empty.
    const other = await createEmbeddedSqlClient({ dataDir: join(root, 'other'), templateDir: template });
    try {
      assert.deepEqual((await other.query("SELECT to_regclass('public.t') AS t")).rows, [{ t: null }]);
    } finally {
      await other.close();
    }
  });

  test('a directory that already holds files is left as it is', async () => {
    const dir = join(root, 'kept', 'db');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'PG_VERSION'), 'mine');
    assert.equal(await seedFromTemplate(dir, template), false);
    assert.deepEqual(readdirSync(dir), ['PG_VERSION']);
  });

  test('a template made by another PGlite version is not used', async () => {
    const stale = join(root, 'stale');
    cpSync(template, stale, { recursive: true });
    writeFileSync(join(stale, 'pglite-version'), '0.0.0-other');
    const dir = join(root, 'fresh', 'db');
    assert.equal(await seedFromTemplate(dir, stale), false);
    assert.ok(!existsSync(dir));
  });

  test('a template that cannot be copied leaves the directory to initdb', async () => {
    const broken = join(root, 'broken');
    mkdirSync(broken);
    cpSync(join(template, 'pglite-version'), join(broken, 'pglite-version'));
    const dir = join(root, 'unseeded', 'db');
    assert.equal(await seedFromTemplate(dir, broken), false);
    assert.ok(!existsSync(dir));
    assert.ok(!existsSync(`${dir}.copying`));
  });

  test('a copy left half-done by a crash is replaced', async () => {
    const dir = join(root, 'crashed', 'db');
    mkdirSync(`${dir}.copying/base`, { recursive: true });
    writeFileSync(join(`${dir}.copying`, 'base', 'partial'), 'x');
    assert.equal(await seedFromTemplate(dir, template), true);
    assert.ok(existsSync(join(dir, 'PG_VERSION')));
    assert.ok(!existsSync(join(dir, 'base', 'partial')));
    assert.ok(!existsSync(`${dir}.copying`));
  });
});
