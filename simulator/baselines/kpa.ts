import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';

/** KPA state carried between 2-second ticks. */
export interface KpaState {
  /** When panic mode started; undefined when not panicking. */
  readonly panicSinceMs?: number;
  /** Last time the panic threshold was breached. */
  readonly lastBreachMs?: number;
  /** Desired count while panicking (never lowered in panic). */
  readonly panicDesired?: number;
}

/** Knative `config-autoscaler` defaults used by the baseline. */
export const KPA_DEFAULTS = {
  tickMs: 2000,
  stableWindowMs: 60_000,
  panicWindowMs: 6000,
  panicThreshold: 2,
  targetUtilization: 0.7,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
} as const;

/**
 * One KPA decision: desired = ceil(average concurrency / target) over the stable window, limited to
 * [floor(ready / 2), ceil(1000 x ready)]; panic starts when the panic-window desired count is at least
 * twice the ready pods, never scales down while panicking, and ends one stable window after the last breach.
 */
export function kpaDecide(
  input: {
    readonly nowMs: number;
    readonly readyPods: number;
    readonly stableConcurrency: number;
    readonly panicConcurrency: number;
    /** Target concurrency per pod (container concurrency x target utilization). */
    readonly targetPerPod: number;
  },
  state: KpaState,
): { readonly desired: number; readonly state: KpaState } {
  const ready = Math.max(1, input.readyPods);
  const stable = Number.isFinite(input.stableConcurrency) ? input.stableConcurrency : 0;
  const panic = Number.isFinite(input.panicConcurrency) ? input.panicConcurrency : 0;
  const limit = (n: number): number =>
    Math.min(
      Math.ceil(KPA_DEFAULTS.maxScaleUpRate * ready),
      Math.max(Math.floor(ready / KPA_DEFAULTS.maxScaleDownRate), n),
    );
  const desiredStable = limit(Math.ceil(stable / input.targetPerPod));
  const desiredPanic = limit(Math.ceil(panic / input.targetPerPod));
  const breach = desiredPanic / ready >= KPA_DEFAULTS.panicThreshold;
  let next: KpaState = state;
  if (breach) {
    next = {
      panicSinceMs: state.panicSinceMs ?? input.nowMs,
      lastBreachMs: input.nowMs,
      panicDesired: state.panicDesired,
    };
  } else if (
    state.panicSinceMs !== undefined &&
    input.nowMs - (state.lastBreachMs ?? 0) >= KPA_DEFAULTS.stableWindowMs
  ) {
    next = {};
  }
  if (next.panicSinceMs !== undefined) {
    const desired = Math.max(desiredPanic, next.panicDesired ?? ready, ready);
    return { desired, state: { ...next, panicDesired: desired } };
  }
  return { desired: desiredStable, state: next };
}

/** Settings of the KPA baseline. */
export interface KpaSettings {
  readonly tier: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Concurrency one pod can carry within the SLOs (plays `containerConcurrency`). */
  readonly containerConcurrency: number;
}

/** Knative's KPA on whole GPUs: concurrency target = containerConcurrency x 0.7, tick 2 s. */
export function kpaPolicy(settings: KpaSettings): SimPolicy {
  let state: KpaState = {};
  const targetPerPod = settings.containerConcurrency * KPA_DEFAULTS.targetUtilization;
  return {
    name: 'kpa',
    tickMs: KPA_DEFAULTS.tickMs,
    initial: { tier: settings.tier, replicas: settings.minReplicas },
    migrationStyle: 'planned',
    decide(view: ServiceView): PolicyAction {
      const stable = view.observations.meanInFlight(view.nowMs - KPA_DEFAULTS.stableWindowMs, view.nowMs);
      const panic = view.observations.meanInFlight(view.nowMs - KPA_DEFAULTS.panicWindowMs, view.nowMs);
      const out = kpaDecide(
        {
          nowMs: view.nowMs,
          readyPods: view.readyReplicas,
          stableConcurrency: stable,
          panicConcurrency: panic,
          targetPerPod,
        },
        state,
      );
      state = out.state;
      const replicas = Math.min(settings.maxReplicas, Math.max(settings.minReplicas, out.desired));
      const text = `concurrency stable ${stable.toFixed(1)} panic ${panic.toFixed(1)}, target ${targetPerPod.toFixed(1)}/pod${state.panicSinceMs !== undefined ? ' (panic)' : ''}`;
      if (replicas === view.desiredReplicas) return { kind: 'hold', reason: 'atDesired', message: text };
      return {
        kind: 'scale',
        replicas,
        reason: state.panicSinceMs !== undefined ? 'panic' : 'stable',
        message: text,
      };
    },
  };
}
