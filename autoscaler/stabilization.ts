/**
 * Stabilization windows, HPA-style scaling policies and cooldown, for plain replica counts (pure).
 * The semantics are the Kubernetes HPA's (`horizontal.go`: stabilizeRecommendationWithBehaviors,
 * convertDesiredReplicasWithBehaviorRate), so a policy written for the HPA behaves the same here.
 */

/** A past raw recommendation of a replica count. */
export interface ReplicaRecommendation {
  readonly atMs: number;
  readonly replicas: number;
}

/** The two stabilization windows and the replicas running now. */
export interface StabilizationWindows {
  readonly currentReplicas: number;
  readonly scaleUpWindowSeconds: number;
  readonly scaleDownWindowSeconds: number;
}

/**
 * HPA stabilization: the result may rise no higher than the lowest recommendation of the scale-up window and
 * fall no lower than the highest recommendation of the scale-down window (both include `desired`). A
 * recommendation counts when it is strictly newer than `now - window`.
 */
export function stabilizeReplicas(
  history: readonly ReplicaRecommendation[],
  nowMs: number,
  desired: number,
  windows: StabilizationWindows,
): number {
  const upCutoffMs = nowMs - windows.scaleUpWindowSeconds * 1000;
  const downCutoffMs = nowMs - windows.scaleDownWindowSeconds * 1000;
  let upLimit = desired;
  let downLimit = desired;
  for (const rec of history) {
    if (rec.atMs > upCutoffMs) upLimit = Math.min(upLimit, rec.replicas);
    if (rec.atMs > downCutoffMs) downLimit = Math.max(downLimit, rec.replicas);
  }
  let result = windows.currentReplicas;
  if (result < upLimit) result = upLimit;
  if (result > downLimit) result = downLimit;
  return result;
}

/** An HPA scaling policy: at most `value` pods or percent of change per `periodSeconds`. */
export interface ReplicaScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** `Max` allows the largest change, `Min` the smallest, `Disabled` none. */
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** A past scaling action: `replicasChange` > 0 for a scale-up, < 0 for a scale-down. */
export interface PastScaleAction {
  readonly atMs: number;
  readonly replicasChange: number;
}

function changeInPeriod(
  actions: readonly PastScaleAction[],
  nowMs: number,
  periodSeconds: number,
  sign: 1 | -1,
): number {
  const cutoffMs = nowMs - periodSeconds * 1000;
  return actions
    .filter((a) => a.atMs > cutoffMs && Math.sign(a.replicasChange) === sign)
    .reduce((sum, a) => sum + Math.abs(a.replicasChange), 0);
}

/**
 * Limits `desired` by HPA scaling policies. `policies` are the rules of the direction `desired` lies in
 * (behavior.scaleUp when desired > current, behavior.scaleDown when below). Each policy allows a change
 * relative to the replica count at the start of its period (current minus the changes made within it);
 * `Max` takes the most permissive policy, `Min` the most restrictive, `Disabled` keeps `current`.
 * Minimum and maximum replica bounds are the caller's (clamp after).
 */
export function applyScalingPolicies(
  current: number,
  desired: number,
  policies: readonly ReplicaScalingPolicy[],
  selectPolicy: SelectPolicy,
  pastActions: readonly PastScaleAction[],
  nowMs: number,
): number {
  if (desired === current || policies.length === 0) return desired;
  if (selectPolicy === 'Disabled') return current;
  if (desired > current) {
    let limit = selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const policy of policies) {
      const added = changeInPeriod(pastActions, nowMs, policy.periodSeconds, 1);
      const deleted = changeInPeriod(pastActions, nowMs, policy.periodSeconds, -1);
      const periodStart = current - added + deleted;
      const proposed =
        policy.type === 'Pods'
          ? periodStart + policy.value
          : Math.ceil(periodStart * (1 + policy.value / 100));
      limit = selectPolicy === 'Min' ? Math.min(limit, proposed) : Math.max(limit, proposed);
    }
    // As the HPA: a limit below current (changes already made in the period) means "no further scale-up".
    return Math.min(desired, Math.max(limit, current));
  }
  let limit = selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const policy of policies) {
    const added = changeInPeriod(pastActions, nowMs, policy.periodSeconds, 1);
    const deleted = changeInPeriod(pastActions, nowMs, policy.periodSeconds, -1);
    const periodStart = current - added + deleted;
    const proposed =
      policy.type === 'Pods'
        ? periodStart - policy.value
        : Math.trunc(periodStart * (1 - policy.value / 100));
    limit = selectPolicy === 'Min' ? Math.max(limit, proposed) : Math.min(limit, proposed);
  }
  return Math.max(desired, Math.min(limit, current));
}

/** Milliseconds until `cooldownSeconds` after the last action have passed; 0 when they have or there was none. */
export function cooldownRemainingMs(
  lastActionAtMs: number | undefined,
  nowMs: number,
  cooldownSeconds: number,
): number {
  if (lastActionAtMs === undefined) return 0;
  return Math.max(0, lastActionAtMs + cooldownSeconds * 1000 - nowMs);
}
