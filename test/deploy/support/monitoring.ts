// What the alert rules and the dashboard are made of, for the checks that tie them to the
// metrics Sluice exports and to the runbook.
import { join } from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/metrics/index.js';
import { deployDir, readText } from './files.js';

export const alertsFile = join(deployDir, 'prometheus', 'alerts.yaml');
export const alertTestsFile = join(deployDir, 'prometheus', 'alerts.test.yaml');
export const dashboardFile = join(deployDir, 'grafana', 'sluice.json');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(text = readText(alertsFile)): AlertRule[] {
  const file = parse(text) as { groups: Array<{ rules: AlertRule[] }> };
  return file.groups.flatMap((g) => g.rules);
}

/** Every PromQL expression of the dashboard's panels. */
export function dashboardExpressions(json = readText(dashboardFile)): string[] {
  const dashboard = JSON.parse(json) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** Every series name Sluice's registry exposes (histograms with their _bucket, _sum and _count). */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = await createMetrics().registry.getMetricsAsJSON();
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
  }
  return names;
}

/** The metric names an expression uses: Sluice's (sluice_…) and Prometheus's own `up`. */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(sluice_[a-z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g)].map((m) => m[1]!);
}
