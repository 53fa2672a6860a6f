import type { SeriesAggregate } from '../autoscaler/index.js';
import type { NamedQuery, QueryTarget, ServiceMetrics } from '../prometheus/index.js';
import { expandQuery } from '../prometheus/index.js';
import type { EnabledMetric, MetricReading, MetricReadings, PolicyMetricName, PolicySpec } from './types.js';

/** One query of a policy and how its value becomes the status unit (seconds -> ms for latency). */
export interface PolicyQuery extends NamedQuery {
  readonly name: PolicyMetricName;
  readonly unitFactor: number;
}

// Every default query is scoped to the target's own pods: {{podRegex}} matches exactly the pods the
// target's selector lists now, in the target's namespace (placeholders of the autoscaler ConfigMap).
const SCOPE = 'namespace="{{namespace}}", pod=~"{{podRegex}}"';

function quantileQuery(quantile: number, histogramMetric: string): string {
  return `histogram_quantile(${quantile}, sum by (le) (rate(${histogramMetric}_bucket{${SCOPE}}[1m])))`;
}

/** The default PromQL of a metric; `readyReplicas` divides the queue (at least 1, so never by zero). */
export function defaultQuery(name: PolicyMetricName, spec: PolicySpec, readyReplicas: number): string {
  const histogram = spec.metrics.latency?.histogramMetric ?? 'inference_request_duration_seconds';
  switch (name) {
    case 'latencyP99':
      return quantileQuery(0.99, histogram);
    case 'latencyP95':
      return quantileQuery(0.95, histogram);
    case 'gpuUtilization':
      return `avg(DCGM_FI_DEV_GPU_UTIL{${SCOPE}})`;
    case 'gpuMemory':
      return `100 * sum(DCGM_FI_DEV_FB_USED{${SCOPE}}) / (sum(DCGM_FI_DEV_FB_USED{${SCOPE}}) + sum(DCGM_FI_DEV_FB_FREE{${SCOPE}}))`;
    case 'requestQueueDepth':
      return `sum(inference_request_queue_depth{${SCOPE}}) / ${Math.max(1, readyReplicas)}`;
  }
}

// Per-pod custom queries (`{{pod}}`) are combined across pods: the worst pod for latency, the mean otherwise.
const AGGREGATE: Readonly<Record<PolicyMetricName, SeriesAggregate>> = {
  latencyP99: 'max',
  latencyP95: 'max',
  gpuUtilization: 'avg',
  gpuMemory: 'avg',
  requestQueueDepth: 'avg',
};

/** The queries for the enabled metrics; custom ones as written, defaults scoped to the target's pods. */
export function policyQueries(
  spec: PolicySpec,
  metrics: readonly EnabledMetric[],
  readyReplicas: number,
): readonly PolicyQuery[] {
  return metrics.map((metric) => ({
    name: metric.name,
    query: metric.customQuery ?? defaultQuery(metric.name, spec, readyReplicas),
    aggregate: AGGREGATE[metric.name],
    unitFactor: metric.name === 'latencyP99' || metric.name === 'latencyP95' ? 1000 : 1,
  }));
}

/**
 * Turns what the metrics source read into one reading per metric, in status units. No series is "noData"
 * (or "noPods" when the target has no pod to ask about); NaN and Inf are "notFinite"; failures keep
 * Prometheus's message.
 */
export function readingsFrom(
  queries: readonly PolicyQuery[],
  read: ServiceMetrics,
  target: QueryTarget,
): MetricReadings {
  const readings: Partial<Record<PolicyMetricName, MetricReading>> = {};
  const podCount = target.readyPods.length;
  for (const query of queries) {
    // Messages show the query as sent (placeholders filled in), so it can be pasted into Prometheus.
    const expanded = expandQuery(query.query, target);
    const shown = expanded.kind === 'queries' ? (expanded.queries[0] ?? query.query) : query.query;
    const failure = read.failures.find((f) => f.metric === query.name);
    const value = read.values[query.name];
    if (failure !== undefined) {
      readings[query.name] = { kind: 'unavailable', reason: 'queryFailed', message: failure.message };
    } else if (value === undefined) {
      readings[query.name] =
        podCount === 0
          ? { kind: 'unavailable', reason: 'noPods', message: 'the target has no pods to read metrics from' }
          : { kind: 'unavailable', reason: 'noData', message: `no series for: ${shown}` };
    } else if (!Number.isFinite(value)) {
      readings[query.name] = {
        kind: 'unavailable',
        reason: 'notFinite',
        message: `Prometheus returned ${value} (no samples in the rate window?) for: ${shown}`,
      };
    } else {
      readings[query.name] = { kind: 'value', value: value * query.unitFactor };
    }
  }
  return readings;
}
