import { closeSync, cpSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

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

/** Runs initdb into `${templateDir}/db` and records the PGlite version that made it (run by the build). */
export async function writeDataTemplate(templateDir = defaultTemplateDir()): Promise<void> {
  const building = `${templateDir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const db = new PGlite(join(building, 'db'));
  await db.waitReady;
  await db.close();
  rmSync(join(building, 'db', 'postmaster.pid'), { force: true });
  writeFileSync(join(building, 'pglite-version'), pgliteVersion());
  rmSync(templateDir, { recursive: true, force: true });
  renameSync(building, templateDir);
}

/**
 * Makes `dir` a copy of the template when it holds no database yet and the template was made by
 * the installed PGlite; returns whether it did (otherwise PGlite runs initdb itself, as it does
 * when the template cannot be read). The copy is written beside `dir`, synced, then renamed into
 * place, so a crash never leaves half a database. The caller holds the data directory's lock.
 */
export function seedFromTemplate(dir: string, templateDir = defaultTemplateDir()): boolean {
  if (existsSync(dir) && readdirSync(dir).length > 0) return false;
  let version: string;
  try {
    version = readFileSync(join(templateDir, 'pglite-version'), 'utf8');
  } catch {
    return false;
  }
  if (version !== pgliteVersion()) return false;
  const copying = `${dir}.copying`;
  rmSync(copying, { recursive: true, force: true });
  try {
    cpSync(join(templateDir, 'db'), copying, { recursive: true });
    syncTree(copying);
  } catch {
    // An unreadable template (or a failed copy) is only a slower start: PGlite runs initdb.
    rmSync(copying, { recursive: true, force: true });
    return false;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(copying, dir);
  syncPath(dirname(dir));
  return true;
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else syncPath(path);
  }
  syncPath(dir);
}
