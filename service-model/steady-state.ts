import { decodeStepMs, isolatedPrefillMs, type TierPerformance } from './tier-performance.js';

/** Mean behaviour of one replica under a steady Poisson load. */
export type SteadyState =
  | {
      readonly stable: true;
      readonly tpotMs: number;
      readonly ttftMs: number;
      /** Requests in the running batch on average. */
      readonly runningRequests: number;
      /** Requests waiting for admission on average. */
      readonly queueLength: number;
      /** Share of time the replica is in an iteration, 0..1. */
      readonly utilisation: number;
      /** Mean KV-cache usage, 0..1. */
      readonly kvUsage: number;
    }
  | {
      readonly stable: false;
      readonly reason: 'overloaded' | 'requestTooLarge';
      readonly message: string;
      /** TPOT at the largest batch the replica can hold (what a saturated replica shows). */
      readonly tpotMs: number;
      readonly utilisation: 1;
    };

/** The load offered to one replica. */
export interface SteadyLoad {
  readonly arrivalRatePerS: number;
  readonly meanPromptTokens: number;
  readonly meanOutputTokens: number;
}

/**
 * Cheap closed-form estimate for real-time use (the emulated workload): a fixed point of
 * batch = rate x output tokens x TPOT (Little's law), with TPOT = decode step(batch) stretched by the
 * share of compute time prefill takes; TTFT = isolated prefill / (1 - load) plus half a step.
 */
export function steadyState(perf: TierPerformance, load: SteadyLoad): SteadyState {
  const { arrivalRatePerS: rate, meanPromptTokens: prompt, meanOutputTokens: output } = load;
  const model = perf.model;
  const seqTokens = prompt + output;
  const idleStepMs = decodeStepMs(perf, 1, prompt);
  const maxBatch = Math.max(
    1,
    Math.min(model.maxRunningRequests, Math.floor(perf.kvCapacityTokens / seqTokens)),
  );
  const saturatedTpotMs = decodeStepMs(perf, maxBatch, prompt + output / 2);
  if (seqTokens > perf.kvCapacityTokens || seqTokens > model.maxContextTokens) {
    return {
      stable: false,
      reason: 'requestTooLarge',
      message: `a ${seqTokens}-token request does not fit ${perf.tierName} (KV ${perf.kvCapacityTokens} tokens)`,
      tpotMs: saturatedTpotMs,
      utilisation: 1,
    };
  }
  const prefillMs = isolatedPrefillMs(perf, prompt);
  if (rate <= 0) {
    return {
      stable: true,
      tpotMs: idleStepMs,
      ttftMs: prefillMs,
      runningRequests: 0,
      queueLength: 0,
      utilisation: 0,
      kvUsage: 0,
    };
  }
  // Prefill compute beyond the per-iteration overhead, per second of wall time.
  const prefillComputeMs = Math.max(
    0,
    prefillMs - model.iterationOverheadMs * Math.ceil(prompt / model.maxBatchedTokens),
  );
  const prefillLoad = (rate * prefillComputeMs) / 1000;
  const overloaded = (message: string): SteadyState => ({
    stable: false,
    reason: 'overloaded',
    message,
    tpotMs: saturatedTpotMs,
    utilisation: 1,
  });
  if (prefillLoad >= 0.95) {
    return overloaded(
      `prefill alone needs ${(prefillLoad * 100).toFixed(0)}% of ${perf.tierName} at ${rate.toFixed(2)} req/s`,
    );
  }
  let batch = rate * ((output * idleStepMs) / 1000);
  let tpotMs = idleStepMs;
  for (let i = 0; i < 200; i += 1) {
    tpotMs = decodeStepMs(perf, Math.max(1, batch), prompt + output / 2) / (1 - prefillLoad);
    const next = (rate * output * tpotMs) / 1000;
    if (Math.abs(next - batch) < 1e-6) break;
    batch = next;
    if (batch > maxBatch) break;
  }
  if (batch > maxBatch) {
    return overloaded(
      `${batch.toFixed(1)} concurrent requests needed, ${perf.tierName} holds ${maxBatch} (${rate.toFixed(2)} req/s)`,
    );
  }
  const occupancy = batch / maxBatch;
  const ttftMs =
    prefillMs / (1 - prefillLoad) +
    tpotMs / 2 +
    (occupancy > 0.9 ? (tpotMs * output * (occupancy - 0.9)) / 0.1 : 0);
  const queueLength = (rate * Math.max(0, ttftMs - prefillMs)) / 1000;
  return {
    stable: true,
    tpotMs,
    ttftMs,
    runningRequests: batch,
    queueLength,
    // M/G/inf: the replica idles only when no request is in flight.
    utilisation: 1 - Math.exp(-(batch + (rate * ttftMs) / 1000)),
    kvUsage: Math.min(1, ((batch + (rate * ttftMs) / 1000) * (prompt + output / 2)) / perf.kvCapacityTokens),
  };
}

/** The highest arrival rate at which the steady state meets both targets (bisection), req/s. */
export function maxArrivalRatePerS(
  perf: TierPerformance,
  meanPromptTokens: number,
  meanOutputTokens: number,
  targets: { readonly tpotMs: number; readonly ttftMs: number },
): number {
  const meets = (rate: number): boolean => {
    const s = steadyState(perf, { arrivalRatePerS: rate, meanPromptTokens, meanOutputTokens });
    return s.stable && s.tpotMs <= targets.tpotMs && s.ttftMs <= targets.ttftMs;
  };
  if (!meets(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (meets(hi) && hi < 1e6) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 40; i += 1) {
    const mid = (lo + hi) / 2;
    if (meets(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
