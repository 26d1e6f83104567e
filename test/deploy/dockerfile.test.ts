import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dockerfileProblems, dockerignoreProblems } from './support/dockerfile.js';
import { deployDir, fileExists, readText, repoRoot } from './support/files.js';

const exists = (path: string): boolean => fileExists(join(repoRoot, path));
const dockerfile = readText(join(deployDir, 'Dockerfile'));

function problemsAfter(find: string | RegExp, replace: string): string[] {
  const broken = dockerfile.replace(find, replace);
  assert.notEqual(broken, dockerfile, `the test's edit did not apply: ${String(find)}`);
  return dockerfileProblems(broken, exists);
}

describe('deploy/Dockerfile', () => {
  it('builds in stages, runs as a non-root user, checks /health/live and starts the gateway', () => {
    assert.deepEqual(dockerfileProblems(dockerfile, exists), []);
  });

  it('runs bin/sluice.js, the package bin', () => {
    const pkg = JSON.parse(readText(join(repoRoot, 'package.json'))) as { bin: Record<string, string> };
    assert.equal(pkg.bin.sluice, 'bin/sluice.js');
  });

  it('catches a single-stage build', () => {
    const single = dockerfile.replace(/FROM \$\{NODE_IMAGE\} AS runtime[\s\S]*$/, '');
    assert.match(dockerfileProblems(single, exists).join('\n'), /multi-stage/);
  });

  it('catches a runtime stage that runs as root', () => {
    assert.match(problemsAfter(/USER 1000:1000/, 'USER root').join('\n'), /runs as root/);
    assert.match(problemsAfter(/USER 1000:1000\n/, '').join('\n'), /no USER/);
  });

  it('catches a missing or curl-based HEALTHCHECK', () => {
    assert.match(problemsAfter(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '').join('\n'), /no HEALTHCHECK/);
    assert.match(problemsAfter('/health/live', '/healthz').join('\n'), /\/health\/live/);
    assert.match(problemsAfter('CMD ["node", "-e"', 'CMD ["curl", "-f"').join('\n'), /does not run node/);
  });

  it('catches a wrong entry point, sub-command or base image', () => {
    assert.match(problemsAfter('ENTRYPOINT ["node", "bin/sluice.js"]', 'ENTRYPOINT node bin/sluice.js').join('\n'), /ENTRYPOINT/);
    assert.match(problemsAfter('CMD ["gateway"]', 'CMD ["serve"]').join('\n'), /not a sluice sub-command/);
    assert.match(problemsAfter('node:20-bookworm-slim', 'node:22').join('\n'), /expected node:20/);
  });

  it('catches dev dependencies in the runtime image and a stage name typo', () => {
    assert.match(problemsAfter(/&& npm prune --omit=dev --ignore-scripts /, '').join('\n'), /dev dependencies/);
    assert.match(problemsAfter('COPY --from=build /app/dist', 'COPY --from=builder /app/dist').join('\n'), /names no earlier stage/);
  });

  it('catches a copied source that does not exist', () => {
    assert.match(problemsAfter('COPY package.json package-lock.json ./', 'COPY package.json npm-shrinkwrap.json ./').join('\n'), /npm-shrinkwrap\.json is not in the repository/);
  });
});

describe('.dockerignore', () => {
  const ignore = readText(join(repoRoot, '.dockerignore'));

  it('keeps the sources in the build context and local state out', () => {
    assert.deepEqual(dockerignoreProblems(ignore), []);
  });

  it('catches a pattern that drops what the build needs', () => {
    assert.match(dockerignoreProblems(`${ignore}\nsrc\n`).join('\n'), /leaves out src/);
    assert.match(dockerignoreProblems(ignore.replace(/^node_modules$/m, '')).join('\n'), /node_modules/);
  });
});
