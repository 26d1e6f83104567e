import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
// @ts-expect-error: a plain ES module script without types
import { monitoringYaml } from '../../scripts/k8s-monitoring.mjs';
import { asArray, asObject, deployDir, k8sDir, parseYamlDocuments, readText, repoRoot } from './support/files.js';
import { alertRules, alertTestsFile, dashboardExpressions, exportedSeriesNames, metricNames } from './support/monitoring.js';

const runbook = readText(join(repoRoot, 'docs', 'operations.md'));

describe('alert rules, runbook and dashboard', () => {
  it('has an alert for each failure the issue names', () => {
    const names = alertRules().map((r) => r.alert);
    for (const name of ['SluiceConsumerLagGrowing', 'SluiceConsumerStalled', 'SluiceConsumerAtAckPendingLimit', 'SluiceWorkersStalled', 'SluiceDeadLettersRising', 'SluiceGateway503s', 'SluiceDatabaseUnreachable', 'SluiceSubscriptionFailing']) {
      assert.ok(names.includes(name), `${name} is in alerts.yaml`);
    }
  });

  it('gives every alert a severity, a summary and a runbook section in docs/operations.md', () => {
    for (const rule of alertRules()) {
      assert.match(rule.labels?.severity ?? '', /^(warning|critical)$/, rule.alert);
      assert.ok((rule.annotations?.summary ?? '') !== '', `${rule.alert} has a summary`);
      assert.equal(rule.annotations?.runbook, `docs/operations.md#${rule.alert.toLowerCase()}`);
      assert.match(runbook, new RegExp(`^### ${rule.alert}\\n\\S`, 'm'), `docs/operations.md has a "### ${rule.alert}" section with its runbook`);
    }
  });

  it('has a promtool test in which every alert fires', () => {
    const tests = parse(readText(alertTestsFile)) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const firing = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const rule of alertRules()) assert.ok(firing.has(rule.alert), `alerts.test.yaml shows ${rule.alert} firing`);
  });

  it('uses only metrics Sluice exports, in the alerts and in every dashboard expression', async () => {
    const exported = await exportedSeriesNames();
    const expressions = [...alertRules().map((r) => r.expr), ...dashboardExpressions()];
    assert.ok(dashboardExpressions().length >= 10);
    for (const expr of expressions) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `"${expr}" names a metric`);
      for (const name of names) if (name !== 'up') assert.ok(exported.has(name), `"${name}" (in ${expr}) is a metric Sluice exports`);
    }
  });

  it('catches a dashboard expression naming a metric Sluice does not export', async () => {
    const exported = await exportedSeriesNames();
    const broken = dashboardExpressions(JSON.stringify({ panels: [{ title: 'x', targets: [{ expr: 'rate(sluice_events_acepted_total[5m])' }] }] }));
    assert.ok(metricNames(broken[0]!).some((n) => !exported.has(n)));
  });

  it('shows rates in and out, lag, ack pending, dead letters, publish latency and subscriptions', () => {
    const all = dashboardExpressions().join('\n');
    for (const metric of ['sluice_events_accepted_total', 'sluice_events_persisted_total', 'sluice_consumer_pending_messages', 'sluice_consumer_ack_pending_messages', 'sluice_dead_letters_total', 'sluice_publish_duration_seconds_bucket', 'sluice_deliveries_total', 'sluice_subscription_pending_messages']) {
      assert.ok(all.includes(metric), `the dashboard shows ${metric}`);
    }
  });

  it('wires Prometheus (with the rules) and Grafana (with the dashboard) into the compose file', () => {
    const compose = asObject(parseYamlDocuments(readText(join(deployDir, 'compose.yaml')), 'compose.yaml')[0]);
    const services = asObject(compose.services);
    const mounts = (name: string) => asArray(asObject(services[name]).volumes).map(String);
    assert.ok(mounts('prometheus').some((m) => m.startsWith('./prometheus/alerts.yaml:')));
    assert.ok(mounts('grafana').some((m) => m.startsWith('./grafana/sluice.json:')));
    assert.ok(mounts('grafana').some((m) => m.startsWith('./grafana/provisioning:')));
    const scrape = parse(readText(join(deployDir, 'prometheus', 'prometheus.yml'))) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = scrape.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets.map((t) => t.split(':')[0]!)));
    for (const name of Object.keys(services).filter((n) => /^(gateway|worker)-\d$/.test(n))) assert.ok(targets.includes(name), `Prometheus scrapes ${name}`);
  });

  it('ships the same rules and dashboard to Kubernetes (deploy/k8s/monitoring.yaml is generated)', () => {
    assert.equal(readText(join(k8sDir, 'monitoring.yaml')), monitoringYaml(), 'run node scripts/k8s-monitoring.mjs after editing alerts.yaml or sluice.json');
  });
});
