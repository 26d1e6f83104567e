// Lists what is wrong with the manifests of deploy/k8s: each object against its Kubernetes
// (or KEDA, or prometheus-operator) schema, then the rules that tie the objects to each other and to Sluice.
import { createRequire } from 'node:module';
import { readConfig, natsServer, unknownVariables } from './environment.js';
import { SLUICE_COMMANDS, asArray, asObject, atLeast, imageVersion, isObject } from './files.js';
import type { Json } from './files.js';
import { natsConfProblems, parseNatsConf, portOf, routeHosts } from './nats-conf.js';

export interface Manifest { file: string; doc: Json }

type ModelClass = new (data: unknown) => { validate(): void };
const require = createRequire(import.meta.url);
const v1 = require('kubernetes-models/v1') as Record<string, ModelClass>;
const apps = require('kubernetes-models/apps/v1') as Record<string, ModelClass>;
const batch = require('kubernetes-models/batch/v1') as Record<string, ModelClass>;
const policy = require('kubernetes-models/policy/v1') as Record<string, ModelClass>;
const keda = require('@kubernetes-models/keda/keda.sh/v1alpha1') as Record<string, ModelClass>;
const monitoring = require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1') as Record<string, ModelClass>;

/** The kinds these manifests may hold, with the schema each is checked against. */
const MODELS: Record<string, ModelClass | undefined> = {
  'v1/Namespace': v1.Namespace,
  'v1/ConfigMap': v1.ConfigMap,
  'v1/Secret': v1.Secret,
  'v1/Service': v1.Service,
  'apps/v1/Deployment': apps.Deployment,
  'apps/v1/StatefulSet': apps.StatefulSet,
  'batch/v1/Job': batch.Job,
  'policy/v1/PodDisruptionBudget': policy.PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': keda.ScaledObject,
  'monitoring.coreos.com/v1/PrometheusRule': monitoring.PrometheusRule,
};

const name = (doc: Json): string => String(asObject(doc.metadata).name ?? '');
const labelsMatch = (selector: unknown, labels: unknown): boolean => {
  const wanted = Object.entries(asObject(selector));
  return wanted.length > 0 && wanted.every(([k, v]) => asObject(labels)[k] === v);
};

interface Workload { doc: Json; pod: Json; labels: Json; containers: Json[] }

function workloads(docs: Json[]): Workload[] {
  return docs.filter((d) => ['Deployment', 'StatefulSet', 'Job'].includes(String(d.kind))).map((doc) => {
    const template = asObject(asObject(doc.spec).template);
    const pod = asObject(template.spec);
    return { doc, pod, labels: asObject(asObject(template.metadata).labels), containers: asArray(pod.containers).map(asObject) };
  });
}

const isSluice = (container: Json): boolean => String(container.image ?? '').split(/[:@]/)[0]!.split('/').pop() === 'sluice';

function containerPort(container: Json, port: unknown): number | null {
  if (typeof port === 'number') return asArray(container.ports).some((p) => asObject(p).containerPort === port) ? port : null;
  const found = asArray(container.ports).map(asObject).find((p) => p.name === port);
  return typeof found?.containerPort === 'number' ? found.containerPort : null;
}

function probe(container: Json, kind: string): { path: string; port: number | null } | null {
  const get = asObject(asObject(container[kind]).httpGet);
  if (get.path === undefined) return null;
  return { path: String(get.path), port: containerPort(container, get.port) };
}

/** The environment a Sluice container starts with: its envFrom sources, then its env. */
function containerEnv(container: Json, docs: Json[], problems: string[], where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of asArray(container.envFrom).map(asObject)) {
    const ref = asObject(from.configMapRef ?? from.secretRef);
    const kind = from.configMapRef !== undefined ? 'ConfigMap' : 'Secret';
    const source = docs.find((d) => d.kind === kind && name(d) === ref.name);
    if (source === undefined) { problems.push(`${where} takes env from ${kind} ${String(ref.name)}, which is not in the manifests`); continue; }
    const data = { ...asObject(source.data), ...asObject(source.stringData) };
    for (const [k, v] of Object.entries(data)) env[k] = kind === 'Secret' && source.data !== undefined && k in asObject(source.data) ? Buffer.from(String(v), 'base64').toString('utf8') : String(v);
  }
  for (const e of asArray(container.env).map(asObject)) env[String(e.name)] = String(e.value ?? '');
  return env;
}

