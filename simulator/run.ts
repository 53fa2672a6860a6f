import type { SizingProfile } from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, tierPerformance, type LlmModel } from '../service-model/index.js';
import { DEFAULT_TIMINGS, type PlatformTimings } from './cluster.js';
import { coldStartTrace, type StartMode } from './cold-start.js';
import type { KsissSimConfig } from './k-siss-config.js';
import { servingModelOf } from './model-error.js';
import type { WindowRequirement } from './oracle.js';
import {
  DEFAULT_SCRAPE_INTERVAL_MS,
  LADDER_POLICIES,
  PolicyFactory,
  WHOLE_GPU_TIER,
  type PolicyName,
} from './policies.js';
import { profileOf } from './profile.js';
import { simulate, type SimulationResult } from './simulate.js';
import type { SloTargets } from './slo.js';
import { DEFAULT_SIM_TOPOLOGY, type SimTopology } from './topology.js';
import type { Trace } from './trace.js';

export { DEFAULT_SCRAPE_INTERVAL_MS };

/** A batch of runs: one trace, several policies, the same cluster, model, SLOs and seed. */
export interface RunRequest {
  readonly trace: Trace;
  readonly policies: readonly PolicyName[];
  readonly slo: SloTargets;
  readonly seed: number;
  readonly ksiss: KsissSimConfig;
  /** The model as benchmarked (the profile's); the replicas run it at `modelError` times its speed. */
  readonly model?: LlmModel;
  readonly topology?: SimTopology;
  readonly timings?: PlatformTimings;
  readonly scrapeIntervalMs?: number;
  /** `warm` (default): every policy starts right-sized for the first window; `cold`: see coldStartTrace. */
  readonly start?: StartMode;
  /** The simulated serving runs this many times the profile's speed (servingModelOf); default 1. */
  readonly modelError?: number;
  /**
   * The profile handed to k-siss (when its config resolves none). Default: `profileOf` the benchmarked model
   * on the k-siss ladder. Pass one to share it between runs: it never depends on `modelError`.
   */
  readonly profile?: SizingProfile;
  /** Progress of one policy's replay, 0..1. */
  readonly onProgress?: (policy: PolicyName, fraction: number) => void;
  /** Progress of the oracle's offline window search, 0..1: it runs first, once, for every policy's start. */
  readonly onSearchProgress?: (fraction: number) => void;
}

/** The runs of a request and what they were run with. */
export interface RunOutcome {
  readonly results: SimulationResult[];
  /** The trace as replayed (with the light prefix on a cold start). */
  readonly trace: Trace;
  /** The oracle's per-window requirements on the replayed trace (empty when no policy was asked for). */
  readonly requirements: readonly WindowRequirement[];
  /** The profile k-siss was given (undefined when no k-siss run needed one). */
  readonly profile: SizingProfile | undefined;
}

/** Runs every requested policy on the trace; results in the order asked. */
export function runPolicies(request: RunRequest): SimulationResult[] {
  return runPoliciesWithContext(request).results;
}

/** runPolicies, with the replayed trace, the oracle's requirements and the profile it used. */
export function runPoliciesWithContext(request: RunRequest): RunOutcome {
  const catalog: TierCatalog = request.ksiss.catalog;
  const benchmarkModel = request.model ?? DEFAULT_MODEL;
  const model = servingModelOf(benchmarkModel, request.modelError ?? 1);
  const topology = request.topology ?? DEFAULT_SIM_TOPOLOGY;
  const start = request.start ?? 'warm';
  const trace = start === 'cold' ? coldStartTrace(request.trace, request.seed) : request.trace;
  const scrapeIntervalMs = request.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
  const profile =
    request.profile ??
    (request.policies.includes('k-siss')
      ? profileOf(catalog, benchmarkModel, request.slo, request.ksiss.config.settings.ladder).profile
      : undefined);
  const setup = {
    trace,
    catalog,
    model,
    benchmarkModel,
    topology,
    slo: request.slo,
    ksiss: request.ksiss,
    scrapeIntervalMs,
    ...(profile === undefined ? {} : { profile }),
  };
  const factory = new PolicyFactory(setup);
  const requirements = request.policies.length > 0 ? factory.requirements(request.onSearchProgress) : [];
  const results = request.policies.map((name) => {
    request.onProgress?.(name, 0);
    const policy = start === 'cold' ? factory.buildCold(name) : factory.build(name);
    return simulate({
      ...setup,
      policy,
      timings: request.timings ?? DEFAULT_TIMINGS,
      seed: request.seed,
      scrapeIntervalMs,
      ...(request.onProgress === undefined
        ? {}
        : { onProgress: (f: number) => request.onProgress?.(name, f) }),
    });
  });
  return { results, trace, requirements, profile };
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
