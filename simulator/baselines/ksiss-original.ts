import type { MetricSpec } from '../../autoscaler/index.js';
import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';

/** The original's verdict for one pod. */
export type OriginalVerdict = 'up' | 'down' | 'hold';

/**
 * The original Go policy's verdict, defects included: every metric is "higher is worse"; NaN (0/0 when a
 * service had no requests) means "down" (reference defect 4); the last metric outside its band wins
 * (defect 5: map order, here config order); a missing factor would be 0 (defect 3; the parsed config
 * always has factors).
 */
export function originalVerdict(
  metrics: readonly MetricSpec[],
  values: Readonly<Record<string, number>>,
): OriginalVerdict {
  let verdict: OriginalVerdict = 'hold';
  for (const m of metrics) {
    const value = values[m.name] ?? Number.NaN;
    if (Number.isNaN(value)) {
      verdict = 'down';
      continue;
    }
    if (value > m.slo * m.scaleUpFactor) verdict = 'up';
    else if (value < m.slo * m.scaleDownFactor) verdict = 'down';
  }
  return verdict;
}

/** The next tier one step along the ladder, or undefined at its end. */
export function oneStep(ladder: readonly string[], tier: string, verdict: 'up' | 'down'): string | undefined {
  const i = ladder.indexOf(tier);
  if (i < 0) return undefined;
  return ladder[verdict === 'up' ? i + 1 : i - 1];
}

/**
 * The original K-SISS loop: every METRICS_SCRAPE_INTERVAL (10 s) plus ~2 s per pod, one tier step per
 * pod's verdict, one replica (scale in/out never reached), no capacity check, no cooldown. The simulator
 * blocks the loop while a migration waits (up to 600 s) and cuts in-flight requests when the old revision
 * is deleted (`original` migration style).
 */
export function ksissOriginalPolicy(metrics: readonly MetricSpec[], ladder: readonly string[]): SimPolicy {
  const tier0 = ladder[0];
  if (tier0 === undefined) throw new Error('ksiss-original: the ladder is empty');
  return {
    name: 'ksiss-original',
    tickMs: 12_000,
    initial: { tier: tier0, replicas: 1 },
    migrationStyle: 'original',
    decide(view: ServiceView): PolicyAction {
      const values = Object.fromEntries(
        metrics.map((m) => [m.name, view.metrics[m.name as keyof ServiceView['metrics']]]),
      );
      const verdict = originalVerdict(metrics, values);
      const text = metrics.map((m) => `${m.name}=${String(values[m.name])}`).join(', ');
      if (verdict === 'hold') return { kind: 'hold', reason: 'withinBand', message: text };
      const next = oneStep(ladder, view.tier, verdict);
      if (next === undefined) return { kind: 'hold', reason: 'endOfLadder', message: text };
      return {
        kind: 'migrate',
        tier: next,
        replicas: 1,
        reason: verdict,
        message: `${text}: ${view.tier} -> ${next}`,
      };
    },
  };
}
