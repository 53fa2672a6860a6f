import type { GpuTier, TierCatalog } from '../gpu-registry/index.js';
import {
  ReplicaEngine,
  tierPerformance,
  type InferenceRequest,
  type LlmModel,
  type TierPerformance,
} from '../service-model/index.js';
import type { MigrationStyle, PolicyAction, ServiceView, SimPolicy } from './policy.js';
import { meetsSlo, type SloTargets } from './slo.js';
import type { SimTopology } from './topology.js';
import type { Trace } from './trace.js';

/** A configuration: a tier and a replica count. */
export interface Provision {
  readonly tier: string;
  readonly replicas: number;
}

/** The oracle's plan: one provision per window, from `startMs`. */
export interface PlanStep extends Provision {
  readonly startMs: number;
}

/** Options of the offline search. */
export interface OracleOptions {
  readonly trace: Trace;
  readonly catalog: TierCatalog;
  readonly model: LlmModel;
  readonly topology: SimTopology;
  readonly slo: SloTargets;
  /** Tiers whose per-window requirements are computed. */
  readonly tiers: readonly string[];
  /** Tiers the oracle and static-peak choose from (the k-siss ladder: the best a ladder policy could do). */
  readonly planTiers: readonly string[];
  readonly windowMs: number;
  /** Share of a window's requests that must meet the SLOs. */
  readonly targetAttainment: number;
  /** Requests replayed before a window (not scored) so it does not start from empty replicas. */
  readonly warmupMs: number;
  readonly maxReplicas: number;
}

/**
 * Defaults: 5-minute windows, 99% of each window's requests within the SLOs (the aim; the seams between
 * windows may cost a little), 60 s of warm-up, at most 32 replicas.
 */
export const ORACLE_DEFAULTS = {
  windowMs: 300_000,
  targetAttainment: 0.99,
  warmupMs: 60_000,
  maxReplicas: 32,
} as const;

interface TierChoice {
  readonly tier: GpuTier;
  readonly perf: TierPerformance;
  /** Most pods of this tier the cluster can hold. */
  readonly capacityPods: number;
}

/** Share of `scored` requests meeting the SLOs on `replicas` fresh replicas of `perf`, least-loaded routing. */
export function windowAttainment(
  perf: TierPerformance,
  replicas: number,
  warmup: readonly InferenceRequest[],
  scored: readonly InferenceRequest[],
  slo: SloTargets,
): number {
  if (scored.length === 0) return 1;
  const startMs = (warmup[0] ?? scored[0])?.arrivalMs ?? 0;
  const engines = Array.from({ length: replicas }, () => new ReplicaEngine(perf, startMs));
  const scoredIds = new Set(scored.map((r) => r.id));
  let met = 0;
  const collect = (toMs: number): void => {
    for (const e of engines) {
      for (const c of e.advance(toMs)) {
        if (
          c.outcome === 'served' &&
          scoredIds.has(c.request.id) &&
          meetsSlo(slo, c.request.promptTokens, c.ttftMs, c.tpotMs)
        ) {
          met += 1;
        }
      }
    }
  };
  for (const r of [...warmup, ...scored]) {
    collect(r.arrivalMs);
    let best = engines[0] as ReplicaEngine;
    for (const e of engines) if (e.outstanding < best.outstanding) best = e;
    best.admit(r);
  }
  collect(Number.MAX_SAFE_INTEGER);
  return met / scored.length;
}

function tierChoices(options: OracleOptions): TierChoice[] {
  const out: TierChoice[] = [];
  for (const name of options.tiers) {
    const tier = options.catalog.get(name);
    if (tier === undefined) continue;
    const perf = tierPerformance(tier, options.model);
    if (!perf.ok) continue;
    const units = options.topology.nodes.reduce(
      (sum, n) => sum + Math.floor((n.resources[tier.resource] ?? 0) / tier.unitsPerPod),
      0,
    );
    const capacityPods = Math.min(options.maxReplicas, units);
    if (capacityPods > 0) out.push({ tier, perf: perf.performance, capacityPods });
  }
  return out;
}

