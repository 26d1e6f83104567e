// Builds the web console (console/) into console-dist/ with Vite's JS API.
// Called by scripts/build.mjs; also runnable alone: `node scripts/build-console.mjs`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'console-dist');

let vite;
try {
  vite = await import('vite');
} catch {
  // Installed without dev dependencies (a production image): the built console must be there.
  if (existsSync(join(outDir, 'index.html'))) process.exit(0);
  console.error('sluice build: vite is not installed and console-dist/ is missing; run `npm install`.');
  process.exit(1);
}

const started = Date.now();
await vite.build({
  root: join(root, 'console'),
  // Assets live under /console/ so they never collide with API routes.
  base: '/console/',
  configFile: false,
  logLevel: 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
console.log(`sluice build: console built into console-dist/ in ${Date.now() - started} ms`);
