/**
 * Single events at full speed: Fastify hello world, the naive gateway, Sluice, and Sluice with a
 * scoped API key, all running, loaded in turn for the rounds; each row is the median round. The
 * machine's speed drifts by tens of percent within minutes: interleaving puts the same drift
 * under all of them, and the ratios are taken round by round.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { httpRow, measure, wrkLine, type Measured } from '../harness/http-load.js';
import { wants } from '../harness/options.js';
import { log, stopProcess } from '../harness/processes.js';
import { ratioVerdict } from '../harness/report.js';
import { CONNECTIONS, names, singleLoad, sluiceEnv, startBaseline, startGateway, type Server } from '../harness/servers.js';

export const HELLO = 'fastify hello-world POST';
export const NAIVE = 'naive gateway (await publish)';
export const SINGLE = 'sluice POST /events/{type}';
export const KEYED = 'sluice POST /events/{type}, scoped rate-limited key';

interface LoadedServer extends Server {
  readonly workload: string;
  readonly baseline?: string;
  readonly authorization?: string;
  readonly runs: Measured[];
}

export async function runSingleEvents(ctx: BenchContext): Promise<void> {
  const { options, nats, db, jsm, report } = ctx;
  const servers: LoadedServer[] = [];
  if (wants(options, 'hello')) {
    log('fastify hello-world');
    servers.push({ workload: HELLO, ...(await startBaseline('bench/servers/hello.ts', [])), runs: [] });
  }
  const naiveNames = names('naive');
  if (wants(options, 'naive')) {
    log('naive gateway');
    await jsm.streams.add({ name: naiveNames.stream, subjects: [`${naiveNames.prefix}.>`] });
    servers.push({ workload: NAIVE, baseline: HELLO, ...(await startBaseline('bench/servers/naive.ts', [nats.url, naiveNames.prefix])), runs: [] });
  }
  if (wants(options, 'single')) {
    log('sluice gateway, single events');
    const single = names('single');
    const open = await startGateway('gateway', sluiceEnv(nats, db, single), { profileAs: 'single-gateway' });
    report.extra.startupJetStreamPostgresMs = Math.round(open.startupMs);
    ctx.singleGateway = { child: open.child, url: open.url, names: single };
    servers.push({ workload: SINGLE, baseline: HELLO, child: open.child, url: open.url, runs: [] });
    // The same gateway with a keys file: a key scoped to ingest and order.*, with a rate far
    // above the load, so every request pays the checks (hash, scope, type, token bucket) and none is refused.
    log('sluice gateway, single events with a scoped, rate-limited key');
    const key = 'bench-key-0123456789abcdef';
    const keysFile = join(ctx.scratch, 'keys.yaml');
    writeFileSync(keysFile, `keys:\n  - name: bench\n    hash: sha256:${createHash('sha256').update(key).digest('hex')}\n    scopes: [ingest]\n    types: ["order.*"]\n    rate: 10000000/s\n`);
    const authorization = `Bearer ${key}`;
    const keyed = await startGateway('gateway', { ...sluiceEnv(nats, db, single), SLUICE_KEYS_FILE: keysFile }, { authorization, profileAs: 'keyed-gateway' });
    servers.push({ workload: KEYED, baseline: SINGLE, child: keyed.child, url: keyed.url, authorization, runs: [] });
  }
  for (let round = 1; round <= options.rounds; round++) {
    // Each round starts with another server, so none always runs right after the same neighbour.
    const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]!);
    for (const server of order) {
      log(`${server.workload}, round ${round} of ${options.rounds}`);
      // wrk runs right after autocannon in every round, so its median comes from the same interleaving.
      const load = singleLoad(server.url, { durationSeconds: options.roundSeconds, ...(server.authorization !== undefined ? { authorization: server.authorization } : {}) });
      server.runs.push(await measure(server.child.pid!, load, options.wrk));
    }
  }
  for (const server of servers) {
    const ordered = [...server.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    const median = ordered[Math.floor(ordered.length / 2)]!;
    const rates = server.runs.map((r) => Math.round(r.requestsPerSecond)).join(', ');
    const wrkRuns = server.runs.flatMap((r) => (r.wrk !== undefined ? [r.wrk] : []));
    if (wrkRuns.length > 0) report.wrkRows.push(wrkLine(server.workload, CONNECTIONS, wrkRuns));
    const row = httpRow(server.workload, { ...median, rss: Math.max(...server.runs.map((r) => r.rss)) }, 1, server.baseline);
    report.rows.push({ ...row, note: [row.note, `median of ${options.rounds} rounds: ${rates}`].filter(Boolean).join('; ') });
    if (server.child !== ctx.singleGateway?.child) await stopProcess(server.child);
  }
  if (wants(options, 'naive')) await jsm.streams.delete(naiveNames.stream);

  const rates = (workload: string): number[] | undefined => servers.find((s) => s.workload === workload)?.runs.map((r) => r.requestsPerSecond);
  const [hello, naive, single, keyed] = [rates(HELLO), rates(NAIVE), rates(SINGLE), rates(KEYED)];
  if (single !== undefined && naive !== undefined) report.lines.push(ratioVerdict('single events / naive gateway', single, naive, { atLeast: 2 }));
  if (single !== undefined && hello !== undefined) report.lines.push(ratioVerdict('single events / fastify hello-world', single, hello, { atLeast: 0.5 }));
  if (single !== undefined && keyed !== undefined) report.lines.push(ratioVerdict('keyed gateway / open gateway', keyed, single, { atLeast: 0.95 }));
}
