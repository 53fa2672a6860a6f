import type { GpuTier } from '../gpu-registry/index.js';
import {
  DEFAULT_MODEL,
  ReplicaEngine,
  kvBytesPerToken,
  parseModel,
  steadyState,
  tierPerformance,
  type CompletedRequest,
  type InferenceRequest,
  type TierPerformance,
} from './index.js';

const tier = (
  name: string,
  computeFraction: number,
  memoryGb: number,
  memoryBandwidthFraction: number,
  gpuModel = 'H100-80GB',
): GpuTier => ({
  name,
  resource: `nvidia.com/${name}`,
  unitsPerPod: 1,
  kind: name.startsWith('mig') ? 'mig' : 'gpu',
  computeFraction,
  memoryGb,
  memoryBandwidthFraction,
  relativeCost: computeFraction,
  gpuModel,
});

const TIERS = {
  mig1g: tier('mig-1g.10gb', 1 / 7, 10, 1 / 8),
  mig3g: tier('mig-3g.40gb', 3 / 7, 40, 4 / 8),
  gpu: tier('gpu', 1, 80, 1),
  a100small: tier('mig-1g.5gb', 1 / 7, 5, 1 / 8, 'A100-40GB'),
};

function perfOf(t: GpuTier): TierPerformance {
  const r = tierPerformance(t, DEFAULT_MODEL);
  if (!r.ok) throw new Error(r.message);
  return r.performance;
}

/** Evenly spaced arrivals, identical requests. */
function uniformLoad(ratePerS: number, seconds: number, prompt: number, output: number): InferenceRequest[] {
  const n = Math.round(ratePerS * seconds);
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    arrivalMs: (i * 1000) / ratePerS,
    promptTokens: prompt,
    outputTokens: output,
  }));
}

