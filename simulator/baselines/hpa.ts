import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';

/** One HPA metric: its current per-pod value and target (same unit). */
export interface HpaMetric {
  readonly name: string;
  readonly value: number;
  readonly target: number;
}

/**
 * The HPA replica calculation for several metrics: per metric `ceil(current x value / target)`, no change
 * within the 10% tolerance; the largest count wins; a metric without a value (NaN) blocks a scale-down
 * (the HPA holds if a metric fails and the rest say "down").
 */
export function hpaDesiredReplicas(current: number, metrics: readonly HpaMetric[], tolerance = 0.1): number {
  let desired = 0;
  let missing = false;
  for (const m of metrics) {
    if (!Number.isFinite(m.value)) {
      missing = true;
      continue;
    }
    const ratio = m.value / m.target;
    const proposal = Math.abs(1 - ratio) <= tolerance ? current : Math.ceil(current * ratio);
    desired = Math.max(desired, proposal);
  }
  if (desired === 0 && !metrics.some((m) => Number.isFinite(m.value))) return current;
  if (missing && desired < current) return current;
  return desired;
}

/** HPA v2 default behaviour, for one sync. */
export interface HpaBehaviorState {
  /** Raw recommendations of the last 300 s (for the scale-down stabilization window). */
  readonly recommendations: readonly { readonly atMs: number; readonly replicas: number }[];
}

/**
 * Default `behavior`: scale-down stabilization 300 s (the highest recommendation of the window), at most
 * 100% down per 15 s; scale-up without stabilization, at most max(+100%, +4 pods) per 15 s; then clamped to
 * [min, max]. With one sync per 15 s, the rate limits apply to each step.
 */
export function hpaBehavior(
  current: number,
  desired: number,
  nowMs: number,
  state: HpaBehaviorState,
  bounds: { readonly minReplicas: number; readonly maxReplicas: number },
): { readonly replicas: number; readonly state: HpaBehaviorState } {
  const windowMs = 300_000;
  const recommendations = [
    ...state.recommendations.filter((r) => r.atMs > nowMs - windowMs),
    { atMs: nowMs, replicas: desired },
  ];
  let target = desired;
  if (desired < current) target = Math.min(current, Math.max(...recommendations.map((r) => r.replicas)));
  if (target > current) target = Math.min(target, Math.max(2 * current, current + 4));
  target = Math.min(bounds.maxReplicas, Math.max(bounds.minReplicas, target));
  return { replicas: target, state: { recommendations } };
}

/** Settings of the HPA baseline. */
export interface HpaSettings {
  readonly tier: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Metric name (a simulated series) -> target value. */
  readonly targets: Readonly<Record<string, number>>;
}

/** The Kubernetes HPA v2 with default behaviour, replicas only, on whole GPUs; sync every 15 s. */
export function hpaPolicy(settings: HpaSettings): SimPolicy {
  let state: HpaBehaviorState = { recommendations: [] };
  return {
    name: 'hpa',
    tickMs: 15_000,
    initial: { tier: settings.tier, replicas: settings.minReplicas },
    migrationStyle: 'planned',
    warmStart(initial) {
      state = { recommendations: [{ atMs: 0, replicas: initial.replicas }] };
    },
    decide(view: ServiceView): PolicyAction {
      const current = view.desiredReplicas;
      const metrics = Object.entries(settings.targets).map(([name, target]) => ({
        name,
        value: view.metrics[name as keyof ServiceView['metrics']],
        target,
      }));
      const desired = hpaDesiredReplicas(current, metrics);
      const next = hpaBehavior(current, desired, view.nowMs, state, settings);
      state = next.state;
      const text = metrics.map((m) => `${m.name}=${m.value.toFixed(3)}/${m.target}`).join(', ');
      if (next.replicas === current) return { kind: 'hold', reason: 'withinTolerance', message: text };
      return {
        kind: 'scale',
        replicas: next.replicas,
        reason: 'metricRatio',
        message: `${text}: ${current} -> ${next.replicas}`,
      };
    },
  };
}
