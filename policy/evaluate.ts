import { HOLD_REASON_NAMES } from '../autoscaler/index.js';
import {
  cooldownRemaining,
  formatTime,
  limitByPolicies,
  recordRecommendation,
  stabilize,
  type LimitOutcome,
} from './behavior.js';
import { enabledMetrics } from './spec.js';
import type {
  CurrentMetrics,
  EnabledMetric,
  MetricReading,
  MetricReadings,
  PolicyMetricName,
  PolicySpec,
  PolicyStatus,
  StoredRecommendation,
  StoredScaleEvent,
} from './types.js';

/** Everything one evaluation needs; no I/O, no clock. */
export interface EvaluateInput {
  readonly spec: PolicySpec;
  /** `spec.replicas` of the target's scale subresource. */
  readonly currentReplicas: number;
  /** One reading per enabled metric; a missing entry counts as "no data". */
  readonly readings: MetricReadings;
  /** The status as last written (history, cooldown, failure count); undefined for a new policy. */
  readonly status: PolicyStatus | undefined;
  readonly nowMs: number;
}

export type ScaleReason =
  'MetricsAboveTarget' | 'MetricsBelowTarget' | 'BelowMinimum' | 'AboveMaximum' | 'Fallback';
export type HoldReason =
  | 'WithinTolerance' // the combined ratio is inside [1 - tolerance, 1 + tolerance]
  | 'MetricsUnavailable' // no metric usable, or some missing and the rest do not say "up"
  // The reasons both paths share are the core's names (autoscaler HOLD_REASON_NAMES):
  | typeof HOLD_REASON_NAMES.cooldown // the last scaling action is less than cooldownPeriod ago
  | typeof HOLD_REASON_NAMES.stabilizing // the window still holds a recommendation at the current count
  | typeof HOLD_REASON_NAMES.atLimit // wants more (fewer) but already at maxReplicas (minReplicas)
  | 'TargetScaledToZero' // the owner set the target to 0 replicas: autoscaling is off until it scales up
  | 'ScalingDisabled' // selectPolicy Disabled for this direction
  | 'RateLimited' // the scaleUp/scaleDown policies allow no change in their periods now
  | 'FallbackActive' // metrics failing for failureThreshold reads; fallback replicas already in place
  | 'InvalidWeights'; // WeightedRatio, but no enabled metric has a weight above 0

/** What the policy does now; every variant says why, for machines and for people. */
export type PolicyDecision =
  | {
      readonly action: 'scale';
      readonly direction: 'up' | 'down';
      readonly targetReplicas: number;
      readonly reason: ScaleReason;
      readonly message: string;
    }
  | { readonly action: 'hold'; readonly reason: HoldReason; readonly message: string };

/** The ratio of one usable metric. */
export interface MetricRatio {
  readonly name: PolicyMetricName;
  readonly value: number;
  readonly target: number;
  readonly ratio: number;
}

/** The decision plus what the status must remember. */
export interface Evaluation {
  readonly decision: PolicyDecision;
  /** The count the policy wants after windows, rate policies and bounds (before the cooldown). */
  readonly desiredReplicas: number;
  readonly ratios: readonly MetricRatio[];
  readonly combinedRatio: number | undefined;
  /** Metrics without a usable value, with why. */
  readonly unavailable: readonly { readonly name: PolicyMetricName; readonly message: string }[];
  readonly consecutiveMetricFailures: number;
  readonly currentMetrics: CurrentMetrics;
  readonly recommendations: readonly StoredRecommendation[];
  /** Past scaling actions, pruned; the controller appends this decision's change once it is carried out. */
  readonly scaleEvents: readonly StoredScaleEvent[];
}

const STATUS_METRIC_FIELD: Readonly<Record<PolicyMetricName, keyof CurrentMetrics>> = {
  latencyP99: 'latencyP99Ms',
  latencyP95: 'latencyP95Ms',
  gpuUtilization: 'gpuUtilizationPercentage',
  gpuMemory: 'gpuMemoryPercentage',
  requestQueueDepth: 'requestQueueDepth',
};

