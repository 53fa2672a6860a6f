import { formatTime } from './behavior.js';
import type { Evaluation } from './evaluate.js';
import type {
  ConditionStatus,
  ConditionType,
  PolicyCondition,
  PolicyStatus,
  StoredScaleEvent,
} from './types.js';

/** What one reconcile found and did; the status (and the events) follow from it alone. */
export type ReconcileOutcome =
  | { readonly kind: 'invalidSpec'; readonly message: string }
  | { readonly kind: 'targetNotFound'; readonly message: string }
  | { readonly kind: 'conflictingAutoscaler'; readonly autoscaler: string; readonly message: string }
  | {
      readonly kind: 'evaluated';
      readonly currentReplicas: number;
      readonly evaluation: Evaluation;
      /** For a `scale` decision: whether the scale subresource accepted it. */
      readonly actuation?: { readonly ok: true } | { readonly ok: false; readonly message: string };
    };

interface ConditionValue {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** Sets a condition; `lastTransitionTime` moves only when `status` changes (metav1.Condition semantics). */
export function setCondition(
  conditions: readonly PolicyCondition[],
  type: ConditionType,
  value: ConditionValue,
  nowMs: number,
  generation: number | undefined,
): PolicyCondition[] {
  const previous = conditions.find((c) => c.type === type);
  const lastTransitionTime =
    previous !== undefined && previous.status === value.status
      ? previous.lastTransitionTime
      : formatTime(nowMs);
  const next: PolicyCondition = {
    type,
    status: value.status,
    reason: value.reason,
    message: value.message,
    lastTransitionTime,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return [...conditions.filter((c) => c.type !== type), next];
}

const CONDITION_ORDER: readonly ConditionType[] = [
  'Ready',
  'MetricsAvailable',
  'ScalingActive',
  'AlgorithmValid',
];

function conditionsFor(outcome: ReconcileOutcome): Record<ConditionType, ConditionValue> {
  const unknown = (reason: string, message: string): ConditionValue => ({
    status: 'Unknown',
    reason,
    message,
  });
  switch (outcome.kind) {
    case 'invalidSpec':
      return {
        AlgorithmValid: { status: 'False', reason: 'InvalidSpec', message: outcome.message },
        MetricsAvailable: unknown('InvalidSpec', 'metrics are not read while the spec is invalid'),
        ScalingActive: { status: 'False', reason: 'InvalidSpec', message: outcome.message },
        Ready: { status: 'False', reason: 'InvalidSpec', message: outcome.message },
      };
    case 'targetNotFound':
    case 'conflictingAutoscaler': {
      const reason = outcome.kind === 'targetNotFound' ? 'TargetNotFound' : 'ConflictingAutoscaler';
      return {
        AlgorithmValid: { status: 'True', reason: 'Valid', message: 'the spec is valid' },
        MetricsAvailable: unknown(reason, 'metrics are not read while the policy cannot act'),
        ScalingActive: { status: 'False', reason, message: outcome.message },
        Ready: { status: 'False', reason, message: outcome.message },
      };
    }
    case 'evaluated': {
      const { evaluation, actuation } = outcome;
      const { decision } = evaluation;
      if (decision.action === 'hold' && decision.reason === 'TargetScaledToZero') {
        // The HPA's condition for a target at zero: ScalingActive=False, reason ScalingDisabled.
        const disabled: ConditionValue = {
          status: 'False',
          reason: 'ScalingDisabled',
          message: decision.message,
        };
        return {
          AlgorithmValid: { status: 'True', reason: 'Valid', message: 'the spec is valid' },
          MetricsAvailable: unknown(
            'ScalingDisabled',
            'metrics are not used while the target is at 0 replicas',
          ),
          ScalingActive: disabled,
          Ready: disabled,
        };
      }
      const algorithm: ConditionValue =
        decision.action === 'hold' && decision.reason === 'InvalidWeights'
          ? { status: 'False', reason: 'InvalidWeights', message: decision.message }
          : { status: 'True', reason: 'Valid', message: 'the spec is valid' };
      const metrics: ConditionValue =
        evaluation.unavailable.length === 0
          ? { status: 'True', reason: 'AllMetricsAvailable', message: 'every enabled metric has a value' }
          : {
              status: 'False',
              reason: 'MetricsUnavailable',
              message: evaluation.unavailable.map((u) => `${u.name}: ${u.message}`).join('; '),
            };
      let scaling: ConditionValue;
      if (actuation !== undefined && !actuation.ok) {
        scaling = { status: 'False', reason: 'FailedUpdateScale', message: actuation.message };
      } else if (decision.action === 'scale') {
        scaling = {
          status: 'True',
          reason: decision.direction === 'up' ? 'ScaledUp' : 'ScaledDown',
          message: decision.message,
        };
      } else if (decision.reason === 'MetricsUnavailable' || decision.reason === 'InvalidWeights') {
        scaling = { status: 'False', reason: decision.reason, message: decision.message };
      } else {
        scaling = { status: 'True', reason: decision.reason, message: decision.message };
      }
      const notReady = [algorithm, metrics, scaling].find((c) => c.status !== 'True');
      const ready: ConditionValue =
        notReady === undefined
          ? { status: 'True', reason: 'Active', message: 'metrics read and scaling decisions carried out' }
          : { status: 'False', reason: notReady.reason, message: notReady.message };
      return { AlgorithmValid: algorithm, MetricsAvailable: metrics, ScalingActive: scaling, Ready: ready };
    }
  }
}

/** The status after a reconcile; a pure function of the previous status, the outcome and the time. */
export function nextStatus(
  previous: PolicyStatus | undefined,
  outcome: ReconcileOutcome,
  algorithmName: string | undefined,
  generation: number | undefined,
  nowMs: number,
): PolicyStatus {
  const prev = previous ?? {};
  const values = conditionsFor(outcome);
  let conditions: PolicyCondition[] = [...(prev.conditions ?? [])];
  for (const type of CONDITION_ORDER) {
    conditions = setCondition(conditions, type, values[type], nowMs, generation);
  }
  conditions.sort((a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type));
  const common: PolicyStatus = {
    ...prev,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...(algorithmName === undefined ? {} : { lastAlgorithm: algorithmName }),
    conditions,
  };
  if (outcome.kind !== 'evaluated') return common;

  const { evaluation, actuation, currentReplicas } = outcome;
  const { decision } = evaluation;
  const scaled = decision.action === 'scale' && actuation?.ok === true;
  const scaleEvents: StoredScaleEvent[] = [...evaluation.scaleEvents];
  if (scaled) {
    scaleEvents.push({ time: formatTime(nowMs), replicasChange: decision.targetReplicas - currentReplicas });
  }
  const status: PolicyStatus = {
    ...common,
    currentReplicas: scaled ? decision.targetReplicas : currentReplicas,
    desiredReplicas: evaluation.desiredReplicas,
    consecutiveMetricFailures: evaluation.consecutiveMetricFailures,
    // Replaced whole: a metric without a value is absent, never a sentinel number.
    currentMetrics: evaluation.currentMetrics,
    recommendations: evaluation.recommendations,
    scaleEvents,
    ...(scaled
      ? { lastScaleTime: formatTime(nowMs), lastScaleReason: `${decision.reason}: ${decision.message}` }
      : {}),
  };
  return status;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** Deep equality of two statuses (key order and undefined fields ignored): write only when this is false. */
export function statusEqual(a: PolicyStatus | undefined, b: PolicyStatus | undefined): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}));
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The RFC 7386 JSON merge patch turning `from` into `to`: changed fields set, removed fields null (so a
 * metric that lost its value disappears from `currentMetrics`), arrays replaced whole. Undefined when equal.
 */
