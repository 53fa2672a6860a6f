import { customQueryFields, parsePolicySpec } from './spec.js';

const base = {
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
  maxReplicas: 3,
};

describe('customQueryFields', () => {
  it.each([
    ['built-in queries only', { gpuUtilization: { enabled: true, targetPercentage: 50 } }, []],
    [
      'a custom GPU query',
      { gpuUtilization: { enabled: true, targetPercentage: 50, prometheusQuery: 'up' } },
      ['spec.metrics.gpuUtilization.prometheusQuery'],
    ],
    [
      'custom p99 and p95 latency queries',
      {
        latency: {
          enabled: true,
          targetP99Ms: 100,
          targetP95Ms: 50,
          prometheusQuery: 'a',
          p95PrometheusQuery: 'b',
        },
      },
      ['spec.metrics.latency.prometheusQuery', 'spec.metrics.latency.p95PrometheusQuery'],
    ],
    [
      'a custom query of a disabled metric does not run',
      {
        gpuUtilization: { enabled: true, targetPercentage: 50 },
        requestQueueDepth: { enabled: false, targetDepth: 4, prometheusQuery: 'up' },
      },
      [],
    ],
  ])('%s', (_name, metrics, expected) => {
    const parsed = parsePolicySpec({ ...base, metrics });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(customQueryFields(parsed.spec)).toEqual(expected);
  });
});
