// The README table, .env.example and `sluice --help` come from src/config/variables.ts; these
// tests fail when a file was not regenerated (npm run config:docs) or the loader reads a
// variable the declaration does not have.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { VARIABLES, configHelp, envExample, loadConfig, readVariables } from '../../src/config/index.js';
import { main } from '../../src/cli/main.js';
import { readmeWithTable } from '../../scripts/config-docs.js';

const ROOT = new URL('../../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, ROOT), 'utf8');
const names = Object.keys(VARIABLES);

describe('configuration documents', () => {
  it('README.md has the generated table (npm run config:docs)', () => {
    const readme = read('README.md');
    assert.equal(readme, readmeWithTable(readme), 'README.md differs from the declaration: run npm run config:docs');
  });

  it('.env.example is the generated one (npm run config:docs)', () => {
    assert.equal(read('.env.example'), envExample(), '.env.example differs from the declaration: run npm run config:docs');
  });

  it('lists every variable once in the README, .env.example and sluice --help', () => {
    const readme = read('README.md');
    for (const name of names) {
      assert.equal(readme.split(`| \`${name}\` |`).length, 2, `README row of ${name}`);
      assert.equal(envExample().split(`\n#${name}=\n`).length, 2, `.env.example line of ${name}`);
      assert.match(configHelp(), new RegExp(`^  ${name} +\\S`, 'm'), `--help line of ${name}`);
    }
  });

  it('sluice --help prints the variables with their defaults', async () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => void printed.push(parts.join(' '));
    try {
      assert.equal(await main(['--help']), 0);
    } finally {
      console.log = log;
    }
    assert.match(printed.join('\n'), /^ {2}STREAM_MAX_AGE +stream max age .*\(default 7d\)$/m);
    assert.match(printed.join('\n'), /^ {2}NATS_URL +.*\(unset: embedded bus\)$/m);
  });
});

describe('configuration declaration', () => {
  it('every default reads without error, and is what the loader uses when the variable is unset', () => {
    const unset = readVariables({});
    for (const [name, variable] of Object.entries(VARIABLES)) {
      if (variable.default === null) continue;
      assert.deepEqual(readVariables({ [name]: variable.default })[name as keyof typeof unset], unset[name as keyof typeof unset], name);
    }
  });

  it('the loader reads only declared variables', () => {
    const seen = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(_target, key) {
        if (typeof key === 'string') seen.add(key);
        return undefined;
      },
    });
    loadConfig(env);
    assert.deepEqual([...seen].filter((n) => !names.includes(n)), []);
    assert.deepEqual(names.filter((n) => !seen.has(n)), [], 'every declared variable is read');
  });
});
