import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asArray, asObject, clone, k8sDir, parseYamlDocuments, readText, yamlFilesIn } from './support/files.js';
import type { Json } from './support/files.js';
import { kubernetesProblems } from './support/kubernetes.js';
import type { Manifest } from './support/kubernetes.js';

const files = yamlFilesIn(k8sDir);
const kustomization = asObject(parseYamlDocuments(readText(join(k8sDir, 'kustomization.yaml')), 'kustomization.yaml')[0]);
const manifests: Manifest[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) => parseYamlDocuments(readText(join(k8sDir, file)), file).map((doc) => ({ file, doc: asObject(doc) })));

function find(docs: Manifest[], kind: string, name: string): Json {
  const found = docs.find((m) => m.doc.kind === kind && asObject(m.doc.metadata).name === name);
  assert.ok(found, `${kind} ${name} is in the manifests`);
  return found.doc;
}

function container(docs: Manifest[], kind: string, name: string): Json {
  return asObject(asArray(asObject(asObject(asObject(find(docs, kind, name).spec).template).spec).containers)[0]);
}

function problemsAfter(edit: (docs: Manifest[]) => void, kustomize: Json = kustomization, list: string[] = files): string {
  const broken = clone(manifests);
  edit(broken);
  return kubernetesProblems(broken, kustomize, list).join('\n');
}

