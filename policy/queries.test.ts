import { policyQueries, readingsFrom } from './queries.js';
import { enabledMetrics, parsePolicySpec } from './spec.js';
import type { PolicySpec } from './types.js';

function spec(metrics: Record<string, unknown>): PolicySpec {
  const parsed = parsePolicySpec({
    targetRef: { kind: 'StatefulSet', name: 'llm' },
    maxReplicas: 4,
    metrics,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

const ALL = spec({
  latency: {
    enabled: true,
    targetP99Ms: 500,
    targetP95Ms: 300,
    histogramMetric: 'vllm:e2e_request_latency_seconds',
  },
  gpuUtilization: { enabled: true, targetPercentage: 60 },
  gpuMemory: { enabled: true, targetPercentage: 80 },
  requestQueueDepth: { enabled: true, targetDepth: 4 },
});
const SCOPE = 'namespace="{{namespace}}", pod=~"{{podRegex}}"';

describe('policyQueries', () => {
  it('builds default queries scoped to the target pods, p99 and p95 apart, the queue per ready replica', () => {
    const queries = policyQueries(ALL, enabledMetrics(ALL), 3);
    expect(queries).toEqual([
      {
        name: 'latencyP99',
        query: `histogram_quantile(0.99, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{${SCOPE}}[1m])))`,
        aggregate: 'max',
        unitFactor: 1000,
      },
      {
        name: 'latencyP95',
        query: `histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{${SCOPE}}[1m])))`,
        aggregate: 'max',
        unitFactor: 1000,
      },
      {
        name: 'gpuUtilization',
        query: `avg(DCGM_FI_DEV_GPU_UTIL{${SCOPE}})`,
        aggregate: 'avg',
        unitFactor: 1,
      },
      {
        name: 'gpuMemory',
        query: `100 * sum(DCGM_FI_DEV_FB_USED{${SCOPE}}) / (sum(DCGM_FI_DEV_FB_USED{${SCOPE}}) + sum(DCGM_FI_DEV_FB_FREE{${SCOPE}}))`,
        aggregate: 'avg',
        unitFactor: 1,
      },
      {
        name: 'requestQueueDepth',
        query: `sum(inference_request_queue_depth{${SCOPE}}) / 3`,
        aggregate: 'avg',
        unitFactor: 1,
      },
    ]);
  });

  it('never divides by zero ready replicas, and custom queries are used as written', () => {
    const custom = spec({
      requestQueueDepth: { enabled: true, targetDepth: 4 },
      latency: { enabled: true, targetP99Ms: 500, prometheusQuery: 'max(p99{namespace="{{namespace}}"})' },
    });
    expect(policyQueries(custom, enabledMetrics(custom), 0).map((q) => q.query)).toEqual([
      'max(p99{namespace="{{namespace}}"})',
      `sum(inference_request_queue_depth{${SCOPE}}) / 1`,
    ]);
  });
});

describe('readingsFrom', () => {
  const queries = policyQueries(ALL, enabledMetrics(ALL), 2);
  it('converts seconds to ms and classifies no data, NaN and failures', () => {
    const readings = readingsFrom(
      queries,
      {
        values: { latencyP99: 0.25, latencyP95: Number.NaN, gpuUtilization: undefined, gpuMemory: 0 },
        failures: [
          {
            metric: 'requestQueueDepth',
            errorClass: 'transient',
            reason: 'unreachable',
            message: 'ECONNREFUSED',
          },
        ],
      },
      { namespace: 'ns', service: 'llm', revision: undefined, readyPods: ['llm-0', 'llm-1'] },
    );
    expect(readings.latencyP99).toEqual({ kind: 'value', value: 250 });
    expect(readings.latencyP95).toMatchObject({ kind: 'unavailable', reason: 'notFinite' });
    // The message shows the query as sent, placeholders filled in.
    expect(readings.gpuUtilization).toEqual({
      kind: 'unavailable',
      reason: 'noData',
      message: 'no series for: avg(DCGM_FI_DEV_GPU_UTIL{namespace="ns", pod=~"llm-0|llm-1"})',
    });
    expect(readings.gpuMemory).toEqual({ kind: 'value', value: 0 });
    expect(readings.requestQueueDepth).toEqual({
      kind: 'unavailable',
      reason: 'queryFailed',
      message: 'ECONNREFUSED',
    });
  });
  it('says noPods when the target has no pod', () => {
    const readings = readingsFrom(
      queries.slice(2, 3),
      { values: { gpuUtilization: undefined }, failures: [] },
      { namespace: 'ns', service: 'llm', revision: undefined, readyPods: [] },
    );
    expect(readings.gpuUtilization).toMatchObject({ kind: 'unavailable', reason: 'noPods' });
  });
});
