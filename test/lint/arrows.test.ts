// The import rules in eslint.config.js keep the arrows of docs/architecture.md: each case is an
// import the rules must refuse, or one they must let through, in a file of the named folder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../../', import.meta.url).pathname });

async function importProblems(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const refused: Array<[string, string, RegExp]> = [
  ['src/gateway/routes/example.ts', "import { x } from '../../worker/index.js';", /may not depend on worker/],
  ['src/gateway/example.ts', "import { x } from '../delivery/index.js';", /may not depend on/],
  ['src/worker/example.ts', "import { x } from '../gateway/index.js';", /may not depend on/],
  ['src/delivery/example.ts', "import { x } from '../worker/index.js';", /may not depend on/],
  ['src/bus/jetstream/example.ts', "import x from 'pg';", /does not use/],
  ['src/bus/example.ts', "import x from 'fastify';", /does not use/],
  ['src/bus/example.ts', "import { x } from '../store/index.js';", /may not depend on store/],
  ['src/store/example.ts', "import { x } from '@nats-io/jetstream';", /does not use/],
  ['src/store/postgres/example.ts', "import { x } from '../../bus/index.js';", /may not depend on bus/],
  ['src/gateway/example.ts', "import { x } from '../bus/jetstream/index.js';", /Only src\/cli wires concrete adapters/],
  ['src/worker/example.ts', "import { x } from '../store/postgres/index.js';", /Only src\/cli wires concrete adapters/],
  ['src/worker/example.ts', "import { x } from '../entities/model.js';", /through its index\.js/],
  ['src/bus-library/example.ts', "import { x } from '../bus/jetstream/wire.js';", /through its index\.js/],
  ['src/bus-library/example.ts', "import { x } from '../bus/jetstream/index.js';", /Only src\/cli wires concrete adapters/],
  ['src/bus-library/example.ts', "import { x } from '@nats-io/jetstream';", /does not use/],
  ['src/gateway/example.ts', "import { x } from '../cli/wiring.js';", /Nothing imports the command line/],
  ['src/envelope/example.ts', "import { x } from '../config/index.js';", /may not depend on/],
];

const allowed: Array<[string, string]> = [
  ['src/gateway/routes/example.ts', "import { x } from '../../bus/index.js';"],
  ['src/worker/example.ts', "import { x } from '../store/index.js';"],
  ['src/bus/jetstream/example.ts', "import { x } from '../port.js';"],
  ['src/bus-library/example.ts', "import { x } from '../bus/index.js';"],
  ['src/cli/example.ts', "import { x } from '../store/postgres/index.js';"],
];

describe('import arrows (eslint.config.js)', () => {
  for (const [file, source, expected] of refused) {
    it(`refuses in ${file}: ${source}`, async () => {
      const problems = await importProblems(file, source);
      assert.ok(problems.some((p) => expected.test(p)), `expected ${expected}, got ${JSON.stringify(problems)}`);
    });
  }
  for (const [file, source] of allowed) {
    it(`allows in ${file}: ${source}`, async () => {
      assert.deepEqual(await importProblems(file, source), []);
    });
  }
});
