import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';

/**
 * AIBrix APA: ratio = current / target; up if ratio > 1 + 0.1: min(ceil(N x ratio), ceil(2 x N));
 * down if ratio < 1 - 0.1: max(ceil(N x ratio), floor(N / 2)); otherwise N.
 */
export function apaDesiredReplicas(current: number, value: number, target: number, tolerance = 0.1): number {
  if (!Number.isFinite(value)) return current;
  const ratio = value / target;
  if (ratio > 1 + tolerance) return Math.min(Math.ceil(current * ratio), Math.ceil(2 * current));
  if (ratio < 1 - tolerance) return Math.max(Math.ceil(current * ratio), Math.floor(current / 2));
  return current;
}

/** Settings of the APA baseline. */
export interface ApaSettings {
  readonly tier: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Simulated series (AIBrix's typical: KV-cache usage) and its target. */
  readonly metric: 'kv_cache_usage' | 'queue_length_per_replica' | 'concurrency_per_replica';
  readonly target: number;
}

/** AIBrix APA on whole GPUs; scale-up cooldown 0 s, scale-down cooldown 300 s; sync every 15 s. */
export function apaPolicy(settings: ApaSettings): SimPolicy {
  let lastScaleMs: number | undefined;
  return {
    name: 'aibrix-apa',
    tickMs: 15_000,
    initial: { tier: settings.tier, replicas: settings.minReplicas },
    migrationStyle: 'planned',
    decide(view: ServiceView): PolicyAction {
      const current = view.desiredReplicas;
      const value = view.metrics[settings.metric];
      const raw = apaDesiredReplicas(current, value, settings.target);
      const replicas = Math.min(settings.maxReplicas, Math.max(settings.minReplicas, raw));
      const text = `${settings.metric} = ${value.toFixed(3)}, target ${settings.target}`;
      if (replicas === current) return { kind: 'hold', reason: 'withinTolerance', message: text };
      if (replicas < current && lastScaleMs !== undefined && view.nowMs - lastScaleMs < 300_000) {
        return { kind: 'hold', reason: 'scaleDownCooldown', message: text };
      }
      return { kind: 'scale', replicas, reason: replicas > current ? 'up' : 'down', message: text };
    },
    acted(view, _action, started) {
      if (started) lastScaleMs = view.nowMs;
    },
  };
}
