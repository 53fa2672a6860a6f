import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { enabledMetrics, parsePolicySpec } from './spec.js';

const valid = {
  targetRef: { kind: 'Deployment', name: 'llm' },
  maxReplicas: 10,
  metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
};

describe('parsePolicySpec defaults', () => {
  it('applies every documented default', () => {
    const parsed = parsePolicySpec(valid);
    expect(parsed).toEqual({
      ok: true,
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm' },
        minReplicas: 1,
        maxReplicas: 10,
        cooldownPeriodSeconds: 300,
        metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
        algorithm: { name: 'MaxRatio', tolerance: 0.1, weights: {} },
        scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [] },
      },
    });
  });
});

describe('parsePolicySpec rejects bad specs naming the field', () => {
  const cases: ReadonlyArray<{ name: string; spec: unknown; path: string; message?: RegExp }> = [
    { name: 'missing maxReplicas', spec: { ...valid, maxReplicas: undefined }, path: 'spec.maxReplicas' },
    { name: 'min > max', spec: { ...valid, minReplicas: 5, maxReplicas: 2 }, path: 'spec.minReplicas' },
    {
      name: 'no metric enabled',
      spec: { ...valid, metrics: { gpuUtilization: { enabled: false, targetPercentage: 60 } } },
      path: 'spec.metrics',
      message: /at least one/,
    },
    {
      name: 'tolerance 1.5',
      spec: { ...valid, algorithm: { tolerance: 1.5 } },
      path: 'spec.algorithm.tolerance',
    },
    {
      name: 'targetPercentage 150',
      spec: { ...valid, metrics: { gpuUtilization: { enabled: true, targetPercentage: 150 } } },
      path: 'spec.metrics.gpuUtilization.targetPercentage',
    },
    {
      name: 'enabled without target',
      spec: { ...valid, metrics: { gpuMemory: { enabled: true } } },
      path: 'spec.metrics.gpuMemory.targetPercentage',
    },
    {
      name: 'kind Pod',
      spec: { ...valid, targetRef: { kind: 'Pod', name: 'x' } },
      path: 'spec.targetRef.kind',
    },
    {
      name: 'weights without WeightedRatio',
      spec: { ...valid, algorithm: { name: 'MaxRatio', weights: { gpuUtilization: 1 } } },
      path: 'spec.algorithm.weights',
    },
    {
      name: 'WeightedRatio without weights',
      spec: { ...valid, algorithm: { name: 'WeightedRatio' } },
      path: 'spec.algorithm.weights',
    },
    {
      name: 'unknown weight key',
      spec: { ...valid, algorithm: { name: 'WeightedRatio', weights: { gpuUtilisation: 1 } } },
      path: 'spec.algorithm.weights',
    },
    {
      name: 'custom query with an unknown placeholder',
      spec: {
        ...valid,
        metrics: {
          gpuUtilization: { enabled: true, targetPercentage: 60, prometheusQuery: 'avg(x{pod=~"{{pods}}"})' },
        },
      },
      path: 'spec.metrics.gpuUtilization.prometheusQuery',
      message: /unknown placeholder \{\{pods\}\}/,
    },
    {
      name: 'fallback outside bounds',
      spec: { ...valid, fallback: { failureThreshold: 3, replicas: 20 } },
      path: 'spec.fallback.replicas',
    },
    {
      name: 'policy of unknown type',
      spec: { ...valid, scaleUp: { policies: [{ type: 'Replicas', value: 1, periodSeconds: 15 }] } },
      path: 'spec.scaleUp.policies.0.type',
    },
  ];
  it.each(cases)('$name', ({ spec, path, message }) => {
    const parsed = parsePolicySpec(spec);
    if (parsed.ok) throw new Error('expected a rejection');
    expect(parsed.issues.map((i) => i.path)).toContain(path);
    expect(parsed.message).toContain(path);
    if (message !== undefined) expect(parsed.message).toMatch(message);
  });
});

describe('enabledMetrics', () => {
  it('lists latency p99 and p95 separately, with their own custom queries, and skips disabled metrics', () => {
    const parsed = parsePolicySpec({
      ...valid,
      metrics: {
        latency: {
          enabled: true,
          targetP99Ms: 500,
          targetP95Ms: 300,
          prometheusQuery: 'p99q',
          p95PrometheusQuery: 'p95q',
        },
        gpuUtilization: { enabled: false, targetPercentage: 60 },
        gpuMemory: { enabled: true, targetPercentage: 80 },
        requestQueueDepth: { enabled: true, targetDepth: 4 },
      },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(enabledMetrics(parsed.spec)).toEqual([
      { name: 'latencyP99', target: 500, customQuery: 'p99q' },
      { name: 'latencyP95', target: 300, customQuery: 'p95q' },
      { name: 'gpuMemory', target: 80 },
      { name: 'requestQueueDepth', target: 4 },
    ]);
  });
});

describe('the shipped example policy', () => {
  it('parses without issues', () => {
    const example = load(
      readFileSync(fileURLToPath(new URL('./example-policy.yaml', import.meta.url)), 'utf8'),
    ) as {
      spec: unknown;
    };
    const parsed = parsePolicySpec(example.spec);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
  });
});
