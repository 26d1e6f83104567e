import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { seedFromTemplate, writeDataTemplate } from '../../src/store/embedded/data-template.js';

/** Every path under `dir` (itself included) with its permission bits. */
function modes(dir: string): { path: string; directory: boolean; mode: number }[] {
  const stat = lstatSync(dir);
  const here = { path: dir, directory: stat.isDirectory(), mode: stat.mode & 0o7777 };
  if (!here.directory) return [here];
  return [here, ...readdirSync(dir).flatMap((name) => modes(join(dir, name)))];
}

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

  test('is writable by its owner alone, and a copy is the owner\'s alone: files 0600, directories 0700', async () => {
    const writable = modes(template).filter(({ mode }) => (mode & 0o022) !== 0);
    assert.deepEqual(writable, []);
    // Even from a template whose files are read-only or world-writable.
    const odd = join(root, 'odd');
    cpSync(template, odd, { recursive: true });
    for (const { path, directory } of modes(join(odd, 'db'))) {
      chmodSync(path, directory ? 0o777 : path.endsWith('PG_VERSION') ? 0o444 : 0o666);
    }
    for (const [from, dir] of [[template, join(root, 'modes', 'db')], [odd, join(root, 'odd-modes', 'db')]] as const) {
      assert.equal(await seedFromTemplate(dir, from), true);
      const copied = modes(dir);
      assert.ok(copied.length > 100, `${copied.length} paths`);
      assert.deepEqual(copied.filter(({ directory, mode }) => mode !== (directory ? 0o700 : 0o600)), []);
    }
  });

  test("a database PGlite's initdb made (no template for this version) is the owner's alone too, and so is the data directory", async () => {
    const dataDir = join(root, 'initdb');
    const sql = await createEmbeddedSqlClient({ dataDir, templateDir: join(root, 'no-template-here') });
    try {
      await sql.exec('CREATE TABLE t (n int PRIMARY KEY); INSERT INTO t VALUES (1)');
    } finally {
      await sql.close();
    }
    const made = modes(join(dataDir, 'db'));
    assert.ok(made.length > 100, `${made.length} paths`);
    assert.deepEqual(made.filter(({ mode }) => (mode & 0o077) !== 0), []);
    assert.equal(lstatSync(dataDir).mode & 0o777, 0o700);
    // A database directory an older version left 0755 is closed at the next open.
    chmodSync(join(dataDir, 'db'), 0o755);
    await (await createEmbeddedSqlClient({ dataDir, templateDir: join(root, 'no-template-here') })).close();
    assert.equal(lstatSync(join(dataDir, 'db')).mode & 0o777, 0o700);
  });

  test('a template that cannot be found leaves the directory to initdb', async () => {
    // The default template is the package's, found by resolving `sluice/package.json`: when that
    // throws, opening the database must still go on, with initdb.
    const dir = join(root, 'unresolved', 'db');
    const unresolvable = (): string => {
      throw Object.assign(new Error("Cannot find module 'sluice/package.json'"), { code: 'MODULE_NOT_FOUND' });
    };
    assert.equal(await seedFromTemplate(dir, unresolvable), false);
    assert.ok(!existsSync(dir));
    assert.ok(!existsSync(`${dir}.copying`));
  });

  test('initdb that cannot write leaves no template and no half-built one', async () => {
    writeFileSync(join(root, 'a-file'), '');
    const target = join(root, 'a-file', 'template');
    await assert.rejects(writeDataTemplate(target), { code: 'ENOTDIR' });
    assert.ok(!existsSync(`${target}.building`));
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