/** Per window and tier: the fewest replicas meeting the target (undefined when none within capacity). */
export interface WindowRequirement {
  readonly startMs: number;
  readonly requests: number;
  readonly replicasByTier: Readonly<Record<string, number | undefined>>;
  /** The best attainment any candidate reached (when no candidate reaches the target). */
  readonly bestAttainment: number;
}

/**
 * Offline search over the trace, window by window: for each tier the fewest replicas whose replay of the
 * window (on fresh replicas after a warm-up) meets the target, scored over the requests some tier can run.
 * What it ignores: pod start-up and revision readiness delays, the overlap of old and new pods during a
 * change (billing switches at the window edge), and the requests still in flight at a window's end (they
 * finish on the old pods, unbilled). simulator/README.md ("The oracle") lists every simplification.
 */
export function windowRequirements(
  options: OracleOptions,
  onProgress?: (fraction: number) => void,
): WindowRequirement[] {
  const choices = tierChoices(options);
  // A request no candidate tier can ever run (longer than the model's context, or than the largest KV
  // cache) fails under every provision: it is left out of the scoring, or the search would buy capacity
  // to make up for requests that capacity cannot serve, and the oracle would stop being a lower bound.
  const kvLimit = Math.max(0, ...choices.map((c) => c.perf.kvCapacityTokens));
  const servable = (r: InferenceRequest): boolean => {
    const total = r.promptTokens + r.outputTokens;
    return total <= options.model.maxContextTokens && total <= kvLimit;
  };
  const requests = options.trace.requests.filter(servable);
  const windows: WindowRequirement[] = [];
  const lastHint: Record<string, number> = {};
  for (let startMs = 0, i = 0, w = 0; startMs <= options.trace.durationMs; startMs += options.windowMs) {
    const endMs = startMs + options.windowMs;
    while (w < requests.length && (requests[w] as InferenceRequest).arrivalMs < startMs - options.warmupMs)
      w += 1;
    let j = i;
    while (j < requests.length && (requests[j] as InferenceRequest).arrivalMs < endMs) j += 1;
    const warmup = requests.slice(w, i);
    const scored = requests.slice(i, j);
    const replicasByTier: Record<string, number | undefined> = {};
    let bestAttainment = 0;
    for (const c of choices) {
      const meets = (n: number): boolean => {
        const a = windowAttainment(c.perf, n, warmup, scored, options.slo);
        bestAttainment = Math.max(bestAttainment, a);
        return a >= options.targetAttainment;
      };
      // Exponential then binary search from the previous window's answer (attainment grows with replicas).
      const hint = Math.min(c.capacityPods, Math.max(1, lastHint[c.tier.name] ?? 1));
      let lo = 0;
      let hi: number | undefined;
      if (meets(hint)) {
        hi = hint;
        let probe = Math.floor(hint / 2);
        while (probe >= 1) {
          if (meets(probe)) {
            hi = probe;
            probe = Math.floor(probe / 2);
          } else {
            lo = probe;
            break;
          }
        }
      } else {
        lo = hint;
        let probe = hint * 2;
        while (lo < c.capacityPods) {
          const n = Math.min(probe, c.capacityPods);
          if (meets(n)) {
            hi = n;
            break;
          }
          lo = n;
          probe *= 2;
        }
      }
      if (hi !== undefined) {
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (meets(mid)) hi = mid;
          else lo = mid;
        }
        lastHint[c.tier.name] = hi;
      }
      replicasByTier[c.tier.name] = hi;
    }
    windows.push({ startMs, requests: scored.length, replicasByTier, bestAttainment });
    onProgress?.(Math.min(1, endMs / Math.max(1, options.trace.durationMs)));
    i = j;
  }
  return windows;
}

function costOf(catalog: TierCatalog, p: Provision): number {
  return (catalog.get(p.tier)?.computeFraction ?? Number.POSITIVE_INFINITY) * p.replicas;
}

/** The largest candidate (most compute) at its capacity: the fallback when nothing meets the target. */
function largest(options: OracleOptions): Provision {
  const choices = tierChoices({ ...options, tiers: options.planTiers });
  let best: Provision | undefined;
  for (const c of choices) {
    const p = { tier: c.tier.name, replicas: c.capacityPods };
    if (best === undefined || costOf(options.catalog, p) > costOf(options.catalog, best)) best = p;
  }
  if (best === undefined)
    throw new Error(`oracle: no tier of ${options.tiers.join(', ')} can run ${options.model.name}`);
  return best;
}

