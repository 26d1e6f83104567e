import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
// @ts-expect-error: a plain ES module script without types
import { buildDataTemplate as untyped } from '../../scripts/build-data-template.mjs';

const buildDataTemplate = untyped as (options: { module: string; templateDir: string; root: string }) => boolean;

/** Runs the build's template step and returns what it wrote on stderr. */
function step(module: string, templateDir: string, root: string): { built: boolean; stderr: string } {
  let stderr = '';
  const write = mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { built: buildDataTemplate({ module, templateDir, root }), stderr };
  } finally {
    write.mock.restore();
  }
}

describe("the build's template step", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-template-step-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  // The child process runs plain Node: the step is given the compiled module, here a stand-in.
  const fake = (name: string, body: string): string => {
    const path = join(root, `${name}.mjs`);
    writeFileSync(path, `import { mkdirSync, writeFileSync } from 'node:fs';\nexport async function writeDataTemplate(dir) {\n${body}\n}\n`);
    return path;
  };

  test('a failed initdb is one warning line, and the build goes on', () => {
    const module = fake('fails', "throw new Error('INITDB failed to initialize: out of memory\\nmore detail');");
    const { built, stderr } = step(module, join(root, 'dist', 'pgdata-template'), root);
    assert.equal(built, false);
    assert.equal(stderr.split('\n').filter(Boolean).length, 1, stderr);
    assert.match(stderr, /^sluice build: warning: initdb for the embedded database template dist\/pgdata-template\/ failed \(INITDB failed to initialize: out of memory more detail, exit code 1\); new embedded data directories will run initdb at their first start\n$/);
  });

  test('a process killed part way leaves no template behind', () => {
    const templateDir = join(root, 'killed', 'pgdata-template');
    const module = fake('killed', "mkdirSync(dir + '.building/db', { recursive: true }); mkdirSync(dir); process.kill(process.pid, 'SIGKILL');");
    const { built, stderr } = step(module, templateDir, root);
    assert.equal(built, false);
    assert.match(stderr, /failed \(killed by SIGKILL\); new embedded data directories will run initdb/);
    assert.ok(!existsSync(templateDir));
    assert.ok(!existsSync(`${templateDir}.building`));
  });

  test('a module that does not load is a warning too', () => {
    const { built, stderr } = step(join(root, 'missing.js'), join(root, 'none', 'pgdata-template'), root);
    assert.equal(built, false);
    assert.match(stderr, /^sluice build: warning: initdb for the embedded database template none\/pgdata-template\/ failed \(.*missing\.js.*\); new embedded/);
  });

  test('a template that is built is kept, with no warning', () => {
    const templateDir = join(root, 'ok', 'pgdata-template');
    const module = fake('builds', "mkdirSync(dir, { recursive: true }); writeFileSync(dir + '/pglite-version', '1');");
    assert.deepEqual(step(module, templateDir, root), { built: true, stderr: '' });
    assert.equal(readFileSync(join(templateDir, 'pglite-version'), 'utf8'), '1');
  });
});
