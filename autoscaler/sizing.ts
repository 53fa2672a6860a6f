import {
  hasUnitsFor,
  ladderRange,
  type CapacitySnapshot,
  type GpuTier,
  type TierCatalog,
} from '../gpu-registry/index.js';
import { ARRIVAL_COUNTS } from './config.js';
import type {
  CapacityFactors,
  Demand,
  MetricValues,
  Recommendation,
  SizingProfile,
  TierCapacity,
} from './types.js';

/**
 * The sizing planner's pure parts (no I/O, no clock): demand from a tick's metric values, the capacity model
 * of each tier (a profile or the catalog's fractions, corrected online), the headroom from the spread of the
 * last minutes' arrivals, and the cheapest configuration (tier x replicas) that covers demand x (1 + headroom).
 * docs/decisions.md, "Sizing", has the rules in prose and the derivation of every default.
 */

/** The names under which the shell passes the sizing counts among the metric values (arrivals: ARRIVAL_COUNTS). */
export const SIZING_METRICS = {
  recentArrivals: '__arrivals30s',
  completions: '__completions1m',
  promptTokens: '__promptTokens1m',
  outputTokens: '__outputTokens1m',
} as const;

const EPSILON = 1e-9;
const SECONDS_PER_COUNT = 60;
const RECENT_SECONDS = 30;

/** What the sizing queries said this tick: demand, what was processed, and the per-minute arrival counts. */
export interface DemandReading {
  readonly demand: Demand;
  /** What the service processed (completions and processed tokens), per second. */
  readonly processed: Demand;
  /** Arrivals in the last minute and the three before it, newest first (missing ones left out). */
  readonly arrivalCounts: readonly number[];
}

const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

/**
 * Demand from the counts of one tick. Arrivals per second are the last minute's count / 60, or the last 30
 * seconds' count / 30 when that is significantly higher (more than twice its Poisson noise). Token rates are
 * what was processed, scaled by arrivals / completions: the mean request size is measured on what finished,
 * the number of requests on what arrived, so a saturated service still reads its full demand. Without
 * completions the processed rates stand (the planner then under-reads, and SLO pressure still scales up).
 * A missing or non-finite count: undefined, with the names of what is missing.
 */
export function demandOf(
  metrics: MetricValues,
  windows: { readonly countWindowSeconds: number; readonly recentWindowSeconds: number } = {
    countWindowSeconds: SECONDS_PER_COUNT,
    recentWindowSeconds: RECENT_SECONDS,
  },
):
  | { readonly ok: true; readonly reading: DemandReading }
  | { readonly ok: false; readonly missing: string[] } {
  const arrivals = metrics[ARRIVAL_COUNTS[0].name];
  const completions = metrics[SIZING_METRICS.completions];
  const prompt = metrics[SIZING_METRICS.promptTokens];
  const output = metrics[SIZING_METRICS.outputTokens];
  const missing = [
    finite(arrivals) ? '' : 'arrivals',
    finite(completions) ? '' : 'completions',
    finite(prompt) ? '' : 'prompt tokens',
    finite(output) ? '' : 'output tokens',
  ].filter((m) => m !== '');
  if (!finite(arrivals) || !finite(completions) || !finite(prompt) || !finite(output)) {
    return { ok: false, missing };
  }
  const a = Math.max(0, arrivals);
  const c = Math.max(0, completions);
  const processed: Demand = {
    arrivalsPerS: c / windows.countWindowSeconds,
    promptTokensPerS: Math.max(0, prompt) / windows.countWindowSeconds,
    outputTokensPerS: Math.max(0, output) / windows.countWindowSeconds,
  };
  // The last 30 s win when they are above the minute's rate by more than twice their Poisson noise: a step
  // of load is then sized for at once, not a minute later.
  const recent = metrics[SIZING_METRICS.recentArrivals];
  const recentCount = finite(recent) ? Math.max(0, recent) : 0;
  const minuteRate = a / windows.countWindowSeconds;
  const recentRate = recentCount / windows.recentWindowSeconds;
  const arrivalsPerS =
    recentRate - minuteRate > (2 * Math.sqrt(recentCount)) / windows.recentWindowSeconds
      ? recentRate
      : minuteRate;
  const scale = c > 0 ? Math.max(1, (arrivalsPerS * windows.countWindowSeconds) / c) : 1;
  const demand: Demand = {
    arrivalsPerS,
    promptTokensPerS: processed.promptTokensPerS * scale,
    outputTokensPerS: processed.outputTokensPerS * scale,
  };
  const arrivalCounts = ARRIVAL_COUNTS.map(({ name }) => metrics[name])
    .filter(finite)
    .map((n) => Math.max(0, n));
  return { ok: true, reading: { demand, processed, arrivalCounts } };
}