const METRIC_UNIT: Readonly<Record<PolicyMetricName, string>> = {
  latencyP99: 'ms',
  latencyP95: 'ms',
  gpuUtilization: '%',
  gpuMemory: '%',
  requestQueueDepth: ' req/replica',
};

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function formatMetric(r: MetricRatio): string {
  const unit = METRIC_UNIT[r.name];
  return `${r.name} ${round(r.value, 2)}${unit}/${r.target}${unit}=${round(r.ratio, 3)}`;
}

/** A usable value is finite and not negative; anything else is reported, never decided on. */
function usable(
  reading: MetricReading | undefined,
): { ok: true; value: number } | { ok: false; message: string } {
  if (reading === undefined) return { ok: false, message: 'no data' };
  if (reading.kind === 'unavailable') return { ok: false, message: reading.message };
  if (!Number.isFinite(reading.value)) return { ok: false, message: `value is ${reading.value}` };
  if (reading.value < 0) return { ok: false, message: `value ${reading.value} is negative` };
  return { ok: true, value: reading.value };
}

/** Combines the ratios by the spec's algorithm; undefined when weights leave nothing to combine. */
export function combineRatios(spec: PolicySpec, ratios: readonly MetricRatio[]): number | undefined {
  if (ratios.length === 0) return undefined;
  switch (spec.algorithm.name) {
    case 'MaxRatio':
      // Starts from the first ratio, not from 1.0: a policy whose metrics are all low scales down.
      return Math.max(...ratios.map((r) => r.ratio));
    case 'AverageRatio':
      return ratios.reduce((sum, r) => sum + r.ratio, 0) / ratios.length;
    case 'WeightedRatio': {
      let weightSum = 0;
      let weighted = 0;
      for (const r of ratios) {
        const weight = spec.algorithm.weights[r.name] ?? 0;
        weightSum += weight;
        weighted += weight * r.ratio;
      }
      return weightSum > 0 ? weighted / weightSum : undefined;
    }
  }
}

