import {
  ARRIVAL_COUNTS,
  REQUEST_RATE_METRIC,
  SIZING_METRICS,
  type SizingProfile,
  decideScale,
  nextState,
  targetOf,
  type CapacityFactors,
  type Decision,
  type MetricValues,
  type PersistedServiceState,
  type Recommendation,
  type ServiceConfig,
} from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { SIMULATED_SERIES, type SimulatedSeriesName } from './observations.js';
import type { PolicyAction, ServiceView, SimPolicy } from './policy.js';

/** Checks that every metric of a service block names a simulated series; the problems, if any. */
export function unknownSimulatedMetrics(config: ServiceConfig): string[] {
  const known = Object.keys(SIMULATED_SERIES);
  return config.metrics
    .filter((m) => !known.includes(m.name))
    .map(
      (m) =>
        `${config.service}: metric name = ${JSON.stringify(m.name)}: the simulator has no such series (known: ${known.join(', ')})`,
    );
}

/**
 * The k-siss policy under simulation: the core's `decideScale` on every tick, fed with the simulated
 * Prometheus values (metric `name` selects the series) and the simulated free capacity; the history is
 * kept, and the cooldown stamped when an action started, by the control loop's own `nextState`.
 */
export function ksissPolicy(
  given: ServiceConfig,
  catalog: TierCatalog,
  intervalSeconds: number,
  name = 'k-siss',
  profile?: SizingProfile,
): SimPolicy {
  const problems = unknownSimulatedMetrics(given);
  if (problems.length > 0) throw new Error(problems.join('; '));
  // The profile a user would have measured once per tier (when the block names none of its own).
  const config: ServiceConfig =
    profile === undefined || given.settings.sizing.profile !== undefined
      ? given
      : { ...given, settings: { ...given.settings, sizing: { ...given.settings.sizing, profile } } };
  const settings = config.settings;
  const minIndex =
    settings.minTier === undefined ? 0 : Math.max(0, settings.ladder.indexOf(settings.minTier));
  const initialTier = settings.ladder[minIndex];
  if (initialTier === undefined) throw new Error(`${config.service}: settings.ladder is empty`);
  let state: PersistedServiceState = { recommendations: [] };
  let lastRecommendation: Recommendation | undefined;
  let lastDecision: Decision | undefined;
  let lastFactors: CapacityFactors | undefined;
  return {
    name,
    tickMs: Math.round(intervalSeconds * 1000),
    initial: { tier: initialTier, replicas: settings.minReplicas },
    migrationStyle: 'planned',
    migration: settings.migration,
    warmStart(initial) {
      state = { recommendations: [{ atMs: 0, tier: initial.tier, replicas: initial.replicas }] };
    },
    decide(view: ServiceView): PolicyAction {
      const metrics: Record<string, number> = { [REQUEST_RATE_METRIC]: view.metrics.request_rate };
      for (const m of config.metrics) metrics[m.name] = view.metrics[m.name as SimulatedSeriesName];
      const sizing = settings.policy === 'size';
      if (sizing || (settings.policy === 'step' && settings.loadGrowth !== undefined)) {
        const counts = view.observations.arrivalCounts(view.nowMs, view.servingSinceMs);
        ARRIVAL_COUNTS.forEach(({ name }, i) => {
          const count = counts[i];
          if (count !== undefined) metrics[name] = count;
        });
      }
      if (sizing) {
        const counts = view.observations.sizingCounts(view.nowMs, view.servingSinceMs);
        if (counts !== undefined) {
          metrics[SIZING_METRICS.recentArrivals] = counts.recentArrivals;
          metrics[SIZING_METRICS.completions] = counts.completions;
          metrics[SIZING_METRICS.promptTokens] = counts.promptTokens;
          metrics[SIZING_METRICS.outputTokens] = counts.outputTokens;
        }
      }
      const out = decideScale({
        config,
        catalog,
        observation: {
          tier: view.tier,
          readyReplicas: view.readyReplicas,
          migrationInFlight: view.migrationInFlight,
          recommendations: state.recommendations,
          ...(state.lastActionAtMs === undefined ? {} : { lastActionAtMs: state.lastActionAtMs }),
          ...(state.lastAction === undefined ? {} : { lastAction: state.lastAction }),
          tierBackoffUntilMs: view.tierBackoffUntilMs,
          ...(state.capacityFactors === undefined ? {} : { capacityFactors: state.capacityFactors }),
          ...(state.pendingTarget === undefined ? {} : { pendingTarget: state.pendingTarget }),
          ...(state.lastReadyAtMs === undefined ? {} : { lastReadyAtMs: state.lastReadyAtMs }),
        },
        metrics: metrics as MetricValues,
        capacity: view.capacity,
        nowMs: view.nowMs,
      });
      lastRecommendation = out.recommendation;
      lastDecision = out.decision;
      lastFactors = out.capacityFactors;
      const d = out.decision;
      switch (d.action) {
        case 'hold':
          return { kind: 'hold', reason: d.reason, message: d.message };
        case 'up':
        case 'down':
          return {
            kind: 'migrate',
            tier: d.targetTier,
            replicas: d.targetReplicas ?? Math.max(1, view.readyReplicas),
            reason: d.reason,
            message: d.message,
          };
        case 'out':
        case 'in':
          return { kind: 'scale', replicas: d.targetReplicas, reason: d.reason, message: d.message };
      }
    },
    acted(view, _action, started) {
      state = nextState(
        state,
        {
          ...(lastRecommendation === undefined ? {} : { recommendation: lastRecommendation }),
          ...(started && lastDecision !== undefined && lastDecision.action !== 'hold'
            ? { startedAction: lastDecision.action, startedTarget: targetOf(lastDecision, view) }
            : {}),
          ...(lastFactors === undefined ? {} : { capacityFactors: lastFactors }),
          observed: {
            tier: view.tier,
            readyReplicas: view.readyReplicas,
            migrationInFlight: view.migrationInFlight,
          },
        },
        settings,
        view.nowMs,
      );
    },
  };
}