export function mergePatch(from: unknown, to: unknown): Json | undefined {
  if (isObject(from) && isObject(to)) {
    const patch: Record<string, Json> = {};
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      const before = from[key];
      const after = to[key];
      if (after === undefined) {
        if (before !== undefined) patch[key] = null;
        continue;
      }
      const inner = before === undefined ? (canonical(after) as Json) : mergePatch(before, after);
      if (inner !== undefined) patch[key] = inner;
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  return JSON.stringify(canonical(from)) === JSON.stringify(canonical(to))
    ? undefined
    : (canonical(to) as Json);
}

/** An Event the controller records on the policy. */
export interface PolicyEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason:
    | 'ScaledUp'
    | 'ScaledDown'
    | 'MetricsUnavailable'
    | 'TargetNotFound'
    | 'ConflictingAutoscaler'
    | 'InvalidSpec'
    | 'FailedUpdateScale';
  readonly message: string;
}

/**
 * The Events of one reconcile: every scaling action, and each warning once when its condition starts
 * (not on every read while it lasts).
 */
export function eventsFor(previous: PolicyStatus | undefined, outcome: ReconcileOutcome): PolicyEvent[] {
  const prevCondition = (type: ConditionType): PolicyCondition | undefined =>
    previous?.conditions?.find((c) => c.type === type);
  const started = (type: ConditionType, reason: string): boolean => {
    const prev = prevCondition(type);
    return prev === undefined || prev.status === 'True' || prev.reason !== reason;
  };
  switch (outcome.kind) {
    case 'invalidSpec':
      return started('Ready', 'InvalidSpec')
        ? [{ type: 'Warning', reason: 'InvalidSpec', message: outcome.message }]
        : [];
    case 'targetNotFound':
      return started('Ready', 'TargetNotFound')
        ? [{ type: 'Warning', reason: 'TargetNotFound', message: outcome.message }]
        : [];
    case 'conflictingAutoscaler':
      return started('Ready', 'ConflictingAutoscaler')
        ? [{ type: 'Warning', reason: 'ConflictingAutoscaler', message: outcome.message }]
        : [];
    case 'evaluated': {
      const events: PolicyEvent[] = [];
      const { evaluation, actuation } = outcome;
      if (evaluation.unavailable.length > 0 && started('MetricsAvailable', 'MetricsUnavailable')) {
        const message = evaluation.unavailable.map((u) => `${u.name}: ${u.message}`).join('; ');
        events.push({ type: 'Warning', reason: 'MetricsUnavailable', message });
      }
      const { decision } = evaluation;
      if (decision.action === 'scale' && actuation?.ok === true) {
        events.push({
          type: 'Normal',
          reason: decision.direction === 'up' ? 'ScaledUp' : 'ScaledDown',
          message: `${decision.reason}: ${decision.message}`,
        });
      }
      if (actuation !== undefined && !actuation.ok && started('ScalingActive', 'FailedUpdateScale')) {
        events.push({ type: 'Warning', reason: 'FailedUpdateScale', message: actuation.message });
      }
      return events;
    }
  }
}
