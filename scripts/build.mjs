// Compiles the TypeScript sources to dist/ and copies the SQL migrations beside them.
// Runs from `npm ci` (prepare), so the `sluice` bin works with no further step.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const consoleBuild = join(root, 'scripts', 'build-console.mjs');
if (existsSync(consoleBuild)) {
  const c = spawnSync(process.execPath, [consoleBuild], { stdio: 'inherit' });
  if (c.status !== 0) process.exit(c.status ?? 1);
}
