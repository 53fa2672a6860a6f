import type { TierCatalog } from '../gpu-registry/index.js';
import type { LlmModel } from '../service-model/index.js';
import { SimCluster, type ActionRecord, type FailedRequest, type PlatformTimings } from './cluster.js';
import { ObservationStore } from './observations.js';
import type { PolicyAction, ServiceView, SimPolicy } from './policy.js';
import { meetsSlo, type SloTargets } from './slo.js';
import type { Trace } from './trace.js';
import type { SimTopology } from './topology.js';
import { seededRandom } from '../service-model/index.js';

/** Everything one simulated run needs. */
export interface SimulationOptions {
  readonly trace: Trace;
  readonly policy: SimPolicy;
  readonly catalog: TierCatalog;
  readonly model: LlmModel;
  readonly topology: SimTopology;
  readonly timings: PlatformTimings;
  readonly slo: SloTargets;
  readonly seed: number;
  /** Prometheus scrape interval. */
  readonly scrapeIntervalMs: number;
  /** After the last arrival, how long in-flight requests may still finish. */
  readonly maxDrainMs?: number;
  /** Called now and then with the share of the trace replayed, 0..1. */
  readonly onProgress?: (fraction: number) => void;
}

/** The JSON summary of one run (field names are a contract: bench/results, `--format json`). */
export interface SimulationSummary {
  readonly policy: string;
  readonly trace: string;
  readonly requests: number;
  /** Share of requests served within both the TTFT and the TPOT target, 0..1. */
  readonly sloAttainment: number;
  readonly ttftP50Ms: number;
  readonly ttftP99Ms: number;
  readonly tpotP50Ms: number;
  readonly tpotP99Ms: number;
  readonly gpuHours: number;
  readonly actions: number;
  readonly migrations: number;
  /** Direction reversals (more capacity, then less, or back) within 5 minutes. */
  readonly oscillations: number;
}

/** One point of the time series drawn in the report. */
export interface SeriesPoint {
  readonly atS: number;
  readonly requestRatePerS: number;
  readonly tier: string;
  readonly desiredReplicas: number;
  readonly readyReplicas: number;
  /** GPUs billed at this moment (sum of compute fractions). */
  readonly gpus: number;
  readonly tpotP99Ms: number;
  readonly ttftP99Ms: number;
}

/** From `atMs` on (to the next point), the serving revision's tier and its Ready pods. */
export interface ServingPoint {
  readonly atMs: number;
  readonly tier: string;
  readonly readyReplicas: number;
}

/** A run's summary, series, actions and failures by reason. */
export interface SimulationResult {
  readonly summary: SimulationSummary;
  readonly series: readonly SeriesPoint[];
  /** Every change of the serving configuration in place, to the second (the first point is the start). */
  readonly servingTimeline: readonly ServingPoint[];
  readonly actions: readonly ActionRecord[];
  readonly failures: Readonly<Record<FailedRequest['reason'], number>>;
}

/** Oscillation window: a reversal of direction within this time counts. */
export const OSCILLATION_WINDOW_MS = 5 * 60_000;

const GRID_MS = 1000;
/** Spacing of a run's series points. */
export const SERIES_EVERY_MS = 15_000;

