// Runs every *.test.ts under the given folder with Node's test runner (TypeScript through tsx),
// and ends with one plain line of counts: "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folder = process.argv[2] ?? 'test';
const only = process.argv.slice(3);
function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
const files = find(folder).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
if (files.length === 0) {
  console.error(`no test files under ${folder}`);
  process.exit(1);
}
/**
 * nats-server 2.9 removes an account's store directory when the account's last stream is deleted,
 * and a stream created at that moment fails ("error creating store for stream"). The suites
 * create and delete streams side by side on the shared server, so one stream that no test
 * deletes is kept there. Nothing to do for the service-free tier; a server that does not answer
 * is left to the tests to report.
 */
async function keepSharedAccountDirectory() {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  let nc;
  try {
    nc = await connect({ servers: process.env.SLUICE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222', reconnect: false, timeout: 2000 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SLUICE_TESTS_KEEP', subjects: ['_sluice_tests_keep'], max_msgs: 1 });
  } catch (error) {
    console.error(`the shared NATS server's keep stream was not made: ${error.message}`);
  } finally {
    await nc?.close();
  }
}
if (folder !== 'test') await keepSharedAccountDirectory();

const concurrency = process.env.SLUICE_TEST_CONCURRENCY ?? '2';
const dir = mkdtempSync(join(tmpdir(), 'sluice-tests-'));
const tap = join(dir, 'results.tap');
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
let summary = '';
try {
  const text = readFileSync(tap, 'utf8');
  const count = (name) => Number((new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text) ?? [])[1] ?? 0);
  const skipped = count('skipped');
  summary = `tests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
} catch {
  summary = 'tests: 0 passed, 1 failed';
}
rmSync(dir, { recursive: true, force: true });
console.log(summary);
process.exit(result.status ?? 1);
