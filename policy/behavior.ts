import {
  applyScalingPolicies,
  cooldownRemainingMs,
  runEnds,
  stabilizeReplicas,
} from '../autoscaler/index.js';
import type { ScalingPolicy, ScalingRules, StoredRecommendation, StoredScaleEvent } from './types.js';

// The windows, rate policies and cooldown are the autoscaler's (the same decision core as the Knative
// path); this file only translates the policy's stored status into their arguments.

/** HPA defaults when a direction lists no policies: up 100% or 4 pods per 15 s (Max), down 100% per 15 s. */
export const DEFAULT_SCALE_UP_POLICIES: readonly ScalingPolicy[] = [
  { type: 'Percent', value: 100, periodSeconds: 15 },
  { type: 'Pods', value: 4, periodSeconds: 15 },
];
export const DEFAULT_SCALE_DOWN_POLICIES: readonly ScalingPolicy[] = [
  { type: 'Percent', value: 100, periodSeconds: 15 },
];

/** RFC 3339 at second precision, as Kubernetes writes times. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Records this read's raw recommendation. The history is run-length encoded (an entry is written only when
 * the recommendation changes), so an unchanged recommendation does not rewrite the status on every read.
 * Runs that ended before the longest window are dropped; the run in force at the window's start is kept.
 */
export function recordRecommendation(
  history: readonly StoredRecommendation[],
  nowMs: number,
  replicas: number,
  longestWindowSeconds: number,
): readonly StoredRecommendation[] {
  const last = history[history.length - 1];
  const appended =
    last !== undefined && last.replicas === replicas
      ? history
      : [...history, { time: formatTime(nowMs), replicas }];
  const windowStartMs = nowMs - longestWindowSeconds * 1000;
  // Keep run i while the next run starts after the window's start (run i lasted into the window).
  return appended.filter((_, index) => {
    const next = appended[index + 1];
    return next === undefined || Date.parse(next.time) > windowStartMs;
  });
}

/**
 * The stabilized recommendation (HPA: the lowest of the scale-up window, the highest of the scale-down
 * window). A run counts as seen until the next run starts, so each run becomes one point at its end.
 */
export function stabilize(
  history: readonly StoredRecommendation[],
  nowMs: number,
  currentReplicas: number,
  scaleUpWindowSeconds: number,
  scaleDownWindowSeconds: number,
): number {
  const points = runEnds(
    history.map((run) => ({ atMs: Date.parse(run.time), value: run.replicas })),
    nowMs,
  ).map((p) => ({ atMs: p.atMs, replicas: p.value }));
  const latest = points[points.length - 1];
  const desired = latest === undefined ? currentReplicas : latest.replicas;
  return stabilizeReplicas(points.slice(0, -1), nowMs, desired, {
    currentReplicas,
    scaleUpWindowSeconds,
    scaleDownWindowSeconds,
  });
}

/** The rate-limited count, and whether the direction's selectPolicy is Disabled. */
export interface LimitOutcome {
  readonly replicas: number;
  readonly disabled: boolean;
}

/** Applies the scaleUp or scaleDown policies (whichever direction `desired` goes) to `desired`. */
export function limitByPolicies(
  currentReplicas: number,
  desired: number,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
  events: readonly StoredScaleEvent[],
  nowMs: number,
): LimitOutcome {
  if (desired === currentReplicas) return { replicas: desired, disabled: false };
  const up = desired > currentReplicas;
  const rules = up ? scaleUp : scaleDown;
  if (rules.selectPolicy === 'Disabled') return { replicas: currentReplicas, disabled: true };
  const policies =
    rules.policies.length > 0 ? rules.policies : up ? DEFAULT_SCALE_UP_POLICIES : DEFAULT_SCALE_DOWN_POLICIES;
  const pastActions = events.map((e) => ({ atMs: Date.parse(e.time), replicasChange: e.replicasChange }));
  return {
    replicas: applyScalingPolicies(
      currentReplicas,
      desired,
      policies,
      rules.selectPolicy,
      pastActions,
      nowMs,
    ),
    disabled: false,
  };
}

/** Milliseconds until the cooldown since the last scaling action ends (0 when it has). */
export function cooldownRemaining(
  lastScaleMs: number | undefined,
  nowMs: number,
  cooldownSeconds: number,
): number {
  return cooldownRemainingMs(lastScaleMs, nowMs, cooldownSeconds);
}