/** Replays a trace through one policy on the simulated cluster. Deterministic for a seed. */
export function simulate(options: SimulationOptions): SimulationResult {
  const { trace, policy, slo } = options;
  const requests = trace.requests;
  const observations = new ObservationStore(options.scrapeIntervalMs);
  const ttfts: number[] = [];
  const tpots: number[] = [];
  let met = 0;
  const failures: Record<FailedRequest['reason'], number> = {
    tooLong: 0,
    kvTooSmall: 0,
    cut: 0,
    unserved: 0,
  };
  const cluster = new SimCluster(
    options.topology,
    options.catalog,
    options.model,
    options.timings,
    seededRandom(options.seed),
    {
      served(c) {
        observations.recordServed(
          c.finishMs,
          c.ttftMs,
          c.tpotMs,
          c.queueMs,
          c.request.outputTokens,
          c.request.promptTokens,
        );
        ttfts.push(c.ttftMs);
        if (c.request.outputTokens > 1) tpots.push(c.tpotMs);
        if (meetsSlo(slo, c.request.promptTokens, c.ttftMs, c.tpotMs)) met += 1;
      },
      failed(f) {
        failures[f.reason] += 1;
      },
    },
    policy,
  );
  const series: SeriesPoint[] = [];
  const servingTimeline: ServingPoint[] = [];
  const maxDrainMs = options.maxDrainMs ?? 30 * 60_000;
  let next = 0;
  let podMsTotal = 0;
  let lastProgress = -1;
  let endMs: number;
  for (let g = 0; ; g += GRID_MS) {
    while (next < requests.length && (requests[next]?.arrivalMs ?? 0) < g) {
      const request = requests[next++];
      if (request === undefined) break;
      cluster.advance(request.arrivalMs);
      observations.recordArrival(request.arrivalMs);
      cluster.route(request);
    }
    cluster.advance(g);
    cluster.tick(g);
    const gauges = cluster.gauges();
    podMsTotal += gauges.alivePods * GRID_MS;
    observations.recordGauges({
      atMs: g,
      queueLength: gauges.queueLength,
      inFlight: gauges.inFlight,
      readyReplicas: gauges.readyReplicas,
      kvUsageMean: gauges.kvUsageMean,
      busyMsTotal: gauges.busyMsTotal,
      podMsTotal,
    });
    const controlTick = g > 0 && g % policy.tickMs === 0;
    // A migration in flight is carried forward by the knative planner: k-siss resumes it on its control
    // loop's ticks and decides nothing else on that tick (as `k-siss run`'s planServices does); the Go
    // original's loop and the oracle's idealisation wait on it.
    const resumedThisTick = cluster.migrationInFlight && controlTick && policy.migrationStyle === 'planned';
    if (cluster.migrationInFlight && (controlTick || policy.migrationStyle !== 'planned')) {
      cluster.resumeMigration(g);
    }
    if (
      controlTick &&
      !resumedThisTick &&
      !(policy.migrationStyle === 'original' && cluster.migrationInFlight)
    ) {
      const view = viewOf(cluster, observations, g);
      const action = policy.decide(view);
      const started = carryOut(cluster, action, g);
      policy.acted?.(view, action, started);
    }
    const inPlace = servingTimeline[servingTimeline.length - 1];
    if (
      inPlace === undefined ||
      inPlace.tier !== cluster.servingTier ||
      inPlace.readyReplicas !== cluster.readyReplicas
    ) {
      servingTimeline.push({ atMs: g, tier: cluster.servingTier, readyReplicas: cluster.readyReplicas });
    }
    if (g % SERIES_EVERY_MS === 0) {
      const m = observations.query(g);
      series.push({
        atS: g / 1000,
        requestRatePerS: m.request_rate,
        tier: cluster.servingTier,
        desiredReplicas: cluster.desiredReplicas,
        readyReplicas: cluster.readyReplicas,
        gpus: cluster.allocatedGpus(g),
        tpotP99Ms: m.tpot_p99_seconds * 1000,
        ttftP99Ms: m.ttft_p99_seconds * 1000,
      });
    }
    if (options.onProgress !== undefined && trace.durationMs > 0) {
      const fraction = Math.min(1, g / trace.durationMs);
      if (fraction - lastProgress >= 0.01) {
        lastProgress = fraction;
        options.onProgress(fraction);
      }
    }
    const arrived = next >= requests.length;
    if (arrived && g >= trace.durationMs && cluster.outstanding === 0) {
      endMs = g;
      break;
    }
    if (g > trace.durationMs + maxDrainMs) {
      endMs = g;
      break;
    }
  }
  const gpuMs = cluster.finish(endMs);
  const actions = cluster.actions;
  return {
    summary: {
      policy: policy.name,
      trace: trace.name,
      requests: requests.length,
      sloAttainment: requests.length === 0 ? 1 : met / requests.length,
      ttftP50Ms: percentile(ttfts, 0.5),
      ttftP99Ms: percentile(ttfts, 0.99),
      tpotP50Ms: percentile(tpots, 0.5),
      tpotP99Ms: percentile(tpots, 0.99),
      gpuHours: gpuMs / 3_600_000,
      actions: actions.length,
      migrations: actions.filter((a) => a.kind === 'migrate').length,
      oscillations: countOscillations(actions),
    },
    series,
    servingTimeline,
    actions,
    failures,
  };
}

function viewOf(cluster: SimCluster, observations: ObservationStore, nowMs: number): ServiceView {
  // Observed as the control loop observes a Knative Service (knative's toObservedService).
  const observed = cluster.observedService();
  return {
    nowMs,
    tier: observed.tier ?? cluster.servingTier,
    desiredReplicas: cluster.desiredReplicas,
    readyReplicas: observed.readyReplicas,
    migrationInFlight: observed.migrationInFlight,
    capacity: cluster.freeCapacity,
    tierBackoffUntilMs: { ...observed.state.tierBackoffUntilMs },
    metrics: observations.query(nowMs),
    observations,
    servingSinceMs: cluster.servingSinceMs,
  };
}

function carryOut(cluster: SimCluster, action: PolicyAction, nowMs: number): boolean {
  switch (action.kind) {
    case 'hold':
      return false;
    case 'scale':
      return cluster.scaleTo(action.replicas, nowMs, action.reason);
    case 'migrate':
      return cluster.migrate(action.tier, action.replicas, nowMs, action.reason);
  }
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Direction reversals between consecutive actions less than 5 minutes apart. */
export function countOscillations(actions: readonly Pick<ActionRecord, 'atMs' | 'direction'>[]): number {
  let count = 0;
  for (let i = 1; i < actions.length; i += 1) {
    const a = actions[i - 1];
    const b = actions[i];
    if (
      a !== undefined &&
      b !== undefined &&
      a.direction !== b.direction &&
      b.atMs - a.atMs <= OSCILLATION_WINDOW_MS
    ) {
      count += 1;
    }
  }
  return count;
}

export { seededRandom };
