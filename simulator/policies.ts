import { maxArrivalRatePerS, steadyState, tierPerformance, type LlmModel } from '../service-model/index.js';
import type { SizingProfile } from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { apaPolicy } from './baselines/aibrix-apa.js';
import { hpaPolicy } from './baselines/hpa.js';
import { ksissOriginalPolicy } from './baselines/ksiss-original.js';
import { kpaPolicy } from './baselines/kpa.js';
import { kubeAiPolicy } from './baselines/kubeai-max-ratio.js';
import type { KsissSimConfig } from './k-siss-config.js';
import { ksissPolicy } from './k-siss-policy.js';
import {
  ORACLE_DEFAULTS,
  oraclePlan,
  planPolicy,
  reactivePlan,
  staticPeakProvision,
  windowRequirements,
  type OracleOptions,
  type WindowRequirement,
} from './oracle.js';
import type { SimPolicy } from './policy.js';
import { ttftTargetMs, type SloTargets } from './slo.js';
import type { SimTopology } from './topology.js';
import type { Trace } from './trace.js';

/** Every policy the simulator knows, in report order. */
export const POLICY_NAMES = [
  'k-siss',
  'ksiss-original',
  'hpa',
  'kpa',
  'kubeai-maxratio',
  'aibrix-apa',
  'static-peak',
  'oracle',
  'oracle-reactive',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Whole-GPU tier of the replica-only baselines. */
export const WHOLE_GPU_TIER = 'gpu';

/** Policies that run on the k-siss ladder (see `buildCold`); the replica-only baselines run whole GPUs. */
export const LADDER_POLICIES: ReadonlySet<PolicyName> = new Set([
  'k-siss',
  'ksiss-original',
  'oracle',
  'oracle-reactive',
  'static-peak',
]);

/** What building the policies needs. */
export interface PolicySetup {
  readonly trace: Trace;
  readonly catalog: TierCatalog;
  /** The model the simulated replicas run (what the oracle knows; no policy reads it). */
  readonly model: LlmModel;
  /**
   * The model as the user benchmarked it (`--model-error` 1): what user config derived from a benchmark
   * comes from (KPA's containerConcurrency). Defaults to `model`.
   */
  readonly benchmarkModel?: LlmModel;
  /** The sizing profile handed to k-siss when its config resolves none (`profileOf` on the benchmarked model). */
  readonly profile?: SizingProfile;
  readonly topology: SimTopology;
  readonly slo: SloTargets;
  readonly ksiss: KsissSimConfig;
  /** Prometheus scrape interval (oracle-reactive's detection delay); default DEFAULT_SCRAPE_INTERVAL_MS. */
  readonly scrapeIntervalMs?: number;
}

/** Default Prometheus scrape interval of the simulation (kube-prometheus' ServiceMonitor default). */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;

/** The request shape baselines are sized with: a 1,000-token chat prompt, 200 tokens out (not from a trace). */
export const REFERENCE_REQUEST = { promptTokens: 1000, outputTokens: 200 } as const;

/**
 * KPA's `containerConcurrency` for an LLM server: the requests in flight on one whole GPU at the highest
 * steady arrival rate of reference requests that still meets the SLOs (service model). KPA then targets
 * 70% of it.
 */
export function llmContainerConcurrency(catalog: TierCatalog, model: LlmModel, slo: SloTargets): number {
  const tier = catalog.get(WHOLE_GPU_TIER);
  if (tier === undefined) throw new Error(`the catalog has no ${WHOLE_GPU_TIER} tier`);
  const perf = tierPerformance(tier, model);
  if (!perf.ok) throw new Error(perf.message);
  const { promptTokens, outputTokens } = REFERENCE_REQUEST;
  const rate = maxArrivalRatePerS(perf.performance, promptTokens, outputTokens, {
    tpotMs: slo.tpotMs,
    ttftMs: ttftTargetMs(slo, promptTokens),
  });
  const s = steadyState(perf.performance, {
    arrivalRatePerS: rate,
    meanPromptTokens: promptTokens,
    meanOutputTokens: outputTokens,
  });
  return s.stable ? Math.max(1, Math.round(s.runningRequests + s.queueLength)) : 1;
}

/** Pods of `tierName` the (empty) cluster can hold. */
function podsThatFit(setup: PolicySetup, tierName: string): number {
  const tier = setup.catalog.get(tierName);
  if (tier === undefined) return 0;
  return setup.topology.nodes.reduce(
    (sum, n) => sum + Math.floor((n.resources[tier.resource] ?? 0) / tier.unitsPerPod),
    0,
  );
}

function wholeGpuCapacity(setup: PolicySetup): number {
  return Math.max(1, podsThatFit(setup, WHOLE_GPU_TIER));
}

/** Oracle options for a setup (the k-siss ladder, the defaults of ORACLE_DEFAULTS). */
export function oracleOptionsOf(setup: PolicySetup): OracleOptions {
  return {
    trace: setup.trace,
    catalog: setup.catalog,
    model: setup.model,
    topology: setup.topology,
    slo: setup.slo,
    tiers: [...new Set([...setup.ksiss.config.settings.ladder, WHOLE_GPU_TIER])],
    planTiers: setup.ksiss.config.settings.ladder,
    ...ORACLE_DEFAULTS,
  };
}

/** Builds policies by name; the oracle's window search is done once and shared with static-peak. */
export class PolicyFactory {
  private windows: WindowRequirement[] | undefined;

  constructor(private readonly setup: PolicySetup) {}

  /** The oracle's per-window requirements (computed on first use). */
  requirements(onProgress?: (fraction: number) => void): readonly WindowRequirement[] {
    this.windows ??= windowRequirements(oracleOptionsOf(this.setup), onProgress);
    return this.windows;
  }

  /**
   * Builds a policy that starts right-sized for the trace's first window, as if it had been running
   * before the trace began: the cheapest provision its own tiers allow (whole GPUs for the replica-only
   * baselines, the ladder for k-siss, one replica for the original).
   */
  build(name: PolicyName): SimPolicy {
    const policy = this.buildCold(name);
    if (name === 'static-peak' || name === 'oracle' || name === 'oracle-reactive') return policy;
    const first = this.requirements()[0];
    if (first === undefined) return policy;
    const catalog = this.setup.catalog;
    const cost = (tier: string, n: number): number => (catalog.get(tier)?.computeFraction ?? Infinity) * n;
    let initial: { tier: string; replicas: number };
    if (name === 'k-siss') {
      const settings = this.setup.ksiss.config.settings;
      let best: { tier: string; replicas: number } | undefined;
      for (const tier of settings.ladder) {
        const n = first.replicasByTier[tier];
        if (n === undefined) continue;
        const replicas = Math.min(settings.maxReplicas, Math.max(settings.minReplicas, n));
        if (best === undefined || cost(tier, replicas) < cost(best.tier, best.replicas))
          best = { tier, replicas };
      }
      // Nothing meets the first window: the most compute the ladder and the cluster allow.
      for (const tier of best === undefined ? settings.ladder : []) {
        const replicas = Math.min(settings.maxReplicas, podsThatFit(this.setup, tier));
        if (
          replicas >= settings.minReplicas &&
          (best === undefined || cost(tier, replicas) > cost(best.tier, best.replicas))
        ) {
          best = { tier, replicas };
        }
      }
      initial = best ?? policy.initial;
    } else if (name === 'ksiss-original') {
      const ladder = this.setup.ksiss.config.settings.ladder;
      initial = {
        tier:
          ladder.find((t) => first.replicasByTier[t] === 1) ??
          ladder[ladder.length - 1] ??
          policy.initial.tier,
        replicas: 1,
      };
    } else {
      initial = {
        tier: WHOLE_GPU_TIER,
        replicas: Math.max(1, first.replicasByTier[WHOLE_GPU_TIER] ?? wholeGpuCapacity(this.setup)),
      };
    }
    policy.warmStart?.(initial);
    return { ...policy, initial };
  }

  /** Builds a policy at its own minimum provision. */
  buildCold(name: PolicyName): SimPolicy {
    const s = this.setup;
    const maxReplicas = wholeGpuCapacity(s);
    const tpotS = s.slo.tpotMs / 1000;
    const queueS = s.slo.ttftMs / 2000;
    switch (name) {
      case 'k-siss':
        return ksissPolicy(s.ksiss.config, s.ksiss.catalog, s.ksiss.intervalSeconds, 'k-siss', s.profile);
      case 'ksiss-original':
        return ksissOriginalPolicy(s.ksiss.config.metrics, s.ksiss.config.settings.ladder);
      case 'hpa':
        return hpaPolicy({
          tier: WHOLE_GPU_TIER,
          minReplicas: 1,
          maxReplicas,
          targets: { tpot_p99_seconds: 0.7 * tpotS, queue_time_p99_seconds: queueS },
        });
      case 'kpa':
        return kpaPolicy({
          tier: WHOLE_GPU_TIER,
          minReplicas: 1,
          maxReplicas,
          containerConcurrency: llmContainerConcurrency(s.catalog, s.benchmarkModel ?? s.model, s.slo),
        });
      case 'kubeai-maxratio':
        return kubeAiPolicy({
          tier: WHOLE_GPU_TIER,
          minReplicas: 1,
          maxReplicas,
          targets: { tpot_p99_seconds: 0.7 * tpotS, queue_length_per_replica: 2 },
        });
      case 'aibrix-apa':
        return apaPolicy({
          tier: WHOLE_GPU_TIER,
          minReplicas: 1,
          maxReplicas,
          metric: 'kv_cache_usage',
          target: 0.5,
        });
      case 'static-peak': {
        const p = staticPeakProvision(oracleOptionsOf(s), [...this.requirements()]);
        return planPolicy('static-peak', [{ startMs: 0, ...p }]);
      }
      case 'oracle':
        return planPolicy('oracle', oraclePlan(oracleOptionsOf(s), [...this.requirements()]));
      case 'oracle-reactive': {
        const plan = oraclePlan(oracleOptionsOf(s), [...this.requirements()]);
        const tickMs = Math.round(s.ksiss.intervalSeconds * 1000);
        const scrapeMs = s.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
        return planPolicy('oracle-reactive', reactivePlan(plan, scrapeMs, tickMs), 'reactive');
      }
    }
  }
}