// ------------------------------------------------------------------------------------------------ headroom

/** The standard normal density and upper tail. */
const normalPdf = (z: number): number => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
function normalUpperTail(z: number): number {
  // Abramowitz & Stegun 7.1.26 on erfc, |error| < 1.5e-7.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The unit normal loss function E[(Z - z)+] = pdf(z) - z (1 - cdf(z)), decreasing in z. */
export function normalLoss(z: number): number {
  return normalPdf(z) - z * normalUpperTail(z);
}

/** The z at which `normalLoss(z) = loss` (bisection; 0 for loss >= normalLoss(0)). */
export function inverseNormalLoss(loss: number): number {
  if (loss >= normalLoss(0)) return 0;
  let lo = 0;
  let hi = 8;
  for (let i = 0; i < 60; i += 1) {
    const mid = (lo + hi) / 2;
    if (normalLoss(mid) > loss) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The share of requests a capacity may leave unserved in time: the complement of the 99% attainment aim. */
export const MISS_BUDGET = 0.01;

/** The headroom the planner sizes with, and what it came from. */
export interface Headroom {
  readonly headroom: number;
  /** Coefficient of variation of the per-minute arrival counts (undefined with fewer than two counts). */
  readonly spread: number | undefined;
  readonly z: number;
}

/**
 * Headroom from the spread of the last minutes' arrivals. Treat the next minute's demand D as normal with the
 * mean and standard deviation of the recent per-minute counts, and provision C = mean x (1 + z x CV). The
 * demand above C, E[(D - C)+] = sigma x L(z) with L the unit normal loss function, is what cannot be served
 * in time; keeping it within MISS_BUDGET (1%) of the mean demand gives L(z) = 0.01 / CV, so z grows with the
 * spread (CV 0.1: z 0.9, headroom 9%; CV 0.3: z 1.45, 44%). Never below `floor`. A trend (a ramp) shows as
 * spread too, so a growing load is given more room.
 */
export function headroomOf(arrivalCounts: readonly number[], floor: number): Headroom {
  const n = arrivalCounts.length;
  if (n < 2) return { headroom: floor, spread: undefined, z: 0 };
  const mean = arrivalCounts.reduce((a, b) => a + b, 0) / n;
  if (mean <= 0) return { headroom: floor, spread: 0, z: 0 };
  const variance = arrivalCounts.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const cv = Math.sqrt(variance) / mean;
  if (cv <= EPSILON) return { headroom: floor, spread: cv, z: 0 };
  const z = inverseNormalLoss(MISS_BUDGET / cv);
  return { headroom: Math.max(floor, z * cv), spread: cv, z };
}

// ------------------------------------------------------------------------------------------ capacity model

/** The load `demand` puts on a capacity: the sum over the rates it gives of demand / capacity. */
export function loadOn(demand: Demand, capacity: TierCapacity): number {
  let load = 0;
  if (capacity.promptTokensPerS !== undefined) load += demand.promptTokensPerS / capacity.promptTokensPerS;
  if (capacity.outputTokensPerS !== undefined) load += demand.outputTokensPerS / capacity.outputTokensPerS;
  if (capacity.requestsPerS !== undefined) load += demand.arrivalsPerS / capacity.requestsPerS;
  return load;
}

/** A tier's serving capacity as a share of one GPU: the better of its compute and bandwidth shares. */
const servingShare = (tier: GpuTier): number => Math.max(tier.computeFraction, tier.memoryBandwidthFraction);

/**
 * A capacity carried from one tier to another by the catalog's fractions: prompt tokens (prefill, compute
 * bound) by the compute share, output tokens (decode, bandwidth bound) by the bandwidth share, requests by
 * the serving share (the better of the two).
 */
export function scaleCapacity(capacity: TierCapacity, from: GpuTier, to: GpuTier): TierCapacity {
  const by = (ratio: number, value: number | undefined) => (value === undefined ? undefined : value * ratio);
  const prompt = by(to.computeFraction / from.computeFraction, capacity.promptTokensPerS);
  const output = by(to.memoryBandwidthFraction / from.memoryBandwidthFraction, capacity.outputTokensPerS);
  const requests = by(servingShare(to) / servingShare(from), capacity.requestsPerS);
  return {
    ...(prompt === undefined ? {} : { promptTokensPerS: prompt }),
    ...(output === undefined ? {} : { outputTokensPerS: output }),
    ...(requests === undefined ? {} : { requestsPerS: requests }),
  };
}

/**
 * A tier's capacity before correction: the profile's entry; else the profile's nearest tier on the ladder
 * scaled by the catalog fractions; without a profile, one request per second per whole GPU of serving share
 * (a unit, made real by the learned factor: what the service was seen to serve).
 */
export function priorCapacity(
  catalog: TierCatalog,
  ladder: readonly string[],
  tierName: string,
  profile: SizingProfile | undefined,
): TierCapacity | undefined {
  const tier = catalog.get(tierName);
  if (tier === undefined) return undefined;
  if (profile === undefined) return { requestsPerS: servingShare(tier) };
  const own = profile.tiers[tierName];
  if (own !== undefined) return own;
  const source = nearest(ladder, tierName, (name) => profile.tiers[name] !== undefined && catalog.has(name));
  const from = source === undefined ? undefined : catalog.get(source);
  const entry = source === undefined ? undefined : profile.tiers[source];
  if (from === undefined || entry === undefined) return undefined;
  return scaleCapacity(entry, from, tier);
}

/** The ladder tier nearest to `tierName` (by ladder position; the smaller one on a tie) that passes `test`. */
function nearest(
  ladder: readonly string[],
  tierName: string,
  test: (name: string) => boolean,
): string | undefined {
  const at = ladder.indexOf(tierName);
  if (at < 0) return ladder.find(test);
  for (let d = 1; d < ladder.length; d += 1) {
    const below = ladder[at - d];
    if (below !== undefined && test(below)) return below;
    const above = ladder[at + d];
    if (above !== undefined && test(above)) return above;
  }
  return undefined;
}

/**
 * The correction of a tier: its own learned factor, else the nearest learned tier's (a model that is off on
 * one tier is likely off the same way on the others), else 1 with a profile and unknown without.
 */
export function capacityFactor(
  factors: CapacityFactors,
  ladder: readonly string[],
  tierName: string,
  hasProfile: boolean,
): number | undefined {
  const own = factors[tierName];
  if (own !== undefined) return own;
  const from = nearest(ladder, tierName, (name) => factors[name] !== undefined);
  if (from !== undefined) return factors[from];
  return hasProfile ? 1 : undefined;
}

/** How the model was corrected this tick, and why. */
export interface Correction {
  readonly factors: CapacityFactors;
  /** Undefined when nothing changed. */
  readonly note?: string;
}

/** What the learner sees at a tick on the current tier. */
export interface LearnInput {
  readonly tierName: string;
  readonly replicas: number;
  readonly prior: TierCapacity;
  readonly factors: CapacityFactors;
  readonly ladder: readonly string[];
  readonly hasProfile: boolean;
  readonly reading: DemandReading;
  /** Some SLO metric is past its pressure threshold. */
  readonly pressure: boolean;
  /** Every SLO metric has a value (a tick with a missing metric teaches nothing). */
  readonly complete: boolean;
  /**
   * The configuration has been in place for a whole metric window (the cooldown has passed): before that the
   * window still holds what the previous configuration did.
   */
  readonly settled: boolean;
  /** The planner's dead band (`headroomFloor`). */
  readonly floor: number;
}

/**
 * Corrects the model only when an observation contradicts it, on a configuration settled for a whole metric
 * window and not draining a backlog:
 * - SLO pressure while the model says the replicas have room for the demand: the capacity is at most the
 *   demand per replica; the factor drops to where the model puts the replicas at their limit, by at most half
 *   per tick (a transient is not taken for the truth at once);
 * - no pressure while the replicas processed more than the model says they can: the capacity is at least
 *   that; the factor rises to it;
 * - without a profile and nothing learned yet, the first pressure makes the factor what the replicas
 *   processed: "what the service has been observed to serve".
 */
export function correctCapacity(input: LearnInput): Correction {
  const { tierName, replicas, prior, factors, reading, pressure, complete } = input;
  if (!complete || !input.settled || replicas <= 0) return { factors };
  // Finishing more than arrives: a backlog is draining, and its queueing is no sign of a wrong model.
  const draining = reading.processed.arrivalsPerS > reading.demand.arrivalsPerS * (1 + input.floor) + EPSILON;
  if (pressure && draining) return { factors };
  const factor = capacityFactor(factors, input.ladder, tierName, input.hasProfile);
  const demandLoad = loadOn(reading.demand, prior) / replicas;
  const processedLoad = loadOn(reading.processed, prior) / replicas;
  const set = (value: number, note: string): Correction =>
    value > EPSILON &&
    (factors[tierName] === undefined || Math.abs(value - (factors[tierName] ?? 0)) > EPSILON)
      ? { factors: { ...factors, [tierName]: value }, note }
      : { factors };
  if (factor === undefined) {
    if (!pressure || processedLoad <= EPSILON) return { factors };
    return set(
      processedLoad,
      `learned ${tierName}: it served ${round(processedLoad)} x the unit capacity per replica under SLO pressure`,
    );
  }
  if (pressure && demandLoad < factor - EPSILON) {
    const next = Math.max(demandLoad, factor / 2);
    return set(
      next,
      `corrected ${tierName} down: SLO pressure at ${pct(demandLoad / factor)} of the modelled capacity (factor ${round(factor)} -> ${round(next)})`,
    );
  }
  if (!pressure && processedLoad > factor + EPSILON) {
    return set(
      processedLoad,
      `corrected ${tierName} up: within the SLOs at ${pct(processedLoad / factor)} of the modelled capacity (factor ${round(factor)} -> ${round(processedLoad)})`,
    );
  }
  return { factors };
}

// --------------------------------------------------------------------------------------------- the target

/** One configuration the planner considered. */
export interface Candidate {
  readonly tier: GpuTier;
  readonly replicas: number;
  /** relativeCost x replicas. */
  readonly cost: number;
  /** Capacity / demand: above 1 + headroom covers the target. Infinity for no demand. */
  readonly coverage: number;
  /** Covers demand x (1 + headroom) within maxReplicas. */
  readonly covers: boolean;
  /** Why it cannot be had now, if so. */
  readonly blocked?: string;
}

/** What the planner needs to search. */
export interface PlanInput {
  readonly catalog: TierCatalog;
  readonly ladder: readonly string[];
  readonly minTier?: string;
  readonly maxTier?: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly current: { readonly tierName: string; readonly replicas: number };
  readonly demand: Demand;
  readonly headroom: number;
  readonly profile: SizingProfile | undefined;
  readonly factors: CapacityFactors;
  readonly capacity: CapacitySnapshot;
  readonly backoffUntilMs?: Readonly<Record<string, number>>;
  readonly nowMs: number;
}

/** The outcome of the search. */
export interface Plan {
  /** The cheapest available configuration that covers the target; else the one with the most capacity. */
  readonly chosen: Candidate | undefined;
  /** The next best available one (another tier), for the message. */
  readonly runnerUp: Candidate | undefined;
  /** Every tier's best configuration, in ladder order. */
  readonly candidates: readonly Candidate[];
  /** The current configuration, as the model sees it. */
  readonly current: Candidate | undefined;
}

/** A configuration's capacity over the demand, by the corrected model (Infinity without demand). */
export function coverageOf(
  input: Pick<PlanInput, 'catalog' | 'ladder' | 'profile' | 'factors' | 'demand'>,
  tierName: string,
  replicas: number,
): number | undefined {
  const prior = priorCapacity(input.catalog, input.ladder, tierName, input.profile);
  const factor = capacityFactor(input.factors, input.ladder, tierName, input.profile !== undefined);
  if (prior === undefined || factor === undefined) return undefined;
  const load = loadOn(input.demand, prior);
  if (load <= EPSILON) return Number.POSITIVE_INFINITY;
  return (replicas * factor) / load;
}

function blockedReason(input: PlanInput, tier: GpuTier, replicas: number): string | undefined {
  const until = input.backoffUntilMs?.[tier.name];
  if (until !== undefined && until > input.nowMs) return `${tier.name} is in back-off`;
  const same = tier.name === input.current.tierName;
  // A tier change runs the new revision's pods beside the old ones (make-before-break): all of them are new.
  const extra = same ? replicas - input.current.replicas : replicas;
  if (extra > 0 && !hasUnitsFor(input.capacity, tier, extra)) {
    return `no free ${tier.resource} for ${extra} more pod(s)`;
  }
  return undefined;
}

/** The tiers the planner may use: the ladder within minTier..maxTier (and the current tier). */
export function allowedTiers(input: Pick<PlanInput, 'ladder' | 'minTier' | 'maxTier'>): readonly string[] {
  const { minIndex, maxIndex } = ladderRange({
    ladder: input.ladder,
    ...(input.minTier === undefined ? {} : { minTier: input.minTier }),
    ...(input.maxTier === undefined ? {} : { maxTier: input.maxTier }),
  });
  return input.ladder.slice(minIndex, maxIndex + 1);
}

/** Cheaper first; on a cost tie the current tier (no migration), then fewer replicas, then the smaller tier. */
function better(input: PlanInput, order: readonly string[]) {
  return (a: Candidate, b: Candidate): number => {
    if (Math.abs(a.cost - b.cost) > EPSILON) return a.cost - b.cost;
    const aHere = a.tier.name === input.current.tierName ? 0 : 1;
    const bHere = b.tier.name === input.current.tierName ? 0 : 1;
    if (aHere !== bHere) return aHere - bHere;
    if (a.replicas !== b.replicas) return a.replicas - b.replicas;
    return order.indexOf(a.tier.name) - order.indexOf(b.tier.name);
  };
}

/**
 * The cheapest configuration, tier and replicas together, whose capacity covers demand x (1 + headroom):
 * for each allowed tier the fewest replicas (at least minReplicas) that cover it, priced at relativeCost x
 * replicas; a tier whose replicas would exceed maxReplicas, that has no free units for its new pods, or that
 * is in back-off is not available. When no available configuration covers the target, the one with the most
 * capacity (the largest replica count that fits on each tier) is chosen, so the service gets all it can.
 */
export function planTarget(input: PlanInput): Plan {
  const tiers = allowedTiers(input);
  const wanted = 1 + input.headroom;
  const candidates: Candidate[] = [];
  const fallbacks: Candidate[] = [];
  for (const name of tiers) {
    const tier = input.catalog.get(name);
    const unit = coverageOf(input, name, 1);
    if (tier === undefined || unit === undefined) continue;
    const needed = Number.isFinite(unit) ? Math.ceil(wanted / unit - EPSILON) : input.minReplicas;
    const replicas = Math.max(input.minReplicas, needed);
    const make = (n: number): Candidate => {
      const blocked =
        n > input.maxReplicas
          ? `needs ${n} replicas, above maxReplicas ${input.maxReplicas}`
          : blockedReason(input, tier, n);
      return {
        tier,
        replicas: n,
        cost: tier.relativeCost * n,
        coverage: unit * n,
        covers: unit * n >= wanted - EPSILON,
        ...(blocked === undefined ? {} : { blocked }),
      };
    };
    const candidate = make(replicas);
    candidates.push(candidate);
    if (candidate.blocked !== undefined) {
      // The most this tier can give now: the largest replica count that fits (and is allowed).
      for (let n = Math.min(replicas - 1, input.maxReplicas); n >= input.minReplicas; n -= 1) {
        const smaller = make(n);
        if (smaller.blocked === undefined) {
          fallbacks.push(smaller);
          break;
        }
      }
    }
  }
  const order = tiers;
  const available = candidates.filter((c) => c.blocked === undefined).sort(better(input, order));
  const currentCoverage = coverageOf(input, input.current.tierName, input.current.replicas);
  const currentTier = input.catalog.get(input.current.tierName);
  const current =
    currentTier === undefined || currentCoverage === undefined
      ? undefined
      : {
          tier: currentTier,
          replicas: input.current.replicas,
          cost: currentTier.relativeCost * input.current.replicas,
          coverage: currentCoverage,
          covers: currentCoverage >= wanted - EPSILON,
        };
  const first = available[0];
  if (first !== undefined) {
    // The runner-up: the best other available tier, else the cheapest other tier and why it is not available.
    const blocked = candidates.filter((c) => c.blocked !== undefined).sort(better(input, order));
    const runnerUp =
      available.find((c) => c.tier.name !== first.tier.name) ??
      blocked.find((c) => c.tier.name !== first.tier.name);
    return { chosen: first, runnerUp, candidates, current };
  }
  const most = [...fallbacks].sort((a, b) => b.coverage - a.coverage || a.cost - b.cost);
  return {
    chosen: most[0],
    runnerUp: most.find((c) => c.tier.name !== most[0]?.tier.name),
    candidates,
    current,
  };
}

/** A recommendation's cost, for the windows (relativeCost x replicas; unknown tiers cost nothing). */
export function costOf(catalog: TierCatalog, rec: Pick<Recommendation, 'tier' | 'replicas'>): number {
  return (catalog.get(rec.tier)?.relativeCost ?? 0) * rec.replicas;
}

// ----------------------------------------------------------------------------------------------- messages

const round = (value: number): number => Math.round(value * 1000) / 1000;
const pct = (ratio: number): string => `${Math.round(ratio * 100)}%`;
const rate = (value: number): string =>
  value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);

/** `12.3 req/s (4100 prompt + 820 output tok/s)`. */
export function describeDemand(demand: Demand): string {
  return `${rate(demand.arrivalsPerS)} req/s (${rate(demand.promptTokensPerS)} prompt + ${rate(demand.outputTokensPerS)} output tok/s)`;
}

/** `2 x mig-3g.40gb (cost 1, capacity 1.35x demand)`. */
export function describeCandidate(c: Candidate): string {
  const coverage = Number.isFinite(c.coverage) ? `${c.coverage.toFixed(2)}x demand` : 'no demand';
  return `${c.replicas} x ${c.tier.name} (cost ${round(c.cost)}, capacity ${coverage})`;
}

/** Why the runner-up lost to the chosen configuration. */
export function whyRunnerUpLost(
  chosen: Candidate,
  runnerUp: Candidate | undefined,
  currentTier: string,
): string {
  if (runnerUp === undefined) return 'no other tier is available';
  if (runnerUp.blocked !== undefined) return runnerUp.blocked;
  if (runnerUp.cost > chosen.cost + EPSILON)
    return `it costs ${round(runnerUp.cost)} > ${round(chosen.cost)}`;
  if (!runnerUp.covers && chosen.coverage > runnerUp.coverage) return 'it has less capacity';
  if (chosen.tier.name === currentTier && runnerUp.tier.name !== currentTier)
    return 'same cost, and no migration';
  if (runnerUp.replicas > chosen.replicas) return 'same cost, more replicas';
  return 'same cost, larger tier';
}

/** The planner's part of a decision message: demand, headroom, the chosen configuration and the runner-up. */
export function describePlan(plan: Plan, demand: Demand, headroom: Headroom, currentTier: string): string {
  const spread =
    headroom.spread === undefined
      ? 'floor; too few minutes of arrivals for a spread'
      : headroom.headroom > headroom.z * headroom.spread + EPSILON
        ? `floor; arrivals spread ${pct(headroom.spread)}`
        : `arrivals spread ${pct(headroom.spread)}, z ${headroom.z.toFixed(2)}`;
  const chosen = plan.chosen;
  const target =
    chosen === undefined
      ? 'no configuration is available'
      : `${chosen.covers ? 'target' : 'best available (does not cover the target)'} ${describeCandidate(chosen)}; runner-up ${
          plan.runnerUp === undefined ? 'none' : describeCandidate(plan.runnerUp)
        }, lost: ${whyRunnerUpLost(chosen, plan.runnerUp, currentTier)}`;
  return `demand ${describeDemand(demand)}, headroom ${pct(headroom.headroom)} (${spread}); ${target}`;
}