describe('deploy/k8s', () => {
  it('parses every manifest, each object with apiVersion, kind and a name', () => {
    assert.ok(manifests.length >= 12, `found ${manifests.length} objects`);
    for (const { file, doc } of manifests) {
      assert.equal(typeof doc.apiVersion, 'string', file);
      assert.equal(typeof doc.kind, 'string', file);
      assert.ok(String(asObject(doc.metadata).name ?? '') !== '', `${file}: ${String(doc.kind)} has a name`);
    }
  });

  it('fits the schemas and ties NATS, the gateway, the worker, KEDA and the config together', () => {
    assert.deepEqual(kubernetesProblems(manifests, kustomization, files), []);
  });

  it('catches a manifest the kustomization does not list, or lists but lacks', () => {
    assert.match(kubernetesProblems(manifests, kustomization, [...files, 'extra.yaml']).join('\n'), /does not list extra\.yaml/);
    const missing = { ...kustomization, resources: [...asArray(kustomization.resources), 'gone.yaml'] };
    assert.match(kubernetesProblems(manifests, missing, files).join('\n'), /lists gone\.yaml/);
  });

  it('catches a kustomization namespace that namespace.yaml does not create', () => {
    assert.match(kubernetesProblems(manifests, { ...kustomization, namespace: 'events' }, files).join('\n'), /does not set the namespace/);
  });

  it('catches an object that does not fit its schema, or a kind with no schema', () => {
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'Deployment', 'sluice-gateway').spec).replicas = 'two'; }), /does not fit its schema/);
    assert.match(problemsAfter((docs) => { find(docs, 'Deployment', 'sluice-worker').apiVersion = 'extensions/v1beta1'; }), /no schema for extensions\/v1beta1 Deployment/);
    assert.match(problemsAfter((docs) => { delete asObject(find(docs, 'Service', 'nats').metadata).name; }), /lacks apiVersion, kind or metadata\.name/);
  });

  it('catches a container without an image or resources', () => {
    assert.match(problemsAfter((docs) => { delete container(docs, 'Job', 'sluice-migrate').image; }), /has no image/);
    assert.match(problemsAfter((docs) => { delete container(docs, 'StatefulSet', 'nats').resources; }), /nats has no cpu and memory requests/);
  });

  it('catches gateway probes that do not match the code', () => {
    assert.match(problemsAfter((docs) => { asObject(asObject(container(docs, 'Deployment', 'sluice-gateway').readinessProbe).httpGet).path = '/healthz'; }), /readiness probe is not \/health on port 8080/);
    assert.match(problemsAfter((docs) => { asObject(asObject(container(docs, 'Deployment', 'sluice-gateway').livenessProbe).httpGet).path = '/health'; }), /liveness probe is not \/health\/live/);
    assert.match(problemsAfter((docs) => { asArray(container(docs, 'Deployment', 'sluice-gateway').ports).splice(0, 1, { name: 'http', containerPort: 3000 }); }), /probe is not \/health on port 8080/);
  });

  it('catches a variable Sluice does not read, in a container or in the ConfigMap', () => {
    assert.match(problemsAfter((docs) => { asArray(container(docs, 'Deployment', 'sluice-worker').env).push({ name: 'WORKER_CONCURRENCY', value: '4' }); }), /sets WORKER_CONCURRENCY, which Sluice does not read/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'ConfigMap', 'sluice-config').data).NATS_CLUSTER = 'x'; }), /holds NATS_CLUSTER/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'ConfigMap', 'sluice-config').data).STREAM_REPLICAS = '9'; }), /Sluice refuses the configuration: STREAM_REPLICAS/);
  });

  it('catches a command that is not a sluice sub-command, and a missing migration Job', () => {
    assert.match(problemsAfter((docs) => { container(docs, 'Deployment', 'sluice-worker').args = ['consume']; }), /runs "consume", which is not a sluice sub-command/);
    assert.match(problemsAfter((docs) => { container(docs, 'Job', 'sluice-migrate').args = ['dev']; }), /no Job runs `sluice migrate`/);
  });

  it('catches a KEDA trigger that reads another stream or consumer, or a wrong target', () => {
    const trigger = (docs: Manifest[]): Json => asObject(asObject(asArray(asObject(find(docs, 'ScaledObject', 'sluice-worker').spec).triggers)[0]).metadata);
    assert.match(problemsAfter((docs) => { trigger(docs).stream = 'ORDERS'; }), /stream ORDERS is not NATS_STREAM \(EVENTS\)/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'ConfigMap', 'sluice-config').data).SLUICE_CONSUMER = 'workers'; }), /consumer sluice-worker is not SLUICE_CONSUMER \(workers\)/);
    assert.match(problemsAfter((docs) => { asObject(asObject(find(docs, 'ScaledObject', 'sluice-worker').spec).scaleTargetRef).name = 'sluice-workers'; }), /not the worker Deployment/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'ScaledObject', 'sluice-worker').spec).minReplicaCount = 1; }), /scale to zero/);
    assert.match(problemsAfter((docs) => { asObject(asArray(asObject(find(docs, 'ScaledObject', 'sluice-worker').spec).triggers)[0]).type = 'nats'; }), /no nats-jetstream trigger/);
    assert.match(problemsAfter((docs) => { trigger(docs).natsServerMonitoringEndpoint = 'nats.sluice.svc.cluster.local:4222'; }), /not the headless NATS Service[\s\S]*not NATS' monitoring port/);
    assert.match(problemsAfter((docs) => { delete trigger(docs).lagThreshold; }), /no positive lagThreshold/);
  });

  it('catches a NATS cluster without 3 servers, volumes, routes or a quorum budget', () => {
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'StatefulSet', 'nats').spec).replicas = 1; }), /1 replicas, expected 3/);
    assert.match(problemsAfter((docs) => { delete asObject(find(docs, 'StatefulSet', 'nats').spec).volumeClaimTemplates; }), /no volumeClaimTemplates[\s\S]*not on a persistent volume/);
    assert.match(problemsAfter((docs) => {
      const data = asObject(find(docs, 'ConfigMap', 'nats-config').data);
      data['nats.conf'] = String(data['nats.conf']).replace('nats://nats-2.nats-headless:6222', 'nats://nats-3.nats-headless:6222');
    }), /no route to nats-2\.nats-headless/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'PodDisruptionBudget', 'nats').spec).maxUnavailable = 2; }), /keeps the NATS quorum/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'Service', 'nats-headless').spec).clusterIP = ''; }), /not a headless Service/);
  });

  it('catches a Service that selects no pods or a port they do not open', () => {
    assert.match(problemsAfter((docs) => { asObject(asObject(find(docs, 'Service', 'sluice-gateway').spec).selector)['app.kubernetes.io/component'] = 'api'; }), /Service sluice-gateway selects no pods/);
    assert.match(problemsAfter((docs) => { asObject(asArray(asObject(find(docs, 'Service', 'nats').spec).ports)[0]).targetPort = 'clients'; }), /sends to port clients/);
  });

  it('catches a gateway without a disruption budget, replicas or a non-root user', () => {
    assert.match(problemsAfter((docs) => { docs.splice(docs.findIndex((m) => m.doc.kind === 'PodDisruptionBudget' && asObject(m.doc.metadata).name === 'sluice-gateway'), 1); }), /no PodDisruptionBudget covers the gateways/);
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'Deployment', 'sluice-gateway').spec).replicas = 1; }), /2 or more replicas/);
    assert.match(problemsAfter((docs) => { delete asObject(asObject(asObject(find(docs, 'Deployment', 'sluice-gateway').spec).template).spec).securityContext; }), /may run as root/);
  });

  it('catches NATS_URL naming a host that is not there', () => {
    assert.match(problemsAfter((docs) => { asObject(find(docs, 'ConfigMap', 'sluice-config').data).NATS_URL = 'nats://nats-3.nats-headless:4222'; }), /names nats-3\.nats-headless/);
  });
});
