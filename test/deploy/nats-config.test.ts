import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deployDir, readText } from './support/files.js';
import { natsConfProblems, parseNatsConf, routeHosts } from './support/nats-conf.js';
import { composeConfs, k8sConf, natsConfSources } from './support/nats-confs.js';

// nats-server's own reading of these files is in test-integration/deploy/nats-server-config.test.ts.
const sources = natsConfSources;

describe('NATS server configurations', () => {
  it('ships one config per compose server and one for Kubernetes', () => {
    assert.deepEqual(composeConfs, ['nats-1.conf', 'nats-2.conf', 'nats-3.conf']);
    assert.notEqual(k8sConf, '');
  });

  for (const [name, text] of sources) {
    it(`${name} enables JetStream with sync_interval: always and routes to 3 servers`, () => {
      assert.deepEqual(natsConfProblems(parseNatsConf(text), 3), []);
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


  it('refuses text the reader does not understand', () => {
    assert.throws(() => parseNatsConf('jetstream {\n store_dir: /x\n'), /unclosed block/);
  });
});
