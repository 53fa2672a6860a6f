import type { TierCatalog } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, type LlmModel } from '../service-model/index.js';
import { DEFAULT_TIMINGS, type PlatformTimings } from './cluster.js';
import type { KsissSimConfig } from './k-siss-config.js';
import { PolicyFactory, type PolicyName } from './policies.js';
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
  /** Progress of one policy's replay, 0..1 (the oracle's offline search reports 0 while it runs). */
  readonly onProgress?: (policy: PolicyName, fraction: number) => void;
}

/** Runs every requested policy on the trace; results in the order asked. */
export function runPolicies(request: RunRequest): SimulationResult[] {
  const catalog: TierCatalog = request.ksiss.catalog;
  const model = request.model ?? DEFAULT_MODEL;
  const topology = request.topology ?? DEFAULT_SIM_TOPOLOGY;
  const setup = { trace: request.trace, catalog, model, topology, slo: request.slo, ksiss: request.ksiss };
  const factory = new PolicyFactory(setup);
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
