import { formatTime } from './behavior.js';
import type { Evaluation, HoldReason, ScaleReason } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicySpec } from './spec.js';
import type { MetricReading, MetricReadings, PolicySpec, PolicyStatus } from './types.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => formatTime(NOW - seconds * 1000);
const value = (v: number): MetricReading => ({ kind: 'value', value: v });
const missing: MetricReading = { kind: 'unavailable', reason: 'noData', message: 'no series' };

const GPU = { gpuUtilization: { enabled: true, targetPercentage: 60 } };
const GPU_QUEUE = { ...GPU, requestQueueDepth: { enabled: true, targetDepth: 10 } };
const NO_WINDOWS = {
  scaleUp: { stabilizationWindowSeconds: 0 },
  scaleDown: { stabilizationWindowSeconds: 0 },
};

function spec(overrides: Record<string, unknown> = {}): PolicySpec {
  const parsed = parsePolicySpec({
    targetRef: { kind: 'Deployment', name: 'llm' },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: GPU,
    ...NO_WINDOWS,
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

interface Case {
  readonly name: string;
  readonly spec: PolicySpec;
  readonly current: number;
  readonly readings: MetricReadings;
  readonly status?: PolicyStatus;
  readonly expect:
    | { readonly scale: number; readonly reason: ScaleReason; readonly message?: RegExp }
    | { readonly hold: HoldReason; readonly desired?: number; readonly message?: RegExp };
  readonly check?: (evaluation: Evaluation) => void;
}

const cases: readonly Case[] = [
  // Algorithms
  {
    name: 'MaxRatio scales up: 90%/60% = 1.5 x 2 replicas -> 3',
    spec: spec(),
    current: 2,
    readings: { gpuUtilization: value(90) },
    expect: { scale: 3, reason: 'MetricsAboveTarget', message: /MaxRatio 1\.5 .*2 -> 3 replicas/ },
  },
  {
    name: 'MaxRatio scales DOWN when every metric is low (max of 0.33 and 0.1, not of 1.0)',
    spec: spec({ metrics: GPU_QUEUE }),
    current: 6,
    readings: { gpuUtilization: value(20), requestQueueDepth: value(1) },
    expect: { scale: 2, reason: 'MetricsBelowTarget' },
  },
  {
    name: 'a zero-valued metric is a value: 0% GPU scales down to minReplicas',
    spec: spec({ minReplicas: 1 }),
    current: 4,
    readings: { gpuUtilization: value(0) },
    expect: { scale: 1, reason: 'MetricsBelowTarget' },
    check: (e) => expect(e.currentMetrics).toEqual({ gpuUtilizationPercentage: 0 }),
  },
  {
    name: 'AverageRatio: (1.5 + 0.5) / 2 = 1.0 holds where MaxRatio would scale up',
    spec: spec({ metrics: GPU_QUEUE, algorithm: { name: 'AverageRatio' } }),
    current: 4,
    readings: { gpuUtilization: value(90), requestQueueDepth: value(5) },
    expect: { hold: 'WithinTolerance', desired: 4 },
  },
  {
    name: 'AverageRatio scales down: (0.5 + 0.5) / 2 x 4 -> 2',
    spec: spec({ metrics: GPU_QUEUE, algorithm: { name: 'AverageRatio' } }),
    current: 4,
    readings: { gpuUtilization: value(30), requestQueueDepth: value(5) },
    expect: { scale: 2, reason: 'MetricsBelowTarget' },
  },
  {
    name: 'WeightedRatio: (3 x 1.5 + 1 x 0.5) / 4 = 1.25 x 4 -> 5',
    spec: spec({
      metrics: GPU_QUEUE,
      algorithm: { name: 'WeightedRatio', weights: { gpuUtilization: 3, requestQueueDepth: 1 } },
    }),
    current: 4,
    readings: { gpuUtilization: value(90), requestQueueDepth: value(5) },
    expect: { scale: 5, reason: 'MetricsAboveTarget', message: /WeightedRatio 1\.25/ },
  },
  {
    name: 'WeightedRatio with no weight on any enabled metric holds and says why',
    spec: spec({ algorithm: { name: 'WeightedRatio', weights: { requestQueueDepth: 1 } } }),
    current: 4,
    readings: { gpuUtilization: value(90) },
    expect: { hold: 'InvalidWeights', message: /no enabled metric has a weight/ },
  },
  {
    name: 'latency p99 and p95 are separate metrics with separate targets',
    spec: spec({ metrics: { latency: { enabled: true, targetP99Ms: 500, targetP95Ms: 300 } } }),
    current: 5,
    readings: { latencyP99: value(600), latencyP95: value(100) },
    expect: { scale: 6, reason: 'MetricsAboveTarget' },
    check: (e) => expect(e.currentMetrics).toEqual({ latencyP99Ms: 600, latencyP95Ms: 100 }),
  },
  // Tolerance
  {
    name: 'ratio 1.05 within the default tolerance 0.1 holds',
    spec: spec(),
    current: 10,
    readings: { gpuUtilization: value(63) },
    expect: { hold: 'WithinTolerance', desired: 10 },
  },
  {
    name: 'ratio 0.95 within tolerance holds (no scale-down either)',
    spec: spec(),
    current: 10,
    readings: { gpuUtilization: value(57) },
    expect: { hold: 'WithinTolerance' },
  },
  {
    name: 'tolerance 0: ratio 1.05 x 10 -> 11',
    spec: spec({ algorithm: { tolerance: 0 }, maxReplicas: 20 }),
    current: 10,
    readings: { gpuUtilization: value(63) },
    expect: { scale: 11, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'ratio just outside tolerance 0.1 (1.2) scales',
    spec: spec(),
    current: 5,
    readings: { gpuUtilization: value(72) },
    expect: { scale: 6, reason: 'MetricsAboveTarget' },
  },
  // Bounds
  {
    name: 'capped at maxReplicas',
    spec: spec({ maxReplicas: 5 }),
    current: 3,
    readings: { gpuUtilization: value(180) },
    expect: { scale: 5, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'already at maxReplicas holds AtLimit',
    spec: spec({ maxReplicas: 5 }),
    current: 5,
    readings: { gpuUtilization: value(180) },
    expect: { hold: 'AtLimit', message: /maxReplicas 5/ },
  },
  {
    name: 'already at minReplicas holds AtLimit',
    spec: spec({ minReplicas: 2 }),
    current: 2,
    readings: { gpuUtilization: value(6) },
    expect: { hold: 'AtLimit', message: /minReplicas 2/ },
  },
  {
    name: 'below minReplicas is corrected at once, even without metrics and inside the cooldown',
    spec: spec({ minReplicas: 2, cooldownPeriod: 300 }),
    current: 1,
    readings: { gpuUtilization: missing },
    status: { lastScaleTime: ago(10) },
    expect: { scale: 2, reason: 'BelowMinimum' },
  },
  // A target its owner scaled to 0 (HPA TestZeroReplicas: 0 replicas, min 3, max 5, stays at 0)
  {
    name: 'a target at 0 replicas stays at 0 under load, below minReplicas (HPA TestZeroReplicas)',
    spec: spec({ minReplicas: 3, maxReplicas: 5 }),
    current: 0,
    readings: { gpuUtilization: value(180) },
    expect: { hold: 'TargetScaledToZero', desired: 0, message: /replica count of the target is zero/ },
    check: (e) => {
      expect(e.ratios).toEqual([]);
      expect(e.currentMetrics).toEqual({});
      expect(e.unavailable).toEqual([]);
    },
  },
  {
    name: 'at 0 replicas the fallback does not fire and the failure count does not grow',
    spec: spec({ fallback: { failureThreshold: 2, replicas: 4 } }),
    current: 0,
    readings: { gpuUtilization: missing },
    status: { consecutiveMetricFailures: 5 },
    expect: { hold: 'TargetScaledToZero', desired: 0 },
    check: (e) => expect(e.consecutiveMetricFailures).toBe(5),
  },
  {
    name: "at 0 replicas the window history is dropped: the owner's next count starts afresh",
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 0,
    readings: { gpuUtilization: value(20) },
    status: {
      recommendations: [{ time: ago(100), replicas: 6 }],
      scaleEvents: [{ time: ago(5), replicasChange: 2 }],
    },
    expect: { hold: 'TargetScaledToZero' },
    check: (e) => {
      expect(e.recommendations).toEqual([]);
      expect(e.scaleEvents).toEqual([{ time: ago(5), replicasChange: 2 }]);
    },
  },
  {
    name: "scaled up again by its owner (0 -> 2): autoscaled again, from the owner's count",
    spec: spec({ maxReplicas: 5 }),
    current: 2,
    readings: { gpuUtilization: value(180) },
    status: { recommendations: [] },
    expect: { scale: 5, reason: 'MetricsAboveTarget', message: /2 -> 5 replicas/ },
  },
  {
    name: 'above maxReplicas is corrected at once',
    spec: spec({ maxReplicas: 10 }),
    current: 12,
    readings: { gpuUtilization: value(60) },
    expect: { scale: 10, reason: 'AboveMaximum' },
  },
  // Stabilization windows
  {
    name: 'scale-down window holds the highest recommendation of the last 300 s',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 6,
    readings: { gpuUtilization: value(20) },
    status: { recommendations: [{ time: ago(100), replicas: 6 }] },
    expect: { hold: 'Stabilizing', message: /300 s scale-down window holds 6/ },
    check: (e) =>
      expect(e.recommendations).toEqual([
        { time: ago(100), replicas: 6 },
        { time: ago(0), replicas: 2 },
      ]),
  },
  {
    name: 'scale-down window partly passed: the highest recommendation left in it wins',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 6,
    readings: { gpuUtilization: value(20) },
    status: {
      recommendations: [
        { time: ago(400), replicas: 6 },
        { time: ago(350), replicas: 4 },
        { time: ago(200), replicas: 3 },
      ],
    },
    expect: { scale: 4, reason: 'MetricsBelowTarget' },
    check: (e) => expect(e.recommendations.map((r) => r.replicas)).toEqual([4, 3, 2]),
  },
  {
    name: 'scale-down window passed: scales down to the raw recommendation',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 6,
    readings: { gpuUtilization: value(20) },
    status: {
      recommendations: [
        { time: ago(400), replicas: 6 },
        { time: ago(350), replicas: 2 },
      ],
    },
    expect: { scale: 2, reason: 'MetricsBelowTarget' },
  },
  {
    name: 'scale-up window holds the lowest recommendation of the last 60 s',
    spec: spec({ scaleUp: { stabilizationWindowSeconds: 60 } }),
    current: 2,
    readings: { gpuUtilization: value(120) },
    status: { recommendations: [{ time: ago(30), replicas: 2 }] },
    expect: { hold: 'Stabilizing', message: /60 s scale-up window holds 2/ },
  },
  {
    name: 'a new policy waits out its scale-up window too (the history starts with the current count)',
    spec: spec({ scaleUp: { stabilizationWindowSeconds: 60 } }),
    current: 2,
    readings: { gpuUtilization: value(120) },
    expect: { hold: 'Stabilizing', message: /60 s scale-up window holds 2/ },
  },
  {
    name: 'a new policy with no scale-up window scales up at once',
    spec: spec(),
    current: 2,
    readings: { gpuUtilization: value(120) },
    expect: { scale: 4, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'a new policy does not scale down before its scale-down window has passed (HPA: history seeded with the current count)',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 6,
    readings: { gpuUtilization: value(20) },
    expect: { hold: 'Stabilizing', message: /300 s scale-down window holds 6/ },
    check: (e) =>
      expect(e.recommendations).toEqual([
        { time: ago(0), replicas: 6 },
        { time: ago(0), replicas: 2 },
      ]),
  },
  {
    name: 'a status whose history was lost (empty list) is seeded the same way',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 6,
    readings: { gpuUtilization: value(20) },
    status: { recommendations: [] },
    expect: { hold: 'Stabilizing' },
  },
  {
    name: 'an unchanged recommendation adds no history entry (no status write per read)',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 300 } }),
    current: 4,
    readings: { gpuUtilization: value(60) },
    status: { recommendations: [{ time: ago(100), replicas: 4 }] },
    expect: { hold: 'WithinTolerance' },
    check: (e) => expect(e.recommendations).toEqual([{ time: ago(100), replicas: 4 }]),
  },
  // Rate policies
  {
    name: 'scaleUp policy Pods 1 per 60 s limits 2 -> 6 to 3',
    spec: spec({
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    }),
    current: 2,
    readings: { gpuUtilization: value(180) },
    expect: { scale: 3, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'scaleUp policy budget used up by a scaling 30 s ago: RateLimited',
    spec: spec({
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
    }),
    current: 4,
    readings: { gpuUtilization: value(120) },
    status: { scaleEvents: [{ time: ago(30), replicasChange: 2 }] },
    expect: { hold: 'RateLimited' },
  },
  {
    name: 'selectPolicy Max takes the policy allowing the biggest change (100% of 4 -> 8)',
    spec: spec({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 1, periodSeconds: 60 },
          { type: 'Percent', value: 100, periodSeconds: 60 },
        ],
      },
    }),
    current: 4,
    readings: { gpuUtilization: value(150) },
    expect: { scale: 8, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'selectPolicy Min takes the policy allowing the smallest change (1 pod: 4 -> 5)',
    spec: spec({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Min',
        policies: [
          { type: 'Pods', value: 1, periodSeconds: 60 },
          { type: 'Percent', value: 100, periodSeconds: 60 },
        ],
      },
    }),
    current: 4,
    readings: { gpuUtilization: value(150) },
    expect: { scale: 5, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'scaleDown policy Percent 50 per 60 s limits 8 -> 1 to 4',
    spec: spec({
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
      },
    }),
    current: 8,
    readings: { gpuUtilization: value(6) },
    expect: { scale: 4, reason: 'MetricsBelowTarget' },
  },
  {
    name: 'scaleDown selectPolicy Disabled never scales down',
    spec: spec({ scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } }),
    current: 8,
    readings: { gpuUtilization: value(6) },
    expect: { hold: 'ScalingDisabled', message: /scaleDown\.selectPolicy is Disabled/ },
  },
  {
    name: 'default scale-up policies (100% or 4 pods per 15 s): 2 -> 20 becomes 6',
    spec: spec({ maxReplicas: 50 }),
    current: 2,
    readings: { gpuUtilization: value(600) },
    expect: { scale: 6, reason: 'MetricsAboveTarget' },
  },
  // Cooldown
  {
    name: 'inside the cooldown: holds, shows the desired count and the seconds left',
    spec: spec({ cooldownPeriod: 300 }),
    current: 2,
    readings: { gpuUtilization: value(90) },
    status: { lastScaleTime: ago(100) },
    expect: { hold: 'Cooldown', desired: 3, message: /200 s left/ },
  },
  {
    name: 'cooldown and rate policy both block: Cooldown is reported',
    spec: spec({
      cooldownPeriod: 300,
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    }),
    current: 3,
    readings: { gpuUtilization: value(120) },
    status: { lastScaleTime: ago(10), scaleEvents: [{ time: ago(10), replicasChange: 1 }] },
    expect: { hold: 'Cooldown', desired: 3, message: /wants 6 replicas/ },
  },
  {
    name: 'after the cooldown: scales',
    spec: spec({ cooldownPeriod: 300 }),
    current: 2,
    readings: { gpuUtilization: value(90) },
    status: { lastScaleTime: ago(301) },
    expect: { scale: 3, reason: 'MetricsAboveTarget' },
  },
  {
    name: 'cooldown 0 never holds',
    spec: spec({ cooldownPeriod: 0 }),
    current: 2,
    readings: { gpuUtilization: value(90) },
    status: { lastScaleTime: ago(0) },
    expect: { scale: 3, reason: 'MetricsAboveTarget' },
  },
  // Missing and NaN metrics
  {
    name: 'NaN holds, is absent from currentMetrics and counts a failure',
    spec: spec(),
    current: 4,
    readings: { gpuUtilization: value(Number.NaN) },
    status: { consecutiveMetricFailures: 1, currentMetrics: { gpuUtilizationPercentage: 55 } },
    expect: { hold: 'MetricsUnavailable', message: /gpuUtilization: value is NaN/ },
    check: (e) => {
      expect(e.currentMetrics).toEqual({});
      expect(e.consecutiveMetricFailures).toBe(2);
      expect(e.unavailable).toEqual([{ name: 'gpuUtilization', message: 'value is NaN' }]);
    },
  },
  {
    name: 'a missing reading (no entry) holds',
    spec: spec(),
    current: 4,
    readings: {},
    expect: { hold: 'MetricsUnavailable', message: /no data/ },
  },
  {
    name: '+Inf and negative values are not decided on',
    spec: spec({ metrics: GPU_QUEUE }),
    current: 4,
    readings: { gpuUtilization: value(Number.POSITIVE_INFINITY), requestQueueDepth: value(-1) },
    expect: { hold: 'MetricsUnavailable', message: /Infinity.*negative/ },
  },
  {
    name: 'one metric missing and the rest say down: hold, never a scale-down',
    spec: spec({ metrics: GPU_QUEUE }),
    current: 6,
    readings: { gpuUtilization: value(6), requestQueueDepth: missing },
    expect: { hold: 'MetricsUnavailable', message: /do not ask for more/ },
  },
  {
    name: 'one metric missing and the rest say up: scale up on the usable metrics',
    spec: spec({ metrics: GPU_QUEUE }),
    current: 2,
    readings: { gpuUtilization: value(120), requestQueueDepth: missing },
    expect: { scale: 4, reason: 'MetricsAboveTarget', message: /unavailable: requestQueueDepth: no series/ },
    check: (e) => expect(e.consecutiveMetricFailures).toBe(1),
  },
  {
    name: 'a query failure carries Prometheus message',
    spec: spec(),
    current: 3,
    readings: {
      gpuUtilization: { kind: 'unavailable', reason: 'queryFailed', message: 'ECONNREFUSED 127.0.0.1:9090' },
    },
    expect: { hold: 'MetricsUnavailable', message: /ECONNREFUSED/ },
  },
  {
    name: 'success resets the failure count',
    spec: spec(),
    current: 3,
    readings: { gpuUtilization: value(60) },
    status: { consecutiveMetricFailures: 7 },
    expect: { hold: 'WithinTolerance' },
    check: (e) => expect(e.consecutiveMetricFailures).toBe(0),
  },
  // Fallback
  {
    name: 'fallback: the third failed read in a row scales to fallback.replicas, inside the cooldown too',
    spec: spec({ fallback: { failureThreshold: 3, replicas: 5 }, cooldownPeriod: 300 }),
    current: 2,
    readings: { gpuUtilization: missing },
    status: { consecutiveMetricFailures: 2, lastScaleTime: ago(10) },
    expect: { scale: 5, reason: 'Fallback', message: /3 reads/ },
  },
  {
    name: 'fallback: below the threshold it only holds',
    spec: spec({ fallback: { failureThreshold: 3, replicas: 5 } }),
    current: 2,
    readings: { gpuUtilization: missing },
    status: { consecutiveMetricFailures: 1 },
    expect: { hold: 'MetricsUnavailable' },
  },
  {
    name: 'fallback: already at fallback replicas holds FallbackActive',
    spec: spec({ fallback: { failureThreshold: 3, replicas: 5 } }),
    current: 5,
    readings: { gpuUtilization: missing },
    status: { consecutiveMetricFailures: 9 },
    expect: { hold: 'FallbackActive' },
  },
];

describe('evaluatePolicy', () => {
  it.each(cases)('$name', (c) => {
    const evaluation = evaluatePolicy({
      spec: c.spec,
      currentReplicas: c.current,
      readings: c.readings,
      status: c.status,
      nowMs: NOW,
    });
    const { decision } = evaluation;
    if ('scale' in c.expect) {
      expect(decision).toMatchObject({
        action: 'scale',
        targetReplicas: c.expect.scale,
        reason: c.expect.reason,
      });
      expect(decision.action === 'scale' && decision.direction).toBe(
        c.expect.scale > c.current ? 'up' : 'down',
      );
      expect(evaluation.desiredReplicas).toBe(c.expect.scale);
    } else {
      expect(decision).toMatchObject({ action: 'hold', reason: c.expect.hold });
      if (c.expect.desired !== undefined) expect(evaluation.desiredReplicas).toBe(c.expect.desired);
    }
    if (c.expect.message !== undefined) expect(decision.message).toMatch(c.expect.message);
    c.check?.(evaluation);
  });
});
