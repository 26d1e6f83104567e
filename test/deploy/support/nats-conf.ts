// A reader for the nats-server configuration format, enough for the files in deploy/:
// `key: value`, `key = value`, `key value`, `key { block }`, arrays `[ ... ]` split by
// newlines or commas, quoted strings, `#` and `//` comments.

export type NatsValue = string | NatsValue[] | { [key: string]: NatsValue };
export type NatsConf = { [key: string]: NatsValue };

export function parseNatsConf(text: string): NatsConf {
  let at = 0;
  const fail = (message: string): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new Error(`nats config line ${line}: ${message}`);
  };
  const skipBlank = (newlines: boolean): void => {
    for (;;) {
      const ch = text[at];
      if (ch === '#' || (ch === '/' && text[at + 1] === '/')) {
        while (at < text.length && text[at] !== '\n') at += 1;
      } else if (ch === ' ' || ch === '\t' || ch === '\r' || (newlines && (ch === '\n' || ch === ',' || ch === ';'))) {
        at += 1;
      } else {
        return;
      }
    }
  };
  const readKey = (): string => {
    const match = /^[A-Za-z_$][A-Za-z0-9_.$-]*/.exec(text.slice(at));
    if (match === null) fail(`expected a key, found "${text.slice(at, at + 10)}"`);
    at += match![0].length;
    return match![0];
  };
  const readValue = (): NatsValue => {
    const ch = text[at];
    if (ch === '{') {
      at += 1;
      const block = readEntries('}');
      at += 1;
      return block;
    }
    if (ch === '[') {
      at += 1;
      const items: NatsValue[] = [];
      for (;;) {
        skipBlank(true);
        if (at >= text.length) fail('unclosed [');
        if (text[at] === ']') { at += 1; return items; }
        items.push(readValue());
      }
    }
    if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, at + 1);
      if (end < 0) fail('unclosed string');
      const value = text.slice(at + 1, end);
      at = end + 1;
      return value;
    }
    const match = /^[^\s,;\]}#]+/.exec(text.slice(at));
    if (match === null) fail('expected a value');
    at += match![0].length;
    return match![0];
  };
  const readEntries = (closer: string | null): NatsConf => {
    const entries: NatsConf = {};
    for (;;) {
      skipBlank(true);
      if (at >= text.length) {
        if (closer !== null) fail(`unclosed block, expected ${closer}`);
        return entries;
      }
      if (closer !== null && text[at] === closer) return entries;
      const key = readKey();
      skipBlank(false);
      if (text[at] === ':' || text[at] === '=') at += 1;
      skipBlank(false);
      if (key in entries) fail(`"${key}" given twice`);
      entries[key] = readValue();
    }
  };
  return readEntries(null);
}

/** `0.0.0.0:6222`, `6222` or `nats://host:6222` → 6222. */
export function portOf(value: NatsValue | undefined): number | null {
  if (typeof value !== 'string') return null;
  const match = /(?:^|:)(\d+)$/.exec(value);
  return match === null ? null : Number(match[1]);
}

/** What every server config of a Sluice deployment must say, as a list of problems. */
export function natsConfProblems(conf: NatsConf, expectedRoutes: number): string[] {
  const problems: string[] = [];
  if (typeof conf.server_name !== 'string' || conf.server_name === '') problems.push('server_name is missing');
  if (portOf(conf.http) === null && portOf(conf.http_port) === null) problems.push('no monitoring port (http): healthchecks and KEDA read it');
  const js = conf.jetstream;
  if (js === undefined || typeof js !== 'object' || Array.isArray(js)) {
    problems.push('jetstream is not enabled (no jetstream block)');
  } else {
    if (typeof js.store_dir !== 'string' || js.store_dir === '') problems.push('jetstream.store_dir is missing');
    if (js.sync_interval !== 'always') problems.push('jetstream.sync_interval is not "always" (acks would not wait for fsync)');
  }
  const cluster = conf.cluster;
  if (cluster === undefined || typeof cluster !== 'object' || Array.isArray(cluster)) {
    problems.push('cluster block is missing');
  } else {
    if (typeof cluster.name !== 'string') problems.push('cluster.name is missing');
    const clusterPort = portOf(cluster.listen) ?? portOf(cluster.port);
    const routes = Array.isArray(cluster.routes) ? cluster.routes : [];
    if (routes.length !== expectedRoutes) problems.push(`cluster.routes has ${routes.length} routes, expected ${expectedRoutes}`);
    if (new Set(routes).size !== routes.length) problems.push('cluster.routes repeats a route');
    for (const route of routes) {
      if (typeof route !== 'string' || !/^nats(-route)?:\/\/[^\s:]+:\d+$/.test(route)) problems.push(`route ${JSON.stringify(route)} is not nats://host:port`);
      else if (portOf(route) !== clusterPort) problems.push(`route ${route} does not use the cluster port ${clusterPort}`);
    }
  }
  return problems;
}

/** The host names of the routes. */
export function routeHosts(conf: NatsConf): string[] {
  const cluster = conf.cluster;
  if (cluster === undefined || typeof cluster !== 'object' || Array.isArray(cluster)) return [];
  const routes = Array.isArray(cluster.routes) ? cluster.routes : [];
  return routes.filter((r): r is string => typeof r === 'string').map((r) => new URL(r).hostname);
}
