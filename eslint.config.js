import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The arrows between the parts of src/ (docs/architecture.md), checked on every import.
// A part is a folder of src/ reached only through its index.ts; the ones named here are known
// to the rules, and a new folder is a part too (the index.ts rule needs its name added).
const PARTS = ['envelope', 'errors', 'config', 'log', 'metrics', 'data-dir', 'entities', 'subscriptions', 'bus', 'store', 'gateway', 'worker', 'delivery', 'console-server', 'client', 'bus-library', 'cli'];
const ADAPTERS = ['bus/jetstream', 'bus/embedded', 'store/postgres', 'store/embedded'];
const NATS = ['@nats-io/*', 'lmdb'];
const SQL = ['pg', 'pg-copy-streams', '@electric-sql/pglite'];
const HTTP = ['fastify', '@fastify/*'];

/** The relative import of another part's folder from anywhere inside src/<part>/. */
const partPath = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

/**
 * One no-restricted-imports entry per folder (flat config does not merge a rule's options across
 * entries, so each folder states all of its limits here).
 */
function arrows(part, { parts = [], packages = [], deep = [] } = {}) {
  const patterns = [
    {
      regex: `^${deep.map((d) => `(?!(\\.\\./)+${d.replaceAll('.', '\\.')}$)`).join('')}(\\.\\./)+(${PARTS.filter((p) => p !== part).join('|')})/(?!index\\.js$)`,
      message: 'Import another part through its index.js (its public face), not its files.',
    },
  ];
  if (part !== 'cli') {
    const owned = ADAPTERS.filter((a) => !a.startsWith(`${part}/`) && !deep.some((d) => d.startsWith(`${a}/`)));
    patterns.push({ regex: partPath(owned), message: 'Only src/cli wires concrete adapters; depend on the port (bus/index.js, store/index.js).' });
    patterns.push({ regex: partPath(['cli']), message: 'Nothing imports the command line; it imports everything.' });
  }
  if (parts.length > 0) patterns.push({ regex: partPath(parts), message: `src/${part} may not depend on ${parts.join(', ')} (docs/architecture.md).` });
  if (packages.length > 0) patterns.push({ group: packages, message: `src/${part} does not use ${packages.join(', ')}: that knowledge belongs to another part (docs/architecture.md).` });
  return { files: [`src/${part}/**`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

const EVERY_OTHER = (part) => PARTS.filter((p) => p !== part);

export default tseslint.config(
  { ignores: ['dist/**', 'console-dist/**', 'node_modules/**', 'coverage/**', 'console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', Buffer: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config only.' }],
    },
  },
  arrows('envelope', { parts: EVERY_OTHER('envelope') }),
  arrows('errors', { parts: EVERY_OTHER('errors') }),
  arrows('client', { parts: EVERY_OTHER('client') }),
  arrows('data-dir', { parts: EVERY_OTHER('data-dir') }),
  arrows('log', { parts: EVERY_OTHER('log') }),
  arrows('metrics', { parts: EVERY_OTHER('metrics') }),
  arrows('config', { parts: EVERY_OTHER('config').filter((p) => p !== 'envelope') }),
  arrows('entities', { parts: EVERY_OTHER('entities').filter((p) => !['envelope', 'errors'].includes(p)) }),
  // A subscription's definition: rules on a file and on API input, read by the store, the gateway and delivery alike.
  arrows('subscriptions', { parts: EVERY_OTHER('subscriptions').filter((p) => !['envelope', 'config'].includes(p)), packages: [...NATS, ...SQL, ...HTTP] }),
  // The bus knows nothing of HTTP or SQL, nor of who publishes or consumes.
  arrows('bus', { parts: ['store', 'entities', 'gateway', 'worker', 'delivery', 'console-server', 'client', 'bus-library'], packages: [...SQL, ...HTTP] }),
  // The store knows nothing of NATS, nor of who reads or writes.
  arrows('store', { parts: ['bus', 'gateway', 'worker', 'delivery', 'console-server', 'client', 'bus-library'], packages: [...NATS, ...HTTP] }),
  // gateway, worker and delivery never import each other; they reach NATS and SQL through the ports.
  arrows('gateway', { parts: ['worker', 'delivery', 'bus-library', 'client'], packages: [...NATS, ...SQL] }),
  arrows('worker', { parts: ['gateway', 'delivery', 'bus-library', 'client', 'console-server'], packages: [...NATS, ...SQL, ...HTTP] }),
  arrows('delivery', { parts: ['gateway', 'worker', 'bus-library', 'client', 'console-server'], packages: [...NATS, ...SQL, ...HTTP] }),
  arrows('console-server', { parts: EVERY_OTHER('console-server').filter((p) => p !== 'errors') }),
  // The bus library (sluice/bus) builds on src/bus's public face (its JetStream plumbing, opened
  // through bus/index.js) and talks to NATS only through it.
  arrows('bus-library', { parts: ['store', 'entities', 'gateway', 'worker', 'delivery', 'console-server', 'client'], packages: [...NATS, ...SQL, ...HTTP] }),
  arrows('cli', { deep: ADAPTERS.map((a) => `${a}/index.js`) }),
  {
    files: ['src/config/**', 'src/cli/**', 'test/**', 'test-integration/**', 'test-faults/**', 'test-cluster/**', 'bench/**', 'scripts/**', 'bin/**', 'src/bus-library/**', 'console/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
