// Compiles the TypeScript sources to dist/ and copies the SQL migrations beside them.
// Runs from `npm ci` (prepare), so the `sluice` bin works with no further step.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDataTemplate } from './build-data-template.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // Installed without dev dependencies (a production image): dist/ must already be there.
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) process.exit(0);
  console.error('sluice build: typescript is not installed and dist/ is missing; run `npm install`.');
  process.exit(1);
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
cpSync(join(root, 'src', 'store', 'sql'), join(root, 'dist', 'store', 'sql'), { recursive: true });

// The embedded database's template: a failure is a warning (scripts/build-data-template.mjs).
buildDataTemplate({
  module: join(root, 'dist', 'store', 'embedded', 'data-template.js'),
  templateDir: join(root, 'dist', 'pgdata-template'),
  root,
});

// The command line as one file: Node resolves, reads and links about 900 modules otherwise, which
// was two thirds of the time to the first 202. Packages with native code, WebAssembly or files of
// their own stay outside and load from node_modules. bin/sluice.js falls back to dist/cli/main.js.
const { build } = await import('esbuild');
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: join(root, 'dist', 'cli', 'main.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['lmdb', '@electric-sql/pglite', 'pg-native', '@fastify/swagger-ui', 'pino', 'pino-pretty', 'thread-stream'],
  // Bundled CommonJS packages call require(): give the ES module one.
  banner: { js: "import { createRequire as sluiceCreateRequire } from 'node:module'; const require = sluiceCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const consoleBuild = join(root, 'scripts', 'build-console.mjs');
if (existsSync(consoleBuild)) {
  const c = spawnSync(process.execPath, [consoleBuild], { stdio: 'inherit' });
  if (c.status !== 0) process.exit(c.status ?? 1);
}