/** Replicas for a ratio: ceil(current x ratio), with a guard against 2.0000000001-style float noise. */
export function replicasForRatio(currentReplicas: number, ratio: number): number {
  return Math.max(0, Math.ceil(currentReplicas * ratio - 1e-9));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** True when WeightedRatio has no enabled metric with a weight above 0 (the spec cannot decide anything). */
export function weightsInvalid(spec: PolicySpec, metrics: readonly EnabledMetric[]): boolean {
  return (
    spec.algorithm.name === 'WeightedRatio' && !metrics.some((m) => (spec.algorithm.weights[m.name] ?? 0) > 0)
  );
}

/**
 * Evaluates one policy: ratio per metric, the algorithm, the tolerance, the stabilization windows and rate
 * policies (HPA semantics, shared with the Knative path), the bounds, the cooldown and the fallback. A
 * target at 0 replicas is left alone, as the HPA leaves it.
 *
 * Missing or NaN metrics never cause a scale-down: with some metrics missing the policy scales up only if
 * the usable metrics alone already ask for more replicas (as the HPA does), and otherwise holds.
 */
export function evaluatePolicy(input: EvaluateInput): Evaluation {
  const { spec, currentReplicas: current, nowMs } = input;
  const previous = input.status ?? {};
  const metrics = enabledMetrics(spec);

  const ratios: MetricRatio[] = [];
  const unavailable: { name: PolicyMetricName; message: string }[] = [];
  const currentMetrics: Partial<Record<keyof CurrentMetrics, number>> = {};
  for (const metric of metrics) {
    const read = usable(input.readings[metric.name]);
    if (read.ok) {
      ratios.push({
        name: metric.name,
        value: read.value,
        target: metric.target,
        ratio: read.value / metric.target,
      });
      currentMetrics[STATUS_METRIC_FIELD[metric.name]] = round(read.value, 2);
    } else {
      unavailable.push({ name: metric.name, message: read.message });
    }
  }
  const consecutiveMetricFailures =
    unavailable.length > 0 ? (previous.consecutiveMetricFailures ?? 0) + 1 : 0;
  const combinedRatio = combineRatios(spec, ratios);
  const lastScaleMs = previous.lastScaleTime === undefined ? undefined : Date.parse(previous.lastScaleTime);
  const cooldownMs = cooldownRemaining(lastScaleMs, nowMs, spec.cooldownPeriodSeconds);
  const maxPeriodSeconds = Math.max(
    ...[...spec.scaleUp.policies, ...spec.scaleDown.policies].map((p) => p.periodSeconds),
    15,
  );
  const scaleEvents = (previous.scaleEvents ?? []).filter(
    (e) => Date.parse(e.time) > nowMs - maxPeriodSeconds * 1000,
  );

  // As the HPA (TestZeroReplicas): a target its owner set to 0 replicas is left alone until the owner
  // scales it up; operators do this to free a model's GPUs, and minReplicas must not take them back.
  // Metrics are not judged (the failure count stays as it was) and the window history is dropped, so
  // the owner's count starts afresh, as for a new policy.
  if (current === 0) {
    const { kind, name } = spec.targetRef;
    return {
      ratios: [],
      combinedRatio: undefined,
      unavailable: [],
      consecutiveMetricFailures: previous.consecutiveMetricFailures ?? 0,
      currentMetrics: {},
      recommendations: [],
      scaleEvents,
      desiredReplicas: 0,
      decision: {
        action: 'hold',
        reason: 'TargetScaledToZero',
        message: `scaling is disabled since the replica count of the target is zero: ${kind} ${name} stays at 0 until its owner scales it up`,
      },
    };
  }
  const base = { ratios, combinedRatio, unavailable, consecutiveMetricFailures, currentMetrics, scaleEvents };
  const unavailableText = unavailable.map((u) => `${u.name}: ${u.message}`).join('; ');
  const ratioText = ratios.map(formatMetric).join(', ');
  // As the HPA does for a new autoscaler, an empty history starts with the replicas running now: the
  // scale-down window then holds a new policy (or one whose status was lost) for its full length before
  // it may scale in, and a scale-up window likewise waits, instead of acting on the first read.
  const keepHistory =
    previous.recommendations !== undefined && previous.recommendations.length > 0
      ? previous.recommendations
      : [{ time: formatTime(nowMs), replicas: current }];

  const scaleTo = (
    target: number,
    reason: ScaleReason,
    message: string,
    history = keepHistory,
  ): Evaluation => ({
    ...base,
    recommendations: history,
    desiredReplicas: target,
    decision: {
      action: 'scale',
      direction: target > current ? 'up' : 'down',
      targetReplicas: target,
      reason,
      message,
    },
  });
  const hold = (
    reason: HoldReason,
    message: string,
    desired = current,
    history = keepHistory,
  ): Evaluation => ({
    ...base,
    recommendations: history,
    desiredReplicas: desired,
    decision: { action: 'hold', reason, message },
  });

  // The bounds are the user's explicit wish: enforced at once, whatever the metrics, windows or cooldown.
  if (current < spec.minReplicas) {
    return scaleTo(
      spec.minReplicas,
      'BelowMinimum',
      `${current} replicas is below minReplicas ${spec.minReplicas}`,
    );
  }
  if (current > spec.maxReplicas) {
    return scaleTo(
      spec.maxReplicas,
      'AboveMaximum',
      `${current} replicas is above maxReplicas ${spec.maxReplicas}`,
    );
  }

  if (spec.fallback !== undefined && consecutiveMetricFailures >= spec.fallback.failureThreshold) {
    const target = clamp(spec.fallback.replicas, spec.minReplicas, spec.maxReplicas);
    const why = `metrics unavailable for ${consecutiveMetricFailures} reads (failureThreshold ${spec.fallback.failureThreshold}): ${unavailableText}`;
    return target === current
      ? hold('FallbackActive', `${why}; holding fallback replicas ${target}`)
      : scaleTo(target, 'Fallback', `${why}; scaling to fallback replicas ${target}`);
  }

  if (weightsInvalid(spec, metrics)) {
    return hold(
      'InvalidWeights',
      'WeightedRatio: no enabled metric has a weight above 0 in spec.algorithm.weights',
    );
  }
  if (combinedRatio === undefined) {
    const reason =
      ratios.length === 0 ? `no metric usable (${unavailableText})` : 'usable metrics all have weight 0';
    return hold('MetricsUnavailable', `holding ${current} replicas: ${reason}`);
  }

  const tolerance = spec.algorithm.tolerance;
  const withinTolerance = Math.abs(combinedRatio - 1) <= tolerance;
  const raw = withinTolerance
    ? current
    : clamp(replicasForRatio(current, combinedRatio), 0, Number.MAX_SAFE_INTEGER);
  const summary = `${spec.algorithm.name} ${round(combinedRatio, 3)} (${ratioText})`;

  if (unavailable.length > 0 && raw <= current) {
    return hold(
      'MetricsUnavailable',
      `holding ${current} replicas: ${unavailableText}; the usable metrics do not ask for more (${summary})`,
    );
  }

  const history = recordRecommendation(
    keepHistory,
    nowMs,
    raw,
    Math.max(spec.scaleUp.stabilizationWindowSeconds, spec.scaleDown.stabilizationWindowSeconds),
  );
  const stabilized = stabilize(
    history,
    nowMs,
    current,
    spec.scaleUp.stabilizationWindowSeconds,
    spec.scaleDown.stabilizationWindowSeconds,
  );
  const limited: LimitOutcome = limitByPolicies(
    current,
    stabilized,
    spec.scaleUp,
    spec.scaleDown,
    scaleEvents,
    nowMs,
  );
  const desired = clamp(limited.replicas, spec.minReplicas, spec.maxReplicas);
  const wanted = clamp(stabilized, spec.minReplicas, spec.maxReplicas);

  // The cooldown is the coarsest block: reported before the rate policies when both hold.
  if (wanted !== current && !limited.disabled && cooldownMs > 0) {
    return hold(
      HOLD_REASON_NAMES.cooldown,
      `${summary} wants ${wanted} replicas, but the last scaling was less than cooldownPeriod ${spec.cooldownPeriodSeconds} s ago (${Math.ceil(cooldownMs / 1000)} s left)`,
      desired,
      history,
    );
  }

  if (desired === current) {
    if (raw === current) {
      return hold(
        'WithinTolerance',
        `${summary} within tolerance ${tolerance}; ${current} replicas`,
        desired,
        history,
      );
    }
    if (stabilized === current) {
      const window = raw > current ? spec.scaleUp : spec.scaleDown;
      return hold(
        HOLD_REASON_NAMES.stabilizing,
        `${summary} recommends ${raw}, but the ${window.stabilizationWindowSeconds} s ${raw > current ? 'scale-up' : 'scale-down'} window holds ${current}`,
        desired,
        history,
      );
    }
    if (limited.replicas === current && limited.disabled) {
      return hold(
        'ScalingDisabled',
        `${summary} recommends ${stabilized}, but ${stabilized > current ? 'scaleUp' : 'scaleDown'}.selectPolicy is Disabled`,
        desired,
        history,
      );
    }
    if (limited.replicas === current) {
      return hold(
        'RateLimited',
        `${summary} recommends ${stabilized}, but the scaling policies allow no change within their periods now`,
        desired,
        history,
      );
    }
    const bound =
      stabilized > current ? `maxReplicas ${spec.maxReplicas}` : `minReplicas ${spec.minReplicas}`;
    return hold(
      HOLD_REASON_NAMES.atLimit,
      `${summary} recommends ${stabilized}, but already at ${bound}`,
      desired,
      history,
    );
  }

  const direction = desired > current ? 'MetricsAboveTarget' : 'MetricsBelowTarget';
  const partial =
    unavailable.length > 0 ? ` (scaling up on the usable metrics; unavailable: ${unavailableText})` : '';
  return scaleTo(desired, direction, `${summary}: ${current} -> ${desired} replicas${partial}`, history);
}
