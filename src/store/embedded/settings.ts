import { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL settings for the one backend PGlite runs. PGlite zero-fills the shared memory it
 * allocates inside its WebAssembly memory, so all of shared_buffers is resident from the start:
 * initdb's 128 MB made it most of `npm start`'s RSS. A page evicted from these buffers is still in
 * the OS page cache (PGlite reads and writes the files under `db/`), so a smaller pool costs a
 * copy, not a disk read (BENCHMARKS.md, "Embedded mode memory").
 */
const SETTINGS = ['shared_buffers=16MB'];

/**
 * PGlite's start parameters with those settings: for the database a data directory opens, and for
 * the build's template, whose initdb runs beside a PGlite instance started with them.
 */
export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...SETTINGS.flatMap((setting) => ['-c', setting])];
}
