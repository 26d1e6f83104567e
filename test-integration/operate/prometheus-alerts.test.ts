import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { SHARED_NATS_URL, deleteStreams, freePort, uniqueNames } from '../../test/helpers/nats.js';
import { eventually } from '../../test/helpers/pipeline.js';
import { alertRules } from '../../test/deploy/support/monitoring.js';

// A real Prometheus (Debian's `prometheus`, as .ci/run installs it) scrapes a gateway and a
// worker every second and evaluates deploy/prometheus/alerts.yaml with every duration divided
// by SCALE (5m windows become 15 s), so a stall shows within a test's time. Then the worker is
// stopped while events keep arriving, and SluiceWorkersStalled must fire.
const SCALE = 20;

/** Divides the durations of a rule (its `for` and its range selectors) by SCALE. */
function scaled(text: string): string {
  const seconds = (n: number, unit: string) => n * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[unit]!;
  return text.replace(/(\d+)([smh])\b/g, (_m, n: string, unit: string) => `${Math.max(1, Math.round(seconds(Number(n), unit) / SCALE))}s`);
}

let dir: string;
let db: TestDatabase;
let gateway: Services;
let worker: Services | undefined;
let prometheus: ChildProcess;
let prometheusUrl: string;
let gatewayUrl: string;
const names = uniqueNames('alerts');
let sending = true;
let load: Promise<void>;

async function alertState(name: string): Promise<string> {
  const answer = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } };
  return answer.data.alerts.find((a) => a.labels.alertname === name)?.state ?? 'inactive';
}

async function query(expr: string): Promise<number | undefined> {
  const answer = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
  const first = answer.data.result[0];
  return first === undefined ? undefined : Number(first.value[1]);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  db = await createTestDatabase();
  const env = {
    HOST: '127.0.0.1',
    NATS_URL: SHARED_NATS_URL,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    SLUICE_CONSUMER: names.consumer,
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '4',
    LOG_LEVEL: 'silent',
  };
  const gatewayPort = await freePort();
  const workerPort = await freePort();
  gateway = await runServices(loadConfig({ ...env, PORT: String(gatewayPort) }), silentLogger(), { gateway: true, worker: false, migrate: true });
  worker = await runServices(loadConfig({ ...env, PORT: '0', METRICS_PORT: String(workerPort) }), silentLogger(), { gateway: false, worker: true, migrate: true });
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

  const rules = { groups: [{ name: 'sluice', rules: alertRules().map((r) => ({ ...r, expr: scaled(r.expr), ...(r.for !== undefined ? { for: scaled(r.for) } : {}) })) }] };
  writeFileSync(join(dir, 'alerts.yaml'), stringify(rules));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '900ms' },
      rule_files: [join(dir, 'alerts.yaml')],
      scrape_configs: [
        { job_name: 'sluice-gateway', static_configs: [{ targets: [`127.0.0.1:${gatewayPort}`] }] },
        { job_name: 'sluice-worker', static_configs: [{ targets: [`127.0.0.1:${workerPort}`] }] },
      ],
    }),
  );
  const promPort = await freePort();
  prometheusUrl = `http://127.0.0.1:${promPort}`;
  prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prometheus.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  await eventually(async () => ((await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok === true ? true : undefined), 30_000, `Prometheus to be ready (${log})`);

  // Load: about 40 events/s until the test ends.
  load = (async () => {
    while (sending) {
      await fetch(`${gatewayUrl}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
});

after(async () => {
  sending = false;
  await load;
  prometheus?.kill('SIGTERM');
  await worker?.stop();
  await gateway?.stop();
  await deleteStreams(SHARED_NATS_URL, names.stream).catch(() => undefined);
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('alerts on a running pipeline, through a real Prometheus', () => {
  it('scrapes the gateway and the worker, and the stall alert stays quiet while the worker writes', async () => {
    await eventually(async () => ((await query('sum(rate(sluice_events_persisted_total[15s]))')) ?? 0) > 0 ? true : undefined, 30_000, 'the worker to be seen writing');
    await eventually(async () => ((await query('sum(rate(sluice_events_accepted_total[15s]))')) ?? 0) > 0 ? true : undefined, 30_000, 'the gateway to be seen accepting');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.equal(await alertState('SluiceWorkersStalled'), 'inactive');
  });

  it('fires SluiceWorkersStalled when the worker is stopped under load', async () => {
    await worker!.stop();
    worker = undefined;
    const started = Date.now();
    await eventually(async () => ((await alertState('SluiceWorkersStalled')) === 'firing' ? true : undefined), 90_000, 'SluiceWorkersStalled to fire');
    // 15 s window + 15 s for, with 1 s scrapes and evaluations: about 30 s.
    assert.ok(Date.now() - started >= 10_000, 'not before the scaled window and for have passed');
    assert.equal(await alertState('SluiceTargetDown'), 'firing', 'the stopped worker is also seen as down');
  });
});
