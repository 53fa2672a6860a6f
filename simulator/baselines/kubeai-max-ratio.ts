import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';

/** One enabled KubeAI metric with its target. */
export interface KubeAiMetric {
  readonly name: string;
  readonly value: number;
  readonly target: number;
}

/**
 * KubeAI's MaxRatio, with its defect fixed (the maximum starts at 0, so it can scale down; zero values
 * count): desired = ceil(current x max ratio) clamped to [min, max]; no change while the ratio is within
 * [1 - tolerance, 1 + tolerance]. No metric with a value: hold.
 */
export function maxRatioDesired(
  current: number,
  metrics: readonly KubeAiMetric[],
  bounds: { readonly minReplicas: number; readonly maxReplicas: number },
  tolerance = 0.1,
): number {
  const ratios = metrics.filter((m) => Number.isFinite(m.value)).map((m) => m.value / m.target);
  if (ratios.length === 0) return current;
  const ratio = Math.max(0, ...ratios);
  if (ratio >= 1 - tolerance && ratio <= 1 + tolerance) return current;
  return Math.min(bounds.maxReplicas, Math.max(bounds.minReplicas, Math.ceil(current * ratio)));
}

/** Settings of the KubeAI baseline. */
export interface KubeAiSettings {
  readonly tier: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targets: Readonly<Record<string, number>>;
}

/**
 * The AIInferenceAutoscalerPolicy MaxRatio algorithm with its defaults: cooldown 300 s between actions,
 * stabilization 60 s up / 300 s down (HPA-style windows over raw recommendations); reconcile every 15 s.
 */
export function kubeAiPolicy(settings: KubeAiSettings): SimPolicy {
  let history: { atMs: number; replicas: number }[] = [];
  let lastScaleMs: number | undefined;
  return {
    name: 'kubeai-maxratio',
    tickMs: 15_000,
    initial: { tier: settings.tier, replicas: settings.minReplicas },
    migrationStyle: 'planned',
    warmStart(initial) {
      history = [{ atMs: 0, replicas: initial.replicas }];
    },
    decide(view: ServiceView): PolicyAction {
      const current = view.desiredReplicas;
      const metrics = Object.entries(settings.targets).map(([name, target]) => ({
        name,
        value: view.metrics[name as keyof ServiceView['metrics']],
        target,
      }));
      const raw = maxRatioDesired(current, metrics, settings);
      history = [
        ...history.filter((r) => r.atMs > view.nowMs - 300_000),
        { atMs: view.nowMs, replicas: raw },
      ];
      let desired = raw;
      if (raw > current)
        desired = Math.max(
          current,
          Math.min(...history.filter((r) => r.atMs > view.nowMs - 60_000).map((r) => r.replicas)),
        );
      if (raw < current) desired = Math.min(current, Math.max(...history.map((r) => r.replicas)));
      const text = metrics.map((m) => `${m.name}=${m.value.toFixed(3)}/${m.target}`).join(', ');
      if (desired === current) return { kind: 'hold', reason: 'stable', message: text };
      if (lastScaleMs !== undefined && view.nowMs - lastScaleMs < 300_000)
        return { kind: 'hold', reason: 'cooldown', message: text };
      return {
        kind: 'scale',
        replicas: desired,
        reason: desired > current ? 'MetricsAboveTarget' : 'MetricsBelowTarget',
        message: text,
      };
    },
    acted(view, _action, started) {
      if (started) lastScaleMs = view.nowMs;
    },
  };
}
