// Lists what is wrong with deploy/compose.yaml (parsed, merge keys resolved).
import { dirname, join, resolve } from 'node:path';
import { readConfig, interpolate, natsServer, unknownVariables } from './environment.js';
import { SLUICE_COMMANDS, asArray, asObject, atLeast, deployDir, imageVersion, isObject } from './files.js';
import type { Json } from './files.js';
import { parseNatsConf, natsConfProblems, portOf, routeHosts } from './nats-conf.js';

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

export interface ComposeFiles {
  exists(path: string): boolean;
  read(path: string): string;
}

function environment(service: Json): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s)).map(([k, v]) => [k!, v ?? '']));
  }
  return Object.fromEntries(Object.entries(asObject(env)).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function command(service: Json): string[] {
  const c = service.command;
  return Array.isArray(c) ? c.map(String) : typeof c === 'string' ? c.split(/\s+/) : [];
}

function dependsOn(service: Json): Map<string, string> {
  const d = service.depends_on;
  if (Array.isArray(d)) return new Map(d.map((name) => [String(name), 'service_started']));
  return new Map(Object.entries(asObject(d)).map(([name, v]) => [name, String(asObject(v).condition ?? 'service_started')]));
}

function healthText(service: Json): string | null {
  const h = asObject(service.healthcheck);
  if (h.disable === true || h.test === undefined) return null;
  return Array.isArray(h.test) ? h.test.join(' ') : String(h.test);
}

/** Bind mounts as [host path, container path]. */
function binds(service: Json): Array<[string, string]> {
  return asArray(service.volumes).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source !== undefined && target !== undefined && /^[./]/.test(source) ? [[source, target] as [string, string]] : [];
    }
    const o = asObject(v);
    return o.type === 'bind' ? [[String(o.source), String(o.target)] as [string, string]] : [];
  });
}

function namedVolumes(service: Json): Array<[string, string]> {
  return asArray(service.volumes).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source !== undefined && target !== undefined && !/^[./~]/.test(source) ? [[source, target] as [string, string]] : [];
    }
    const o = asObject(v);
    return o.type === 'volume' ? [[String(o.source), String(o.target)] as [string, string]] : [];
  });
}

/** Services that run the Sluice image, by their sub-command. */
export function sluiceServices(compose: Json): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, value] of Object.entries(asObject(compose.services))) {
    const service = asObject(value);
    if (String(service.image ?? '').startsWith('sluice') || service.build !== undefined) result.set(name, command(service)[0] ?? '');
  }
  return result;
}

