import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { alertTestsFile, alertsFile } from '../../test/deploy/support/monitoring.js';

// promtool comes with Debian's prometheus package (.ci/run installs it).
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  if (run.error !== undefined) throw new Error(`promtool did not run (apt-get install prometheus): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-promtool-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('alert rules through promtool', () => {
  it('passes promtool check rules', () => {
    const run = promtool('check', 'rules', alertsFile);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /SUCCESS: \d+ rules found/);
  });

  it('passes the rules unit tests (each alert fires on its failure, none on a healthy pipeline)', () => {
    const run = promtool('test', 'rules', alertTestsFile);
    assert.equal(run.status, 0, run.output);
  });

  it('fails when a rule breaks: promtool catches a threshold that no longer fires', () => {
    copyFileSync(alertTestsFile, join(scratch, 'alerts.test.yaml'));
    writeFileSync(join(scratch, 'alerts.yaml'), readFileSync(alertsFile, 'utf8').replace('sum(increase(sluice_dead_letters_total[15m])) > 0', 'sum(increase(sluice_dead_letters_total[15m])) > 1000'));
    const run = promtool('test', 'rules', join(scratch, 'alerts.test.yaml'));
    assert.notEqual(run.status, 0, 'promtool test rules must fail');
    assert.match(run.output, /SluiceDeadLettersRising/);
  });

  it('fails when an expression does not parse', () => {
    writeFileSync(join(scratch, 'broken.yaml'), readFileSync(alertsFile, 'utf8').replace('sluice_database_up == 0', 'sluice_database_up === 0'));
    assert.notEqual(promtool('check', 'rules', join(scratch, 'broken.yaml')).status, 0);
  });
});
