import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { composeProblems } from './support/compose.js';
import type { ComposeFiles } from './support/compose.js';
import { asObject, clone, deployDir, fileExists, parseYamlDocuments, readText } from './support/files.js';
import type { Json } from './support/files.js';

const files: ComposeFiles = { exists: fileExists, read: readText };
const text = readText(join(deployDir, 'compose.yaml'));
const docs = parseYamlDocuments(text, 'deploy/compose.yaml');
const compose = asObject(docs[0]);

function service(doc: Json, name: string): Json {
  return asObject(asObject(doc.services)[name]);
}

function problemsAfter(edit: (doc: Json) => void): string {
  const broken = clone(compose);
  edit(broken);
  return composeProblems(broken, files).join('\n');
}

describe('deploy/compose.yaml', () => {
  it('is one YAML document with services', () => {
    assert.equal(docs.length, 1);
    assert.ok(Object.keys(asObject(compose.services)).length > 0);
  });

  it('runs a 3-server NATS cluster, PostgreSQL 15, a migration, two gateways and two workers in order', () => {
    assert.deepEqual(composeProblems(compose, files), []);
  });

  it('catches depends_on naming a service that does not exist', () => {
    const found = problemsAfter((doc) => {
      asObject(service(doc, 'worker-1').depends_on)['natz-1'] = { condition: 'service_healthy' };
    });
    assert.match(found, /depends on natz-1, which is not a service/);
  });

  it('catches waiting for health on a service without a healthcheck', () => {
    assert.match(problemsAfter((doc) => { delete service(doc, 'postgres').healthcheck; }), /postgres has no healthcheck/);
  });

  it('catches a gateway that starts before the migration is done', () => {
    const found = problemsAfter((doc) => {
      service(doc, 'gateway-2').depends_on = { 'nats-1': { condition: 'service_healthy' } };
    });
    assert.match(found, /gateway-2 does not wait for migrate to complete/);
  });

  it('catches a variable Sluice does not read, and a value it refuses', () => {
    assert.match(problemsAfter((doc) => { asObject(service(doc, 'worker-2').environment).NATS_SERVERS = 'x'; }), /worker-2 sets NATS_SERVERS, which Sluice does not read/);
    assert.match(problemsAfter((doc) => { asObject(service(doc, 'gateway-1').environment).STREAM_REPLICAS = 'three'; }), /gateway-1: Sluice refuses the configuration: STREAM_REPLICAS/);
  });

  it('catches a command that is not a sluice sub-command', () => {
    assert.match(problemsAfter((doc) => { service(doc, 'worker-1').command = ['consume']; }), /not a sluice sub-command/);
  });

  it('catches a NATS_URL that misses a server or replicas below 3', () => {
    assert.match(problemsAfter((doc) => { asObject(service(doc, 'gateway-1').environment).NATS_URL = 'nats://nats-1:4222'; }), /lists 1 servers/);
    assert.match(problemsAfter((doc) => { asObject(service(doc, 'worker-1').environment).STREAM_REPLICAS = '1'; }), /STREAM_REPLICAS=1, expected 3/);
  });

  it('catches an old NATS image and a config file that is not there', () => {
    assert.match(problemsAfter((doc) => { service(doc, 'nats-2').image = 'nats:2.9-alpine'; }), /needs nats 2.10 or later/);
    assert.match(problemsAfter((doc) => { service(doc, 'nats-3').volumes = ['./nats/nats-9.conf:/etc/nats/nats.conf:ro', 'nats-3-data:/data']; }), /nats-9\.conf, which does not exist/);
  });

  it('catches a NATS store that is not on a volume, and an undeclared volume', () => {
    assert.match(problemsAfter((doc) => { service(doc, 'nats-1').volumes = ['./nats/nats-1.conf:/etc/nats/nats.conf:ro']; }), /store_dir \/data\/jetstream is not on a named volume/);
    assert.match(problemsAfter((doc) => { delete asObject(doc.volumes)['pg-data']; }), /mounts volume pg-data, which is not declared/);
  });

  it('catches a worker without its metrics port check', () => {
    assert.match(problemsAfter((doc) => { delete asObject(service(doc, 'worker-2').environment).METRICS_PORT; }), /METRICS_PORT=null, expected 9464/);
  });

  it('catches an old PostgreSQL, a migration that does not wait for it, and a gateway check on the wrong port', () => {
    assert.match(problemsAfter((doc) => { service(doc, 'postgres').image = 'postgres:14'; }), /expected PostgreSQL 15/);
    assert.match(problemsAfter((doc) => { service(doc, 'migrate').depends_on = { postgres: { condition: 'service_started' } }; }), /migrate does not wait for PostgreSQL to be healthy/);
    assert.match(problemsAfter((doc) => { service(doc, 'gateway-1').healthcheck = { test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:8081/health')"] }; }), /gateway-1's healthcheck does not ask \/health on port 8080/);
  });

  it('catches a dependency cycle', () => {
    const found = problemsAfter((doc) => { asObject(service(doc, 'migrate').depends_on)['gateway-1'] = { condition: 'service_started' }; });
    assert.match(found, /depends_on cycle/);
  });

  it('catches a load balancer that forgets a gateway', () => {
    const found = problemsAfter((doc) => { asObject(doc.services)['gateway-3'] = clone(service(doc, 'gateway-2')); });
    assert.match(found, /lb does not send to gateway-3:8080/);
  });
});
