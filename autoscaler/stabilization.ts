/**
 * Stabilization windows, HPA-style scaling policies and cooldown, for plain replica counts (pure).
 * Each rule is the Kubernetes HPA's (`horizontal.go`: stabilizeRecommendationWithBehaviors,
 * convertDesiredReplicasWithBehaviorRate) applied to the points it is given. A policy written for the HPA
 * does not behave the same, though: the policy path's defaults differ (scale-up window 60 s, cooldown
 * 300 s, the v2 default policies without `behavior`), and both decision paths keep a run-length history
 * (`runEnds`), which after a gap counts the last recommendation until now. policy/README.md, "Differences
 * from the HPA", lists each one and the setting that gives the HPA's behaviour where there is one.
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

/** A value recommended at a time: a replica count (policies) or a capacity (Knative services). */
export interface TimedValue<T> {
  readonly atMs: number;
  readonly value: T;
}

/**
 * A run-length history (each entry holds from its `atMs` until the next one, the last until now) as the
 * points the windows judge: each run counts as seen at its end. Both decision paths store their history
 * this way (a new entry only when the recommendation changes), so an unchanged one writes nothing.
 */
export function runEnds<T>(runs: readonly TimedValue<T>[], nowMs: number): TimedValue<T>[] {
  const sorted = [...runs].sort((a, b) => a.atMs - b.atMs);
  return sorted.map((run, index) => ({ atMs: sorted[index + 1]?.atMs ?? nowMs, value: run.value }));
}

/**
 * The HPA window rule, for any ordered value: the lowest (scale-up window) or highest (scale-down window)
 * of `desired` and every point strictly newer than `now - window`. The one implementation of the windows
 * behind both the Knative decision (`decideScale`, over capacities) and the policy path (replica counts).
 */
export function windowExtreme<T>(
  points: readonly TimedValue<T>[],
  nowMs: number,
  windowSeconds: number,
  desired: T,
  pick: 'lowest' | 'highest',
  compare: (a: T, b: T) => number,
): T {
  const cutoffMs = nowMs - windowSeconds * 1000;
  let extreme = desired;
  for (const point of points) {
    if (point.atMs <= cutoffMs) continue;
    const c = compare(point.value, extreme);
    if (pick === 'lowest' ? c < 0 : c > 0) extreme = point.value;
  }
  return extreme;
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
  const points = history.map((rec) => ({ atMs: rec.atMs, value: rec.replicas }));
  const byCount = (a: number, b: number): number => a - b;
  const upLimit = windowExtreme(points, nowMs, windows.scaleUpWindowSeconds, desired, 'lowest', byCount);
  const downLimit = windowExtreme(points, nowMs, windows.scaleDownWindowSeconds, desired, 'highest', byCount);
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
