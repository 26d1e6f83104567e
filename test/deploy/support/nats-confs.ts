import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { asObject, deployDir, k8sDir, parseYamlDocuments, readText } from './files.js';

/** The compose servers' config files, by name. */
export const composeConfs = readdirSync(join(deployDir, 'nats')).filter((f) => f.endsWith('.conf')).sort();

/** The nats.conf inside the Kubernetes ConfigMap. */
export const k8sConf = (() => {
  const docs = parseYamlDocuments(readText(join(k8sDir, 'nats.yaml')), 'deploy/k8s/nats.yaml');
  const map = docs.map(asObject).find((d) => d.kind === 'ConfigMap' && asObject(d.metadata).name === 'nats-config');
  return String(asObject(map?.data)['nats.conf'] ?? '');
})();

/** Every NATS server configuration the repository ships: [where it is, its text]. */
export const natsConfSources: ReadonlyArray<readonly [string, string]> = [
  ...composeConfs.map((f): [string, string] => [`deploy/nats/${f}`, readText(join(deployDir, 'nats', f))]),
  ['deploy/k8s/nats.yaml (nats-config)', k8sConf],
];
