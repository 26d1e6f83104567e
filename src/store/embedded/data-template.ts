import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, cp, lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { embeddedStartParams } from './settings.js';

const require = createRequire(import.meta.url);

/**
 * A new embedded database starts as a copy of a database initialised at build time. PGlite 0.5
 * initialises one by running initdb's WebAssembly beside a second PGlite instance and a copy of that
 * instance's whole memory, which took `npm start`'s peak RSS to 730-880 MB on its first start
 * (BENCHMARKS.md, "Embedded mode memory"); copying files takes none of it, and is faster.
 */

/** `dist/pgdata-template/` of this package, where the build writes the template. */
export function defaultTemplateDir(): string {
  return join(dirname(require.resolve('sluice/package.json')), 'dist', 'pgdata-template');
}

/** The installed PGlite's version: a template from another PostgreSQL build may not open. */
function pgliteVersion(): string {
  for (let dir = dirname(require.resolve('@electric-sql/pglite')); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

/**
 * Runs initdb into `${templateDir}/db` and records the PGlite version that made it (run by the
 * build). PGlite writes its files mode 0666; the template is left writable by its owner alone, as
 * an image's read-only code is. On failure nothing is left at `templateDir`.
 */
export async function writeDataTemplate(templateDir = defaultTemplateDir()): Promise<void> {
  const building = `${templateDir}.building`;
  rmSync(templateDir, { recursive: true, force: true });
  rmSync(building, { recursive: true, force: true });
  try {
    mkdirSync(building, { recursive: true });
    // The settings a data directory opens with: initdb's helper instance starts with them too.
    const db = new PGlite(join(building, 'db'), { startParams: embeddedStartParams() });
    await db.waitReady;
    await db.close();
    rmSync(join(building, 'db', 'postmaster.pid'), { force: true });
    writeFileSync(join(building, 'pglite-version'), pgliteVersion());
    await withoutGroupOrWorldWrite(building);
    renameSync(building, templateDir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
}

/** `chmod -R go-w dir` (symbolic links left as they are). */
async function withoutGroupOrWorldWrite(dir: string): Promise<void> {
  for (const { path } of await listTree(dir)) {
    const stat = await lstat(path);
    if (!stat.isSymbolicLink() && (stat.mode & 0o022) !== 0) await chmod(path, stat.mode & 0o7755);
  }
}

/**
 * Makes `dir` a copy of the template when it holds no database yet and the template was made by
 * the installed PGlite; returns whether it did (otherwise PGlite runs initdb itself, as it does
 * when the template cannot be read). The copy is written beside `dir`, synced, then renamed into
 * place, so a crash never leaves half a database. The copy's files are the owner's alone (0600,
 * directories 0700), whatever the template's modes. The caller holds the data directory's lock.
 * `templateDir` defaults to the package's template; when that cannot be found either (the package
 * is not resolvable as `sluice`), PGlite runs initdb.
 */
export async function seedFromTemplate(dir: string, templateDir: string | (() => string) = defaultTemplateDir): Promise<boolean> {
  if (existsSync(dir) && readdirSync(dir).length > 0) return false;
  let template: string;
  let version: string;
  try {
    template = typeof templateDir === 'string' ? templateDir : templateDir();
    version = readFileSync(join(template, 'pglite-version'), 'utf8');
  } catch {
    return false;
  }
  if (version !== pgliteVersion()) return false;
  const copying = `${dir}.copying`;
  await rm(copying, { recursive: true, force: true });
  try {
    // Asynchronous: on a busy disk the copy and its syncs take a second or more, and the gateway
    // answers its first events meanwhile.
    await cp(join(template, 'db'), copying, { recursive: true });
    await makeOwnerOnly(copying, { sync: true });
  } catch {
    // An unreadable template (or a failed copy) is only a slower start: PGlite runs initdb.
    await rm(copying, { recursive: true, force: true });
    return false;
  }
  await rm(dir, { recursive: true, force: true });
  await rename(copying, dir);
  await syncPath(dirname(dir));
  return true;
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Gives every file under `dir` mode 0600 and every directory 0700 (and syncs each when `sync`), 16
 * at a time (a database has about a thousand). PostgreSQL's own initdb makes its files the
 * owner's alone; PGlite's writes them 0666.
 */
export async function makeOwnerOnly(dir: string, { sync }: { sync: boolean }): Promise<void> {
  const entries = await listTree(dir);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < entries.length) {
      const { path, directory } = entries[next++]!;
      await chmod(path, directory ? 0o700 : 0o600);
      if (sync) await syncPath(path);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}

async function listTree(dir: string): Promise<{ path: string; directory: boolean }[]> {
  const entries = [{ path: dir, directory: true }];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) entries.push(...(await listTree(path)));
    else entries.push({ path, directory: false });
  }
  return entries;
}