export function kubernetesProblems(manifests: Manifest[], kustomization: Json, yamlFiles: string[]): string[] {
  const problems: string[] = [];
  const docs = manifests.map((m) => m.doc);

  // kustomization.yaml lists exactly the manifests of the folder.
  const listed = asArray(kustomization.resources).map(String).sort();
  const present = yamlFiles.filter((f) => f !== 'kustomization.yaml').sort();
  for (const f of present) if (!listed.includes(f)) problems.push(`kustomization.yaml does not list ${f}`);
  for (const f of listed) if (!present.includes(f)) problems.push(`kustomization.yaml lists ${f}, which is not in deploy/k8s`);
  const namespaces = docs.filter((d) => d.kind === 'Namespace').map(name);
  if (namespaces.length !== 1 || kustomization.namespace !== namespaces[0]) problems.push('kustomization.yaml does not set the namespace that namespace.yaml creates');

  // Every object: the fields every kind needs, then its schema.
  const seen = new Set<string>();
  for (const { file, doc } of manifests) {
    const where = `${file}: ${String(doc.kind)} ${name(doc)}`;
    if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || name(doc) === '') { problems.push(`${file}: an object lacks apiVersion, kind or metadata.name`); continue; }
    const key = `${doc.kind}/${name(doc)}`;
    if (seen.has(key)) problems.push(`${where} is defined twice`);
    seen.add(key);
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    if (Model === undefined) { problems.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`); continue; }
    try {
      new Model(doc).validate();
    } catch (error) {
      problems.push(`${where} does not fit its schema: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const all = workloads(docs);
  for (const w of all) {
    const where = `${String(w.doc.kind)} ${name(w.doc)}`;
    if (w.doc.kind !== 'Job' && !labelsMatch(asObject(asObject(w.doc.spec).selector).matchLabels, w.labels)) problems.push(`${where}: selector does not match its pod labels`);
    if (w.containers.length === 0) problems.push(`${where} has no containers`);
    for (const c of w.containers) {
      const cw = `${where} container ${String(c.name)}`;
      if (typeof c.image !== 'string' || c.image === '') problems.push(`${cw} has no image`);
      const res = asObject(c.resources);
      if (asObject(res.requests).cpu === undefined || asObject(res.requests).memory === undefined) problems.push(`${cw} has no cpu and memory requests`);
      if (asObject(res.limits).memory === undefined) problems.push(`${cw} has no memory limit`);
      if (asObject(w.pod.securityContext).runAsNonRoot !== true && asObject(c.securityContext).runAsNonRoot !== true) problems.push(`${cw} may run as root (runAsNonRoot)`);
    }
  }

  // Sluice containers: a real sub-command, known variables, a configuration Sluice accepts.
  const configs = new Map<Json, NonNullable<Exclude<ReturnType<typeof readConfig>, string>>>();
  const roleOf = (c: Json): string => String(asArray(c.args)[0] ?? '');
  for (const w of all) {
    for (const c of w.containers.filter(isSluice)) {
      const where = `${String(w.doc.kind)} ${name(w.doc)}`;
      if (c.command !== undefined) problems.push(`${where} overrides the image's entry point (use args)`);
      if (!SLUICE_COMMANDS.includes(roleOf(c))) problems.push(`${where} runs "${roleOf(c)}", which is not a sluice sub-command`);
      const env = containerEnv(c, docs, problems, where);
      for (const v of unknownVariables(Object.keys(env))) problems.push(`${where} sets ${v}, which Sluice does not read`);
      const config = readConfig(env);
      if (typeof config === 'string') problems.push(`${where}: Sluice refuses the configuration: ${config}`);
      else configs.set(c, config);
    }
  }
  for (const d of docs.filter((x) => x.kind === 'ConfigMap' || x.kind === 'Secret')) {
    const used = all.some((w) => w.containers.filter(isSluice).some((c) => asArray(c.envFrom).some((f) => asObject(asObject(f).configMapRef ?? asObject(f).secretRef).name === name(d))));
    if (!used) continue;
    for (const v of unknownVariables(Object.keys({ ...asObject(d.data), ...asObject(d.stringData) }))) problems.push(`${String(d.kind)} ${name(d)} holds ${v}, which Sluice does not read`);
  }

  const sluiceIn = (role: string): Array<{ w: Workload; c: Json }> => all.flatMap((w) => w.containers.filter((c) => isSluice(c) && roleOf(c) === role).map((c) => ({ w, c })));
  const gateways = sluiceIn('gateway');
  const workers = sluiceIn('worker');
  if (gateways.length !== 1) problems.push(`expected one gateway Deployment, found ${gateways.length}`);
  if (workers.length !== 1) problems.push(`expected one worker Deployment, found ${workers.length}`);
  if (!sluiceIn('migrate').some(({ w }) => w.doc.kind === 'Job' && ['Never', 'OnFailure'].includes(String(w.pod.restartPolicy)))) problems.push('no Job runs `sluice migrate`');
  for (const { w, c } of gateways) {
    const port = configs.get(c)?.http.port ?? 8080;
    if (w.doc.kind !== 'Deployment' || Number(asObject(w.doc.spec).replicas ?? 1) < 2) problems.push('the gateway is not a Deployment of 2 or more replicas');
    const ready = probe(c, 'readinessProbe');
    const live = probe(c, 'livenessProbe');
    if (ready?.path !== '/health' || ready.port !== port) problems.push(`the gateway's readiness probe is not /health on port ${port}`);
    if (live?.path !== '/health/live' || live.port !== port) problems.push(`the gateway's liveness probe is not /health/live on port ${port}`);
    if (port !== 8080) problems.push(`the gateway listens on ${port}, expected 8080`);
  }
  for (const { w, c } of workers) {
    const metrics = configs.get(c)?.metricsPort ?? null;
    if (metrics !== 9464) problems.push(`the worker's METRICS_PORT is ${String(metrics)}, expected 9464`);
    if (containerPort(c, metrics) === null) problems.push('the worker does not declare its metrics port');
    for (const kind of ['readinessProbe', 'livenessProbe']) {
      const p = probe(c, kind);
      if (p !== null && (p.port !== metrics || !['/health', '/metrics'].includes(p.path))) problems.push(`the worker's ${kind} does not ask /health or /metrics on METRICS_PORT`);
    }
    if (w.doc.kind !== 'Deployment') problems.push('the worker is not a Deployment');
  }

  // Services select pods that exist, on ports those pods open.
  const services = docs.filter((d) => d.kind === 'Service');
  for (const s of services) {
    const selector = asObject(s.spec).selector;
    const targets = all.filter((w) => labelsMatch(selector, w.labels));
    if (targets.length === 0) { problems.push(`Service ${name(s)} selects no pods`); continue; }
    for (const p of asArray(asObject(s.spec).ports).map(asObject)) {
      const target = p.targetPort ?? p.port;
      if (!targets.some((w) => w.containers.some((c) => containerPort(c, target) !== null))) problems.push(`Service ${name(s)} sends to port ${String(target)}, which its pods do not open`);
    }
  }

  // NATS: 3 servers with their own volumes, clustered over a headless Service.
  const nats = all.find((w) => w.doc.kind === 'StatefulSet' && w.containers.some((c) => String(c.image).startsWith('nats')));
  let natsMonitorPort: number | null = null;
  let headless: Json | undefined;
  if (nats === undefined) {
    problems.push('no NATS StatefulSet');
  } else {
    const spec = asObject(nats.doc.spec);
    const replicas = Number(spec.replicas ?? 1);
    if (replicas !== 3) problems.push(`the NATS StatefulSet has ${replicas} replicas, expected 3`);
    headless = services.find((s) => name(s) === spec.serviceName);
    if (headless === undefined || asObject(headless.spec).clusterIP !== 'None') problems.push('the NATS StatefulSet\'s serviceName is not a headless Service');
    else if (!labelsMatch(asObject(headless.spec).selector, nats.labels)) problems.push('the headless Service does not select the NATS pods');
    const container = nats.containers.find((c) => String(c.image).startsWith('nats'))!;
    if (!atLeast(imageVersion(String(container.image)), 2, 10)) problems.push(`NATS runs ${String(container.image)}; sync_interval: always needs 2.10 or later`);
    const claims = asArray(spec.volumeClaimTemplates).map((t) => name(asObject(t)));
    if (claims.length === 0) problems.push('the NATS StatefulSet has no volumeClaimTemplates');
    const mounts = asArray(container.volumeMounts).map(asObject);
    const configVolume = asArray(nats.pod.volumes).map(asObject).find((v) => isObject(v.configMap));
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && name(d) === asObject(configVolume?.configMap).name);
    const configText = Object.values(asObject(configMap?.data))[0];
    if (typeof configText !== 'string') {
      problems.push('the NATS pods mount no ConfigMap holding nats.conf');
    } else {
      const conf = parseNatsConf(configText);
      for (const p of natsConfProblems(conf, replicas)) problems.push(`nats.conf: ${p}`);
      const expected = Array.from({ length: replicas }, (_, i) => `${name(nats.doc)}-${i}.${String(spec.serviceName)}`);
      // "nats-0.nats-headless" or its longer forms with the namespace and cluster domain.
      const hosts = routeHosts(conf).map((h) => h.split('.').slice(0, 2).join('.'));
      for (const h of expected) if (!hosts.includes(h)) problems.push(`nats.conf has no route to ${h}`);
      const js = asObject(conf.jetstream);
      const storeDir = String(js.store_dir ?? '');
      if (!mounts.some((m) => claims.includes(String(m.name)) && (storeDir === m.mountPath || storeDir.startsWith(`${String(m.mountPath)}/`)))) problems.push(`nats.conf's store_dir ${storeDir} is not on a persistent volume`);
      natsMonitorPort = portOf(conf.http);
      if (natsMonitorPort !== null && containerPort(container, natsMonitorPort) === null) problems.push('the NATS container does not open its monitoring port');
    }
    if (!docs.some((d) => d.kind === 'PodDisruptionBudget' && labelsMatch(asObject(asObject(d.spec).selector).matchLabels, nats.labels)
      && (asObject(d.spec).maxUnavailable === 1 || Number(asObject(d.spec).minAvailable) >= 2))) problems.push('no PodDisruptionBudget keeps the NATS quorum');
    for (const { c } of [...gateways, ...workers]) {
      const config = configs.get(c);
      if (config === undefined) continue;
      if (config.nats.replicas !== replicas) problems.push(`STREAM_REPLICAS is ${config.nats.replicas}, the cluster has ${replicas} servers`);
      const servers = (config.nats.servers ?? []).map(natsServer);
      if (servers.length === 0) problems.push('NATS_URL is not set: Sluice would use the embedded bus');
      for (const s of servers) {
        const known = services.some((svc) => name(svc) === s.host) || Array.from({ length: replicas }, (_, i) => `${name(nats.doc)}-${i}.${String(spec.serviceName)}`).includes(s.host);
        if (!known) problems.push(`NATS_URL names ${s.host}, which is neither a Service nor a NATS pod`);
        if (s.port !== 4222) problems.push(`NATS_URL uses port ${s.port}, NATS clients use 4222`);
      }
    }
  }
  for (const { w } of gateways) {
    if (!docs.some((d) => d.kind === 'PodDisruptionBudget' && labelsMatch(asObject(asObject(d.spec).selector).matchLabels, w.labels))) problems.push('no PodDisruptionBudget covers the gateways');
  }

  // KEDA scales the worker Deployment on its consumer's lag.
  const scaled = docs.filter((d) => d.kind === 'ScaledObject');
  if (scaled.length !== 1) problems.push(`expected one ScaledObject, found ${scaled.length}`);
  for (const so of scaled) {
    const spec = asObject(so.spec);
    const ref = asObject(spec.scaleTargetRef);
    const worker = workers[0];
    if (worker === undefined || ref.name !== name(worker.w.doc) || (ref.kind ?? 'Deployment') !== 'Deployment') problems.push(`the ScaledObject targets ${String(ref.name)}, not the worker Deployment`);
    if (spec.minReplicaCount !== 0) problems.push('the ScaledObject does not scale to zero (minReplicaCount 0)');
    if (Number(spec.maxReplicaCount ?? 100) < 1) problems.push('the ScaledObject allows no worker');
    const triggers = asArray(spec.triggers).map(asObject);
    const trigger = triggers.find((t) => t.type === 'nats-jetstream');
    if (trigger === undefined) { problems.push('the ScaledObject has no nats-jetstream trigger'); continue; }
    const meta = asObject(trigger.metadata);
    const config = worker === undefined ? undefined : configs.get(worker.c);
    if (config !== undefined) {
      if (meta.stream !== config.nats.stream) problems.push(`the trigger's stream ${String(meta.stream)} is not NATS_STREAM (${config.nats.stream})`);
      if (meta.consumer !== config.worker.consumer) problems.push(`the trigger's consumer ${String(meta.consumer)} is not SLUICE_CONSUMER (${config.worker.consumer})`);
    }
    if (!/^[1-9]\d*$/.test(String(meta.lagThreshold ?? ''))) problems.push('the trigger has no positive lagThreshold');
    if (meta.account !== '$G') problems.push('the trigger\'s account is not $G (the default account)');
    const endpoint = String(meta.natsServerMonitoringEndpoint ?? '');
    const [host, port] = endpoint.split(':');
    const ns = String(kustomization.namespace ?? '');
    if (headless === undefined || host !== `${name(headless)}.${ns}.svc.cluster.local`) problems.push(`the trigger's endpoint ${endpoint} is not the headless NATS Service, fully qualified`);
    if (natsMonitorPort === null || Number(port) !== natsMonitorPort) problems.push(`the trigger's endpoint port ${String(port)} is not NATS' monitoring port`);
  }
  return problems;
}