function run(perf: TierPerformance, requests: readonly InferenceRequest[]): CompletedRequest[] {
  const engine = new ReplicaEngine(perf, 0);
  const out: CompletedRequest[] = [];
  for (const r of requests) {
    out.push(...engine.advance(r.arrivalMs));
    engine.admit(r);
  }
  out.push(...engine.advance(Number.MAX_SAFE_INTEGER));
  return out;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const served = (out: readonly CompletedRequest[]) => out.flatMap((c) => (c.outcome === 'served' ? [c] : []));

describe('model parameters', () => {
  it('KV bytes per token of a Llama-3-8B-like GQA model in FP8 is 2 x 32 x 8 x 128 x 1', () => {
    expect(kvBytesPerToken(DEFAULT_MODEL)).toBe(65536);
  });

  const cases: ReadonlyArray<{ name: string; data: unknown; ok: boolean; message?: RegExp }> = [
    { name: 'absent model is the default', data: undefined, ok: true },
    { name: 'partial model merges with defaults', data: { mfu: 0.5 }, ok: true },
    { name: 'mfu above 1', data: { mfu: 2 }, ok: false, message: /model\.mfu = 2/ },
    { name: 'unknown field', data: { mfuu: 0.5 }, ok: false, message: /mfuu/ },
    { name: 'not an object', data: 'big', ok: false, message: /model = "big": must be an object/ },
  ];
  it.each(cases)('parseModel: $name', ({ data, ok, message }) => {
    const r = parseModel(data);
    expect(r.ok).toBe(ok);
    if (!r.ok && message) expect(r.message).toMatch(message);
  });
});

describe('tier performance', () => {
  it('a tier too small for the weights is refused with a reason', () => {
    const r = tierPerformance(TIERS.a100small, DEFAULT_MODEL);
    expect(r).toMatchObject({ ok: false, reason: 'modelDoesNotFit' });
  });
  it('an unknown GPU model is refused with its name', () => {
    const r = tierPerformance({ ...TIERS.gpu, gpuModel: 'B200' }, DEFAULT_MODEL);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('"B200"');
  });
  it('mig-1g.10gb holds the 8 GB FP8 weights with a small KV budget', () => {
    const small = perfOf(TIERS.mig1g);
    expect(small.kvCapacityTokens).toBeGreaterThan(4000);
    expect(small.kvCapacityTokens).toBeLessThan(20000);
    expect(perfOf(TIERS.gpu).kvCapacityTokens).toBeGreaterThan(900000);
  });
  it('an idle full H100 decodes at 5-8 ms per token, a 1g slice several times slower', () => {
    const full = steadyState(perfOf(TIERS.gpu), {
      arrivalRatePerS: 0,
      meanPromptTokens: 500,
      meanOutputTokens: 200,
    });
    const slice = steadyState(perfOf(TIERS.mig1g), {
      arrivalRatePerS: 0,
      meanPromptTokens: 500,
      meanOutputTokens: 200,
    });
    expect(full.tpotMs).toBeGreaterThan(5);
    expect(full.tpotMs).toBeLessThan(8);
    expect(slice.tpotMs).toBeGreaterThan(4 * full.tpotMs);
  });
});

describe('replica engine', () => {
  it('latency rises with load', () => {
    const perf = perfOf(TIERS.mig3g);
    const tpot = [1, 4, 12].map((rate) =>
      mean(served(run(perf, uniformLoad(rate, 60, 1000, 200))).map((c) => c.tpotMs)),
    );
    expect(tpot[1]).toBeGreaterThan(tpot[0] as number);
    expect(tpot[2]).toBeGreaterThan(tpot[1] as number);
  });

  it('a bigger tier is faster on the same load', () => {
    const load = uniformLoad(2, 60, 1000, 200);
    const results = [TIERS.mig1g, TIERS.mig3g, TIERS.gpu].map((t) => served(run(perfOf(t), load)));
    const tpots = results.map((r) => mean(r.map((c) => c.tpotMs)));
    const ttfts = results.map((r) => mean(r.map((c) => c.ttftMs)));
    expect(tpots[0]).toBeGreaterThan(tpots[1] as number);
    expect(tpots[1]).toBeGreaterThan(tpots[2] as number);
    expect(ttfts[0]).toBeGreaterThan(ttfts[2] as number);
  });

  it('KV-cache exhaustion queues requests instead of running them', () => {
    const perf = perfOf(TIERS.mig1g);
    const engine = new ReplicaEngine(perf, 0);
    const perRequest = 3000;
    const fit = Math.floor(perf.kvCapacityTokens / perRequest);
    for (let i = 0; i < fit + 3; i += 1)
      engine.admit({ id: i, arrivalMs: 0, promptTokens: 100, outputTokens: 2900 });
    engine.advance(1);
    const s = engine.snapshot();
    expect(s.runningRequests).toBe(fit);
    expect(s.queueLength).toBe(3);
    expect(s.kvUsage).toBeGreaterThan(0.5);
    expect(s.kvUsedTokens).toBeLessThanOrEqual(s.kvCapacityTokens);
    const rest = served(engine.advance(10 * 60_000));
    expect(rest).toHaveLength(fit + 3);
    // The three that waited for KV cache show it as queue time; the first ones did not wait.
    const queued = rest.filter((c) => c.request.id >= fit).map((c) => c.queueMs);
    expect(Math.min(...queued)).toBeGreaterThan(1000);
    expect(rest.find((c) => c.request.id === 0)?.queueMs).toBe(0);
    expect(engine.snapshot()).toMatchObject({ queueLength: 0, runningRequests: 0, kvUsedTokens: 0 });
  });

  it('rejects requests that can never fit, with the reason', () => {
    const engine = new ReplicaEngine(perfOf(TIERS.mig1g), 0);
    engine.admit({ id: 1, arrivalMs: 0, promptTokens: 200000, outputTokens: 10 });
    engine.admit({ id: 2, arrivalMs: 0, promptTokens: 60000, outputTokens: 10 });
    const out = engine.advance(1000);
    expect(out.map((c) => (c.outcome === 'rejected' ? c.reason : c.outcome))).toEqual([
      'tooLong',
      'kvTooSmall',
    ]);
  });

  it('is deterministic', () => {
    const load = uniformLoad(5, 30, 800, 150).map((r, i) => ({
      ...r,
      promptTokens: 100 + ((i * 7919) % 3000),
    }));
    const a = run(perfOf(TIERS.mig3g), load);
    const b = run(perfOf(TIERS.mig3g), load);
    expect(a).toEqual(b);
    expect(served(a)).toHaveLength(load.length);
  });

  it('TTFT of a lone request equals its prefill, TPOT its decode step', () => {
    const perf = perfOf(TIERS.gpu);
    const [c] = served(run(perf, [{ id: 0, arrivalMs: 0, promptTokens: 1000, outputTokens: 100 }]));
    const steady = steadyState(perf, { arrivalRatePerS: 0, meanPromptTokens: 1000, meanOutputTokens: 100 });
    expect(c?.ttftMs).toBeCloseTo(steady.stable ? steady.ttftMs : NaN, 3);
    expect(c?.tpotMs).toBeGreaterThan(steady.tpotMs * 0.95);
    expect(c?.tpotMs).toBeLessThan(steady.tpotMs * 1.1);
  });
});

describe('steady state', () => {
  it('tracks the engine within a factor of two at moderate load', () => {
    const perf = perfOf(TIERS.mig3g);
    const sim = served(run(perf, uniformLoad(4, 120, 1000, 200)));
    const est = steadyState(perf, { arrivalRatePerS: 4, meanPromptTokens: 1000, meanOutputTokens: 200 });
    expect(est.stable).toBe(true);
    const simTpot = mean(sim.map((c) => c.tpotMs));
    expect(est.tpotMs / simTpot).toBeGreaterThan(0.5);
    expect(est.tpotMs / simTpot).toBeLessThan(2);
  });
  it('reports overload rather than a number', () => {
    const est = steadyState(perfOf(TIERS.mig1g), {
      arrivalRatePerS: 50,
      meanPromptTokens: 1000,
      meanOutputTokens: 200,
    });
    expect(est).toMatchObject({ stable: false, reason: 'overloaded' });
  });
});
