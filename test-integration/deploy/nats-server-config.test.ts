// nats-server itself reads every shipped configuration (`nats-server -t`); the file checks that
// need no binary are in test/deploy/nats-config.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { natsConfSources } from '../../test/deploy/support/nats-confs.js';

const NATS_SERVER = '/usr/sbin/nats-server';
const scratch = mkdtempSync(join(tmpdir(), 'sluice-nats-conf-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `nats-server -t` on the text; sync_interval is dropped, as the local 2.9 rejects it. */
function serverVerdict(text: string): { ok: boolean; output: string } {
  const path = join(scratch, `c${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, text.replace(/^\s*sync_interval:\s*always\s*$/m, ''));
  const run = spawnSync(NATS_SERVER, ['-t', '-c', path], { env: { ...process.env, SERVER_NAME: 'nats-0' }, encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.error, undefined, `${NATS_SERVER} could not run: install nats-server`);
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe('NATS server configurations read by nats-server', () => {
  for (const [name, text] of natsConfSources) {
    it(`${name} is accepted by nats-server`, () => {
      const verdict = serverVerdict(text);
      assert.ok(verdict.ok, verdict.output);
    });
  }

  it('has nats-server itself refuse a broken file', () => {
    const good = natsConfSources[0]![1];
    assert.equal(serverVerdict(good.replace('lame_duck_duration: 30s', 'lame_duck_duration: 5s')).ok, false);
    assert.equal(serverVerdict(good.replace(/\n\}\n\ncluster/, '\n\ncluster')).ok, false);
  });
});