export function composeProblems(compose: Json, files: ComposeFiles): string[] {
  const problems: string[] = [];
  const services = asObject(compose.services);
  const names = Object.keys(services);
  const declaredVolumes = new Set(Object.keys(asObject(compose.volumes)));
  const sluice = sluiceServices(compose);
  const nats = names.filter((n) => String(asObject(services[n]).image ?? '').startsWith('nats'));
  const postgres = names.filter((n) => String(asObject(services[n]).image ?? '').startsWith('postgres'));
  const byRole = (role: string): string[] => [...sluice].filter(([, r]) => r === role).map(([n]) => n);

  if (nats.length !== 3) problems.push(`expected 3 NATS services, found ${nats.length}`);
  if (postgres.length !== 1) problems.push(`expected 1 PostgreSQL service, found ${postgres.length}`);
  if (byRole('migrate').length !== 1) problems.push('expected one migrate service');
  if (byRole('gateway').length < 2) problems.push(`expected at least 2 gateways, found ${byRole('gateway').length}`);
  if (byRole('worker').length < 2) problems.push(`expected at least 2 workers, found ${byRole('worker').length}`);

  // depends_on: real services, real conditions, a health check behind service_healthy, no cycle.
  for (const name of names) {
    for (const [target, condition] of dependsOn(asObject(services[name]))) {
      if (!(target in services)) { problems.push(`${name} depends on ${target}, which is not a service`); continue; }
      if (!CONDITIONS.includes(condition)) problems.push(`${name} depends on ${target} with unknown condition ${condition}`);
      const targetService = asObject(services[target]);
      if (condition === 'service_healthy' && healthText(targetService) === null) problems.push(`${name} waits for ${target} to be healthy, but ${target} has no healthcheck`);
      if (condition === 'service_completed_successfully' && targetService.restart !== 'no') problems.push(`${name} waits for ${target} to complete, but ${target} restarts (restart must be "no")`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (done.has(name) || !(name in services)) return;
    if (visiting.has(name)) { problems.push(`depends_on cycle: ${[...path, name].join(' -> ')}`); return; }
    visiting.add(name);
    for (const target of dependsOn(asObject(services[name])).keys()) visit(target, [...path, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of names) visit(name, []);

  for (const name of names) {
    const service = asObject(services[name]);
    for (const [volume] of namedVolumes(service)) if (!declaredVolumes.has(volume)) problems.push(`${name} mounts volume ${volume}, which is not declared`);
    for (const [source] of binds(service)) if (!files.exists(resolve(deployDir, source))) problems.push(`${name} mounts ${source}, which does not exist`);
  }

  // NATS: 2.10+ (sync_interval), one config file each, store on a named volume.
  const natsConfs = new Map<string, ReturnType<typeof parseNatsConf>>();
  for (const name of nats) {
    const service = asObject(services[name]);
    if (!atLeast(imageVersion(String(service.image)), 2, 10)) problems.push(`${name} runs ${String(service.image)}; sync_interval: always needs nats 2.10 or later`);
    const args = command(service);
    const configPath = args[args.indexOf('--config') + 1] ?? args[args.indexOf('-c') + 1];
    const bind = binds(service).find(([, target]) => target === configPath);
    if (configPath === undefined || bind === undefined) { problems.push(`${name} does not start with a mounted config file (--config)`); continue; }
    if (!bind[0].startsWith('./nats/')) problems.push(`${name}'s config ${bind[0]} is not in deploy/nats/`);
    const hostPath = resolve(deployDir, bind[0]);
    if (!files.exists(hostPath)) continue;
    const conf = parseNatsConf(files.read(hostPath));
    natsConfs.set(name, conf);
    for (const p of natsConfProblems(conf, 3)) problems.push(`${name}: ${p}`);
    const hosts = routeHosts(conf);
    for (const host of hosts) if (!nats.includes(host)) problems.push(`${name}: route to ${host}, which is not a NATS service`);
    const js = conf.jetstream;
    const storeDir = isObject(js) && typeof js.store_dir === 'string' ? js.store_dir : '';
    if (!namedVolumes(service).some(([, target]) => storeDir === target || storeDir.startsWith(`${target}/`))) problems.push(`${name}: store_dir ${storeDir} is not on a named volume (data would die with the container)`);
    if (healthText(service) === null || !/healthz/.test(healthText(service)!)) problems.push(`${name} has no /healthz healthcheck`);
  }
  const serverNames = [...natsConfs.values()].map((c) => c.server_name);
  if (new Set(serverNames).size !== serverNames.length) problems.push('two NATS servers share a server_name');

  for (const name of postgres) {
    const service = asObject(services[name]);
    if (imageVersion(String(service.image))?.[0] !== 15) problems.push(`${name} runs ${String(service.image)}, expected PostgreSQL 15`);
    if (!/pg_isready/.test(healthText(service) ?? '')) problems.push(`${name} has no pg_isready healthcheck`);
  }

  // Sluice services: real sub-commands, known variables, a configuration Sluice accepts.
  for (const [name, role] of sluice) {
    const service = asObject(services[name]);
    if (!SLUICE_COMMANDS.includes(role)) problems.push(`${name} runs "${role}", which is not a sluice sub-command`);
    const env = environment(service);
    for (const v of unknownVariables(Object.keys(env))) problems.push(`${name} sets ${v}, which Sluice does not read`);
    const config = readConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v)])));
    if (typeof config === 'string') { problems.push(`${name}: Sluice refuses the configuration: ${config}`); continue; }
    if (role === 'migrate') {
      if (dependsOn(service).get(postgres[0] ?? '') !== 'service_healthy') problems.push(`${name} does not wait for PostgreSQL to be healthy`);
    }
    if (config.database.url === null) problems.push(`${name} has no DATABASE_URL (it would use the embedded database)`);
    else if (!postgres.includes(new URL(config.database.url).hostname)) problems.push(`${name}'s DATABASE_URL does not point at the PostgreSQL service`);
    if (role !== 'gateway' && role !== 'worker') continue;
    const servers = (config.nats.servers ?? []).map(natsServer);
    if (servers.length !== 3) problems.push(`${name}'s NATS_URL lists ${servers.length} servers, expected the 3 of the cluster`);
    for (const s of servers) {
      const conf = natsConfs.get(s.host);
      if (conf === undefined) problems.push(`${name}'s NATS_URL names ${s.host}, which is not a NATS service`);
      else if ((portOf(conf.listen) ?? 4222) !== s.port) problems.push(`${name}'s NATS_URL uses port ${s.port}, ${s.host} listens elsewhere`);
    }
    if (config.nats.replicas !== 3) problems.push(`${name} has STREAM_REPLICAS=${config.nats.replicas}, expected 3`);
    const deps = dependsOn(service);
    for (const m of byRole('migrate')) if (deps.get(m) !== 'service_completed_successfully') problems.push(`${name} does not wait for ${m} to complete`);
    for (const n of nats) if (deps.get(n) !== 'service_healthy') problems.push(`${name} does not wait for ${n} to be healthy`);
    const health = healthText(service) ?? '';
    if (role === 'gateway' && !health.includes(`:${config.http.port}/health`)) problems.push(`${name}'s healthcheck does not ask /health on port ${config.http.port}`);
    if (role === 'worker') {
      if (config.metricsPort !== 9464) problems.push(`${name} has METRICS_PORT=${String(config.metricsPort)}, expected 9464`);
      if (!health.includes(`:${config.metricsPort ?? 'none'}/health`)) problems.push(`${name}'s healthcheck does not ask /health on METRICS_PORT`);
    }
  }

  // The load balancer, when there is one, sends to every gateway on its port.
  for (const name of names.filter((n) => String(asObject(services[n]).image ?? '').startsWith('nginx'))) {
    const conf = binds(asObject(services[name])).find(([, target]) => target.endsWith('nginx.conf'));
    if (conf === undefined) { problems.push(`${name} mounts no nginx.conf`); continue; }
    const path = join(dirname(join(deployDir, 'compose.yaml')), conf[0]);
    if (!files.exists(path)) continue;
    const upstreams = [...files.read(path).matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => [m[1]!, Number(m[2])] as const);
    for (const gateway of byRole('gateway')) {
      const port = Number(environment(asObject(services[gateway])).PORT ?? 8080);
      if (!upstreams.some(([host, p]) => host === gateway && p === port)) problems.push(`${name} does not send to ${gateway}:${port}`);
    }
    for (const [host] of upstreams) if (!byRole('gateway').includes(host)) problems.push(`${name} sends to ${host}, which is not a gateway`);
  }
  return problems;
}
