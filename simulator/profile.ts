import type { SizingProfile, TierCapacity } from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import {
  ReplicaEngine,
  maxArrivalRatePerS,
  seededRandom,
  tierPerformance,
  type InferenceRequest,
  type LlmModel,
  type TierPerformance,
} from '../service-model/index.js';
import { meetsSlo, ttftTargetMs, type SloTargets } from './slo.js';

/**
 * Profiling: what a user does once per model with a serving benchmark (vLLM's `benchmark_serving`, fixed
 * input and output lengths, Poisson arrivals), here on the service model's discrete engine (MODEL.md: "use
 * the engine when the numbers matter"; the closed-form steady state is only within a factor of two). Per tier
 * and reference mix, the highest arrival rate at which one replica keeps 99% of the requests within the SLOs;
 * then the two rates give one replica's prompt and output token capacity.
 */

/** A fixed-size request mix of a serving benchmark. */
export interface ReferenceMix {
  readonly name: string;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/**
 * The two reference mixes. They bracket the request shapes of LLM serving so that the sizing planner
 * interpolates between them: decode-heavy is a chat turn with a long answer (output tokens cost 2.5x the
 * prompt's, so the rate it reaches is set by decode: bandwidth and KV cache); prefill-heavy is a RAG or
 * summarisation request (4,000-token context, a 50-token answer: set by prefill compute). 4,000 + 50 tokens
 * still leave room for two requests in the smallest default tier's KV cache (~10k tokens on mig-1g.10gb), so
 * every ladder tier can be profiled with both.
 */
export const REFERENCE_MIXES: readonly [ReferenceMix, ReferenceMix] = [
  { name: 'decode-heavy', promptTokens: 200, outputTokens: 500 },
  { name: 'prefill-heavy', promptTokens: 4000, outputTokens: 50 },
];

/** How the benchmark runs. */
export interface ProfileOptions {
  readonly mixes?: readonly [ReferenceMix, ReferenceMix];
  /** Length of one benchmark run (Poisson arrivals over this time, then the backlog drains). */
  readonly durationMs?: number;
  /** At least this many requests per run (longer than `durationMs` at low rates), so 1% is 10 requests. */
  readonly minRequests?: number;
  /** Share of requests that must meet the SLOs: the attainment aim. */
  readonly targetAttainment?: number;
  /** The rate search stops when its bracket is this narrow, relative. */
  readonly relativePrecision?: number;
  readonly seed?: number;
  /** The profile's name (the key under `_profiles`). */
  readonly name?: string;
}

/**
 * Defaults: 5-minute runs (the planner's window of interest) of at least 1,000 requests (vLLM's
 * `benchmark_serving` default `--num-prompts`), 99% attainment, rates within 1%.
 */
export const PROFILE_DEFAULTS = {
  mixes: REFERENCE_MIXES,
  durationMs: 300_000,
  minRequests: 1000,
  targetAttainment: 0.99,
  relativePrecision: 0.01,
  seed: 1,
} as const;

/** One tier's measurements and the capacity solved from them. */
export interface TierProfile {
  readonly tier: string;
  /** Highest arrival rate meeting the target, req/s, per mix (in the order of the mixes). */
  readonly ratesPerS: readonly [number, number];
  readonly capacity: Required<Pick<TierCapacity, 'promptTokensPerS' | 'outputTokensPerS'>>;
}

/** The profile and what it came from. */
export interface ProfileResult {
  readonly profile: SizingProfile;
  readonly tiers: readonly TierProfile[];
  readonly mixes: readonly [ReferenceMix, ReferenceMix];
}

/** A profiling failure: the tier, and why (the model does not fit, no rate meets the SLOs, a degenerate fit). */
export class ProfileError extends Error {
  constructor(
    readonly tier: string,
    message: string,
  ) {
    super(`profile of tier ${tier}: ${message}`);
    this.name = 'ProfileError';
  }
}

/** Unit-rate Poisson arrival offsets (seconds) over `count` requests: scaled by 1/rate for each probe. */
function unitArrivals(count: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(count);
  let t = 0;
  for (let i = 0; i < count; i += 1) {
    t += -Math.log(Math.max(random(), Number.EPSILON));
    out[i] = t;
  }
  return out;
}

/**
 * Share of a benchmark run's requests that met the SLOs on one fresh replica at `ratePerS`. The same unit
 * arrivals are stretched for every rate (common random numbers), so attainment falls with the rate as it does
 * in expectation, and the search below is a plain bisection.
 */
export function benchmarkAttainment(
  perf: TierPerformance,
  mix: ReferenceMix,
  ratePerS: number,
  slo: SloTargets,
  run: { readonly durationMs: number; readonly minRequests: number; readonly seed: number },
): number {
  const count = Math.max(run.minRequests, Math.ceil((ratePerS * run.durationMs) / 1000));
  const unit = unitArrivals(count, run.seed);
  const engine = new ReplicaEngine(perf, 0);
  let met = 0;
  const collect = (toMs: number): void => {
    for (const c of engine.advance(toMs)) {
      if (c.outcome === 'served' && meetsSlo(slo, c.request.promptTokens, c.ttftMs, c.tpotMs)) met += 1;
    }
  };
  for (let i = 0; i < count; i += 1) {
    const request: InferenceRequest = {
      id: i,
      arrivalMs: ((unit[i] as number) * 1000) / ratePerS,
      promptTokens: mix.promptTokens,
      outputTokens: mix.outputTokens,
    };
    collect(request.arrivalMs);
    engine.admit(request);
  }
  collect(Number.MAX_SAFE_INTEGER);
  return met / count;
}

/** Below this rate (a request every ~17 minutes) a tier counts as unable to serve the mix. */
const MIN_RATE_PER_S = 0.001;

/** The highest rate (req/s) at which one replica meets the target for `mix`; 0 when even a trickle fails. */
export function maxSustainableRatePerS(
  perf: TierPerformance,
  mix: ReferenceMix,
  slo: SloTargets,
  options: Required<Omit<ProfileOptions, 'mixes' | 'name'>>,
): number {
  const meets = (rate: number): boolean =>
    benchmarkAttainment(perf, mix, rate, slo, options) >= options.targetAttainment;
  // A bracket around the closed-form estimate (steady-state.ts, within a factor of two of the engine), widened
  // by 25% a step: every probe runs near the answer, where a run is cheapest per request (batched).
  const estimate = maxArrivalRatePerS(perf, mix.promptTokens, mix.outputTokens, {
    tpotMs: slo.tpotMs,
    ttftMs: ttftTargetMs(slo, mix.promptTokens),
  });
  const step = 1.25;
  let lo: number;
  let hi: number;
  const start = Math.max(estimate, MIN_RATE_PER_S);
  if (meets(start)) {
    lo = start;
    hi = start * step;
    while (meets(hi)) {
      lo = hi;
      hi *= step;
      if (hi > 1e5) throw new Error(`bug: ${perf.tierName} meets the SLOs at ${hi} req/s of ${mix.name}`);
    }
  } else {
    hi = start;
    lo = start / step;
    while (!meets(lo)) {
      hi = lo;
      lo /= step;
      if (lo < MIN_RATE_PER_S) return 0;
    }
  }
  while ((hi - lo) / lo > options.relativePrecision) {
    const mid = (lo + hi) / 2;
    if (meets(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Solves rate_i x (prompt_i / P + output_i / D) = 1 for the two mixes: one replica is full when the
 * prompt and output tokens it is sent, each over its own capacity, add up to 1. Throws a ProfileError when
 * the mixes are not independent or a capacity comes out non-positive (the two measurements contradict the
 * additive model: the mixes should then be moved further apart).
 */
export function solveTokenCapacity(
  tier: string,
  mixes: readonly [ReferenceMix, ReferenceMix],
  ratesPerS: readonly [number, number],
): TierProfile['capacity'] {
  const [m1, m2] = mixes;
  const [r1, r2] = ratesPerS;
  // x = 1/P, y = 1/D:  a1 x + b1 y = 1,  a2 x + b2 y = 1, with a = rate x prompt, b = rate x output.
  const a1 = r1 * m1.promptTokens;
  const b1 = r1 * m1.outputTokens;
  const a2 = r2 * m2.promptTokens;
  const b2 = r2 * m2.outputTokens;
  const det = a1 * b2 - a2 * b1;
  const scale = Math.abs(a1 * b2) + Math.abs(a2 * b1);
  if (!(r1 > 0 && r2 > 0)) {
    throw new ProfileError(
      tier,
      `no arrival rate meets the SLOs (${m1.name}: ${r1} req/s, ${m2.name}: ${r2} req/s)`,
    );
  }
  if (!(Math.abs(det) > 1e-6 * scale)) {
    throw new ProfileError(
      tier,
      `the mixes ${m1.name} (${m1.promptTokens}/${m1.outputTokens}) and ${m2.name} (${m2.promptTokens}/${m2.outputTokens}) have the same prompt/output ratio: they cannot separate prompt from output capacity`,
    );
  }
  const x = (b2 - b1) / det;
  const y = (a1 - a2) / det;
  if (!(x > 0 && y > 0)) {
    throw new ProfileError(
      tier,
      `${m1.name} at ${r1.toFixed(3)} req/s and ${m2.name} at ${r2.toFixed(3)} req/s give ${
        x > 0 ? 'no positive output' : 'no positive prompt'
      } token capacity (1/P = ${x.toExponential(3)}, 1/D = ${y.toExponential(3)}): the measurements contradict the additive load model; choose mixes further apart`,
    );
  }
  return { promptTokensPerS: 1 / x, outputTokensPerS: 1 / y };
}

/**
 * Benchmarks each tier once on the service model and returns the sizing profile a user would write under the
 * ConfigMap key `_profiles`: per tier the prompt and output tokens per second one replica sustains within
 * the SLOs. Pure and deterministic for its inputs. Throws a ProfileError naming the tier when a tier is not
 * in the catalog, cannot hold the model, or cannot be profiled.
 */
export function profileOf(
  catalog: TierCatalog,
  model: LlmModel,
  slo: SloTargets,
  tierNames: readonly string[],
  options: ProfileOptions = {},
): ProfileResult {
  const mixes = options.mixes ?? PROFILE_DEFAULTS.mixes;
  const run = {
    durationMs: options.durationMs ?? PROFILE_DEFAULTS.durationMs,
    minRequests: options.minRequests ?? PROFILE_DEFAULTS.minRequests,
    targetAttainment: options.targetAttainment ?? PROFILE_DEFAULTS.targetAttainment,
    relativePrecision: options.relativePrecision ?? PROFILE_DEFAULTS.relativePrecision,
    seed: options.seed ?? PROFILE_DEFAULTS.seed,
  };
  const tiers: TierProfile[] = [];
  for (const name of new Set(tierNames)) {
    const tier = catalog.get(name);
    if (tier === undefined) throw new ProfileError(name, 'not in the tier catalog');
    const perf = tierPerformance(tier, model);
    if (!perf.ok) throw new ProfileError(name, perf.message);
    const ratesPerS: [number, number] = [
      maxSustainableRatePerS(perf.performance, mixes[0], slo, run),
      maxSustainableRatePerS(perf.performance, mixes[1], slo, run),
    ];
    tiers.push({ tier: name, ratesPerS, capacity: solveTokenCapacity(name, mixes, ratesPerS) });
  }
  return {
    profile: {
      name: options.name ?? model.name,
      tiers: Object.fromEntries(tiers.map((t) => [t.tier, t.capacity])),
    },
    tiers,
    mixes,
  };
}

/** Rounds to three significant digits (a benchmark is not more precise than that). */
function significant(value: number): number {
  return Number(value.toPrecision(3));
}

/**
 * The profile as YAML for the ConfigMap key `_profiles`:
 * `<name>:\n  <tier>: {promptTokensPerS: N, outputTokensPerS: N}`, one tier a line, in the given order.
 */
export function profileYaml(profile: SizingProfile): string {
  const lines = [`${profile.name}:`];
  for (const [tier, c] of Object.entries(profile.tiers)) {
    const fields = [
      c.promptTokensPerS === undefined ? '' : `promptTokensPerS: ${significant(c.promptTokensPerS)}`,
      c.outputTokensPerS === undefined ? '' : `outputTokensPerS: ${significant(c.outputTokensPerS)}`,
      c.requestsPerS === undefined ? '' : `requestsPerS: ${significant(c.requestsPerS)}`,
    ].filter((f) => f !== '');
    lines.push(`  ${tier}: {${fields.join(', ')}}`);
  }
  return lines.join('\n') + '\n';
}