/** The oracle's plan: per window the cheapest (GPU share x replicas) provision meeting the target. */
export function oraclePlan(options: OracleOptions, windows = windowRequirements(options)): PlanStep[] {
  return windows.map((w) => {
    let best: Provision | undefined;
    for (const tier of options.planTiers) {
      const replicas = w.replicasByTier[tier];
      if (replicas === undefined) continue;
      const p = { tier, replicas };
      if (best === undefined || costOf(options.catalog, p) < costOf(options.catalog, best)) best = p;
    }
    return { startMs: w.startMs, ...(best ?? largest(options)) };
  });
}

/**
 * Static peak provisioning: the cheapest single provision that meets the target in every window
 * (per tier, the largest per-window requirement). It is never cheaper than the oracle.
 */
export function staticPeakProvision(
  options: OracleOptions,
  windows = windowRequirements(options),
): Provision {
  let best: Provision | undefined;
  for (const tier of options.planTiers) {
    const needs = windows.map((w) => w.replicasByTier[tier]);
    if (needs.length === 0 || needs.some((n) => n === undefined)) continue;
    const p = { tier, replicas: Math.max(...(needs as number[])) };
    if (best === undefined || costOf(options.catalog, p) < costOf(options.catalog, best)) best = p;
  }
  return best ?? largest(options);
}

/**
 * When a controller can first act on a change of load at `changeMs`: the first control-loop tick at or after
 * one scrape interval later. A scrape after the change is the first sample whose 1-minute window holds any of
 * the new load, and the controller queries Prometheus on its ticks (multiples of `tickMs` from the start).
 */
export function reactionTickMs(changeMs: number, scrapeIntervalMs: number, tickMs: number): number {
  return Math.ceil((changeMs + scrapeIntervalMs) / tickMs) * tickMs;
}

/**
 * The oracle's plan as a reactive controller could at best carry it out (`oracle-reactive`): each change,
 * planned for a window's start, is made at the reaction tick of that start (`reactionTickMs`); replayed with
 * the `reactive` migration style, new pods then take the platform's start-up and readiness time before they
 * serve. The first step is the starting provision. Steps that land on the same tick keep the later one.
 */
export function reactivePlan(
  plan: readonly PlanStep[],
  scrapeIntervalMs: number,
  tickMs: number,
): PlanStep[] {
  const out: PlanStep[] = [];
  plan.forEach((step, i) => {
    const startMs = i === 0 ? step.startMs : reactionTickMs(step.startMs, scrapeIntervalMs, tickMs);
    const last = out[out.length - 1];
    if (last !== undefined && last.startMs === startMs) out.pop();
    out.push({ ...step, startMs });
  });
  return out;
}

/** Replays a plan: changes happen at window edges, instantly (see `windowRequirements`), unless `style` says otherwise. */
export function planPolicy(
  name: string,
  plan: readonly PlanStep[],
  style: Extract<MigrationStyle, 'instant' | 'reactive'> = 'instant',
): SimPolicy {
  const first = plan[0];
  if (first === undefined) throw new Error(`${name}: empty plan`);
  return {
    name,
    tickMs: 1000,
    initial: { tier: first.tier, replicas: first.replicas },
    migrationStyle: style,
    decide(view: ServiceView): PolicyAction {
      let step: PlanStep = first;
      for (const s of plan) if (s.startMs <= view.nowMs) step = s;
      if (step.tier !== view.tier) {
        return {
          kind: 'migrate',
          tier: step.tier,
          replicas: step.replicas,
          reason: 'plan',
          message: `window from ${step.startMs / 1000}s`,
        };
      }
      if (step.replicas !== view.desiredReplicas) {
        return {
          kind: 'scale',
          replicas: step.replicas,
          reason: 'plan',
          message: `window from ${step.startMs / 1000}s`,
        };
      }
      return { kind: 'hold', reason: 'plan', message: 'as planned' };
    },
  };
}
