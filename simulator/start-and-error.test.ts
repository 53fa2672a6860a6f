import { readFileSync } from 'node:fs';
import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import {
  DEFAULT_MODEL,
  iterationMs,
  tierPerformance,
  type InferenceRequest,
} from '../service-model/index.js';
import { LIGHT_PREFIX, coldStartTrace } from './cold-start.js';
import { DEFAULT_KSISS_CONFIG_URL, parseKsissSimConfig } from './k-siss-config.js';
import { modelErrorProblem, servingModelOf } from './model-error.js';
import { profileOf } from './profile.js';
import { runPoliciesWithContext } from './run.js';
import { DEFAULT_SLO } from './slo.js';
import type { Trace } from './trace.js';

const requests: InferenceRequest[] = Array.from({ length: 240 }, (_, id) => ({
  id: id + 10,
  arrivalMs: id * 1000,
  promptTokens: 500 + ((id * 7919) % 700),
  outputTokens: 80 + (id % 120),
}));
const trace: Trace = { name: 'steady', format: 'mooncake-jsonl', requests, durationMs: 239_000 };

describe('coldStartTrace', () => {
  const cold = coldStartTrace(trace, 3);
  const prefix = cold.requests.filter((r) => r.arrivalMs < LIGHT_PREFIX.durationMs);

  it('puts five minutes of light load (0.2 req/s, 200/20 tokens) before the trace, shifted by 5 minutes', () => {
    expect(prefix.length).toBeGreaterThan(40); // 60 expected; Poisson
    expect(prefix.length).toBeLessThan(85);
    expect(prefix.every((r) => r.promptTokens === 200 && r.outputTokens === 20)).toBe(true);
    expect(cold.requests.slice(prefix.length)).toEqual(
      requests.map((r) => ({ ...r, arrivalMs: r.arrivalMs + 300_000 })),
    );
    expect(cold.durationMs).toBe(trace.durationMs + 300_000);
    expect(cold.name).toBe(trace.name);
  });

  it("gives the prefix ids after the trace's own, in arrival order, and is seeded", () => {
    const ids = cold.requests.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...prefix.map((r) => r.id))).toBe(250);
    const times = cold.requests.map((r) => r.arrivalMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(coldStartTrace(trace, 3)).toEqual(cold);
    expect(coldStartTrace(trace, 4).requests).not.toEqual(cold.requests);
  });
});

describe('servingModelOf (--model-error)', () => {
  const tier = DEFAULT_CATALOG.get('mig-3g.40gb');
  if (tier === undefined) throw new Error('no mig-3g.40gb');
  const perfOf = (factor: number) => {
    const p = tierPerformance(tier, servingModelOf(DEFAULT_MODEL, factor));
    if (!p.ok) throw new Error(p.message);
    return p.performance;
  };
  const work = [
    {
      name: 'a decode step of 64 sequences',
      tokens: 64,
      kvTokensRead: 64 * 1500,
      attentionFlops: 64 * 4 * 32 * 4096 * 1500,
    },
    {
      name: 'a 2,048-token prefill chunk',
      tokens: 2048,
      kvTokensRead: 0,
      attentionFlops: 4 * 32 * 4096 * 2048 * 1024,
    },
  ];
  it.each(work)('makes $name take 1/F of its time, for F = 0.8 and 1.25', (w) => {
    const base = iterationMs(perfOf(1), w);
    for (const f of [0.8, 1.25]) expect(iterationMs(perfOf(f), w)).toBeCloseTo(base / f, 9);
  });

  it('keeps memory, KV cache and batch limits; F = 1 is the model itself', () => {
    expect(perfOf(1.25).kvCapacityTokens).toBe(perfOf(1).kvCapacityTokens);
    expect(servingModelOf(DEFAULT_MODEL, 1)).toBe(DEFAULT_MODEL);
    expect(servingModelOf(DEFAULT_MODEL, 0.8).maxRunningRequests).toBe(DEFAULT_MODEL.maxRunningRequests);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %p', (f) => {
    expect(modelErrorProblem(f)).toBe('must be a finite number > 0');
    expect(() => servingModelOf(DEFAULT_MODEL, f)).toThrow('must be a finite number > 0');
  });
});

describe('runPolicies with a start mode and a model error', () => {
  const parsed = parseKsissSimConfig(readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8'), 'default', DEFAULT_SLO, {
    fillSlo: true,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const ksiss = parsed.value;
  const quick = { durationMs: 60_000, minRequests: 200, relativePrecision: 0.05 };
  const profile = profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, ['mig-1g.10gb'], quick).profile;
  const run = (start: 'warm' | 'cold', modelError: number) =>
    runPoliciesWithContext({
      trace,
      policies: ['k-siss', 'oracle'],
      slo: DEFAULT_SLO,
      seed: 2,
      ksiss,
      start,
      modelError,
      profile,
    });

  it('replays the light prefix on a cold start and starts k-siss at its minimum', () => {
    const cold = run('cold', 1);
    expect(cold.trace.requests.length).toBeGreaterThan(requests.length);
    expect(cold.results[0]?.summary.requests).toBe(cold.trace.requests.length);
    expect(cold.results[0]?.servingTimeline[0]).toEqual({ atMs: 0, tier: 'mig-1g.10gb', readyReplicas: 1 });
    expect(cold.requirements[0]?.startMs).toBe(0);
    expect(cold.requirements[1]?.startMs).toBe(LIGHT_PREFIX.durationMs);
  });

  it('hands k-siss the same profile whatever the model error, and the oracle plans for the true speed', () => {
    const slow = run('warm', 0.8);
    const fast = run('warm', 1.25);
    expect(slow.profile).toBe(profile);
    expect(fast.profile).toBe(profile);
    const need = (r: typeof slow) => r.requirements[0]?.replicasByTier['mig-1g.10gb'] ?? Infinity;
    expect(need(slow)).toBeGreaterThanOrEqual(need(fast));
    expect(slow.results[1]?.summary.gpuHours).toBeGreaterThanOrEqual(
      fast.results[1]?.summary.gpuHours ?? Infinity,
    );
  });

  it('profiles the unscaled model when no profile is given', () => {
    const measured = runPoliciesWithContext({
      trace,
      policies: ['k-siss'],
      slo: DEFAULT_SLO,
      seed: 2,
      ksiss,
      modelError: 1.25,
    });
    expect(measured.profile).toEqual(
      profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, ksiss.config.settings.ladder).profile,
    );
  });
});
