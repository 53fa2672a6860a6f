import type { TierCatalog } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, tierPerformance, type LlmModel } from '../service-model/index.js';
import { DEFAULT_TIMINGS, type PlatformTimings } from './cluster.js';
import type { KsissSimConfig } from './k-siss-config.js';
import { LADDER_POLICIES, PolicyFactory, WHOLE_GPU_TIER, type PolicyName } from './policies.js';
import { simulate, type SimulationResult } from './simulate.js';
import type { SloTargets } from './slo.js';
import { DEFAULT_SIM_TOPOLOGY, type SimTopology } from './topology.js';
import type { Trace } from './trace.js';

/** Default Prometheus scrape interval of the simulation (kube-prometheus' ServiceMonitor default). */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;

/** A batch of runs: one trace, several policies, the same cluster, model, SLOs and seed. */
export interface RunRequest {
  readonly trace: Trace;
  readonly policies: readonly PolicyName[];
  readonly slo: SloTargets;
  readonly seed: number;
  readonly ksiss: KsissSimConfig;
  readonly model?: LlmModel;
  readonly topology?: SimTopology;
  readonly timings?: PlatformTimings;
  readonly scrapeIntervalMs?: number;
  /** Progress of one policy's replay, 0..1. */
  readonly onProgress?: (policy: PolicyName, fraction: number) => void;
  /** Progress of the oracle's offline window search, 0..1: it runs first, once, for every policy's start. */
  readonly onSearchProgress?: (fraction: number) => void;
}

/** Runs every requested policy on the trace; results in the order asked. */
export function runPolicies(request: RunRequest): SimulationResult[] {
  const catalog: TierCatalog = request.ksiss.catalog;
  const model = request.model ?? DEFAULT_MODEL;
  const topology = request.topology ?? DEFAULT_SIM_TOPOLOGY;
  const setup = { trace: request.trace, catalog, model, topology, slo: request.slo, ksiss: request.ksiss };
  const factory = new PolicyFactory(setup);
  if (request.policies.length > 0) factory.requirements(request.onSearchProgress);
  return request.policies.map((name) => {
    request.onProgress?.(name, 0);
    const policy = factory.build(name);
    return simulate({
      ...setup,
      policy,
      timings: request.timings ?? DEFAULT_TIMINGS,
      seed: request.seed,
      scrapeIntervalMs: request.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS,
      ...(request.onProgress === undefined
        ? {}
        : { onProgress: (f: number) => request.onProgress?.(name, f) }),
    });
  });
}

/**
 * Every tier the requested policies would run that cannot hold the model (weights plus some KV cache), as
 * `field = value: why` lines: `settings.ladder[i]` for the k-siss ladder, `whole GPU tier` for the
 * replica-only baselines. Empty when the run can start.
 */
export function modelFitProblems(
  ksiss: KsissSimConfig,
  model: LlmModel,
  policies: readonly PolicyName[],
): string[] {
  const problems: string[] = [];
  const check = (field: string, tierName: string): void => {
    const tier = ksiss.catalog.get(tierName);
    if (tier === undefined) {
      problems.push(`${field} = ${JSON.stringify(tierName)}: not in the tier catalog`);
      return;
    }
    const fit = tierPerformance(tier, model);
    if (!fit.ok) problems.push(`${field} = ${JSON.stringify(tierName)}: ${fit.message}`);
  };
  if (policies.some((p) => LADDER_POLICIES.has(p))) {
    ksiss.config.settings.ladder.forEach((tier, i) =>
      check(`${ksiss.config.service}.settings.ladder[${i}]`, tier),
    );
  }
  if (policies.some((p) => !LADDER_POLICIES.has(p))) check('whole GPU tier', WHOLE_GPU_TIER);
  return problems;
}
