import { Registry } from 'prom-client';

import { createControllerMetrics } from './controller-metrics.js';
import { dashboardQueries, readDashboard, substituteVariables } from './dashboard.js';
import { createPolicyMetrics } from './policy-metrics.js';

interface Templating {
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
  panels: Array<{
    type: string;
    datasource?: { uid?: string };
    targets?: Array<{ datasource?: { uid?: string } }>;
  }>;
}

describe('grafana-dashboard.json', () => {
  let dashboard: Templating;
  beforeAll(async () => {
    dashboard = (await readDashboard()) as Templating;
  });

  it('has a datasource variable and namespace/service variables', () => {
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v.type]));
    expect(variables.get('datasource')).toBe('datasource');
    expect(variables.get('namespace')).toBe('query');
    expect(variables.get('service')).toBe('query');
  });

  it('every panel and query uses the datasource variable', () => {
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    }
  });

  it('covers what operators asked for', () => {
    const all = dashboardQueries(dashboard)
      .map((q) => q.expr)
      .join('\n');
    for (const series of [
      'ksiss_slo_metric_value',
      'ksiss_slo_metric_threshold',
      'ksiss_service_tier_info',
      'ksiss_service_replicas',
      'ksiss_decisions_total',
      'ksiss_migration_duration_seconds',
      'ksiss_gpu_free_units',
      'KubeComp_gpu_resource',
    ]) {
      expect(all).toContain(series);
    }
  });

  it('names only series the exporter registers (catches renames)', async () => {
    const registry = new Registry();
    createControllerMetrics(registry);
    createPolicyMetrics(registry);
    const registered = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const referenced = new Set<string>();
    for (const { expr } of dashboardQueries(dashboard)) {
      for (const name of expr.match(/\b(ksiss_\w+|KubeComp_\w+)/g) ?? []) {
        referenced.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect([...referenced].filter((name) => !registered.has(name))).toEqual([]);
  });

  it.each([
    {
      name: 'one value, built-in intervals',
      expr: 'rate(x{service=~"$service"}[$__rate_interval]) + y[${__range}]',
      expected: 'rate(x{service=~"gpt2"}[1m]) + y[10m]',
    },
    {
      name: 'several values become an alternation',
      expr: 'x{service=~"$service",namespace=~"${namespace}"}',
      expected: 'x{service=~"(a|b)",namespace=~"demo"}',
    },
  ])('substituteVariables: $name', ({ expr, expected }) => {
    const variables = { service: expr.includes('namespace') ? ['a', 'b'] : ['gpt2'], namespace: ['demo'] };
    expect(substituteVariables(expr, { variables, rateInterval: '1m', range: '10m' })).toBe(expected);
  });

  it('substituteVariables names a variable without a value', () => {
    expect(() =>
      substituteVariables('x{a="$nope"}', { variables: {}, rateInterval: '1m', range: '1h' }),
    ).toThrow('$nope');
  });
});
