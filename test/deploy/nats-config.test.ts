import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { asObject, deployDir, fileExists, k8sDir, parseYamlDocuments, readText } from './support/files.js';
import { natsConfProblems, parseNatsConf, routeHosts } from './support/nats-conf.js';

const NATS_SERVER = '/usr/sbin/nats-server';
const composeConfs = readdirSync(join(deployDir, 'nats')).filter((f) => f.endsWith('.conf')).sort();
const k8sConf = (() => {
  const docs = parseYamlDocuments(readText(join(k8sDir, 'nats.yaml')), 'deploy/k8s/nats.yaml');
  const map = docs.map(asObject).find((d) => d.kind === 'ConfigMap' && asObject(d.metadata).name === 'nats-config');
  return String(asObject(map?.data)['nats.conf'] ?? '');
})();
const sources: Array<[string, string]> = [
  ...composeConfs.map((f): [string, string] => [`deploy/nats/${f}`, readText(join(deployDir, 'nats', f))]),
  ['deploy/k8s/nats.yaml (nats-config)', k8sConf],
];
const scratch = mkdtempSync(join(tmpdir(), 'sluice-nats-conf-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `nats-server -t` on the text; sync_interval is dropped, as the local 2.9 rejects it. */
function serverVerdict(text: string): { ok: boolean; output: string } {
  const path = join(scratch, `c${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, text.replace(/^\s*sync_interval:\s*always\s*$/m, ''));
  const run = spawnSync(NATS_SERVER, ['-t', '-c', path], { env: { ...process.env, SERVER_NAME: 'nats-0' }, encoding: 'utf8', timeout: 10_000 });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe('NATS server configurations', () => {
  it('ships one config per compose server and one for Kubernetes', () => {
    assert.deepEqual(composeConfs, ['nats-1.conf', 'nats-2.conf', 'nats-3.conf']);
    assert.notEqual(k8sConf, '');
  });

  for (const [name, text] of sources) {
    it(`${name} enables JetStream with sync_interval: always and routes to 3 servers`, () => {
      assert.deepEqual(natsConfProblems(parseNatsConf(text), 3), []);
    });

    it(`${name} is accepted by nats-server`, { skip: !fileExists(NATS_SERVER) && 'no nats-server binary' }, () => {
      const verdict = serverVerdict(text);
      assert.ok(verdict.ok, verdict.output);
    });
  }

  it('gives the compose servers distinct names and the same three routes', () => {
    const confs = composeConfs.map((f) => parseNatsConf(readText(join(deployDir, 'nats', f))));
    assert.deepEqual(confs.map((c) => c.server_name), ['nats-1', 'nats-2', 'nats-3']);
    for (const conf of confs) assert.deepEqual(routeHosts(conf), ['nats-1', 'nats-2', 'nats-3']);
  });

  it('catches a config without JetStream, without sync_interval, or with two routes', () => {
    const good = sources[0]![1];
    const noJs = good.replace(/jetstream \{[\s\S]*?\n\}/, '');
    assert.match(natsConfProblems(parseNatsConf(noJs), 3).join('\n'), /jetstream is not enabled/);
    const lazy = good.replace(/sync_interval: always/, 'sync_interval: 2m');
    assert.match(natsConfProblems(parseNatsConf(lazy), 3).join('\n'), /sync_interval is not "always"/);
    const twoRoutes = good.replace(/\n\s*nats:\/\/nats-3:6222/, '');
    assert.match(natsConfProblems(parseNatsConf(twoRoutes), 3).join('\n'), /2 routes, expected 3/);
    const wrongPort = good.replace('nats://nats-2:6222', 'nats://nats-2:4222');
    assert.match(natsConfProblems(parseNatsConf(wrongPort), 3).join('\n'), /does not use the cluster port/);
  });

  it('has nats-server itself refuse a broken file', { skip: !fileExists(NATS_SERVER) && 'no nats-server binary' }, () => {
    assert.equal(serverVerdict(sources[0]![1].replace('lame_duck_duration: 30s', 'lame_duck_duration: 5s')).ok, false);
    assert.equal(serverVerdict(sources[0]![1].replace(/\n\}\n\ncluster/, '\n\ncluster')).ok, false);
  });

  it('refuses text the reader does not understand', () => {
    assert.throws(() => parseNatsConf('jetstream {\n store_dir: /x\n'), /unclosed block/);
  });
});
