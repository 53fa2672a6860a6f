import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, tierPerformance } from '../service-model/index.js';
import {
  ProfileError,
  REFERENCE_MIXES,
  benchmarkAttainment,
  profileOf,
  profileYaml,
  solveTokenCapacity,
} from './profile.js';
import { DEFAULT_SLO } from './slo.js';

// Shorter runs than the defaults keep the test quick; the properties do not depend on the run length.
const OPTIONS = { durationMs: 120_000, minRequests: 400, relativePrecision: 0.02 } as const;
const TIERS = ['mig-1g.10gb', 'mig-3g.40gb', 'mig-7g.80gb'] as const;
const result = profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, TIERS, OPTIONS);
const capacityOf = (tier: string) => result.profile.tiers[tier] ?? {};

describe('profileOf', () => {
  it('names the profile after the model and holds prompt and output capacity for every tier asked', () => {
    expect(result.profile.name).toBe(DEFAULT_MODEL.name);
    expect(Object.keys(result.profile.tiers)).toEqual([...TIERS]);
    for (const tier of TIERS) {
      expect(capacityOf(tier).promptTokensPerS).toBeGreaterThan(0);
      expect(capacityOf(tier).outputTokensPerS).toBeGreaterThan(0);
    }
  });

  it.each(TIERS)('puts each reference mix at its profiled rate at a load of exactly 1 on %s', (tier) => {
    const t = result.tiers.find((x) => x.tier === tier);
    const c = capacityOf(tier);
    REFERENCE_MIXES.forEach((mix, i) => {
      const rate = t?.ratesPerS[i] ?? Number.NaN;
      const load =
        (rate * mix.promptTokens) / (c.promptTokensPerS ?? Number.NaN) +
        (rate * mix.outputTokens) / (c.outputTokensPerS ?? Number.NaN);
      expect(load).toBeCloseTo(1, 9);
    });
  });

  const bigger = [
    { small: 'mig-1g.10gb', big: 'mig-3g.40gb' },
    { small: 'mig-3g.40gb', big: 'mig-7g.80gb' },
  ];
  it.each(bigger)('gives $big more capacity than $small, for both mixes', ({ small, big }) => {
    const rates = (tier: string) => result.tiers.find((x) => x.tier === tier)?.ratesPerS ?? [0, 0];
    expect(rates(big)[0]).toBeGreaterThan(rates(small)[0]);
    expect(rates(big)[1]).toBeGreaterThan(rates(small)[1]);
    expect(capacityOf(big).promptTokensPerS).toBeGreaterThan(capacityOf(small).promptTokensPerS ?? Infinity);
    expect(capacityOf(big).outputTokensPerS).toBeGreaterThan(capacityOf(small).outputTokensPerS ?? Infinity);
  });

  it('finds the highest rate meeting 99%: just above it, the benchmark misses', () => {
    const perf = tierPerformance(DEFAULT_CATALOG.get('mig-3g.40gb')!, DEFAULT_MODEL);
    if (!perf.ok) throw new Error(perf.message);
    const t = result.tiers.find((x) => x.tier === 'mig-3g.40gb');
    REFERENCE_MIXES.forEach((mix, i) => {
      const rate = t?.ratesPerS[i] ?? 0;
      const run = { durationMs: OPTIONS.durationMs, minRequests: OPTIONS.minRequests, seed: 1 };
      expect(benchmarkAttainment(perf.performance, mix, rate, DEFAULT_SLO, run)).toBeGreaterThanOrEqual(0.99);
      expect(benchmarkAttainment(perf.performance, mix, rate * 1.05, DEFAULT_SLO, run)).toBeLessThan(0.99);
    });
  });

  it('is deterministic', () => {
    expect(profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, ['mig-1g.10gb'], OPTIONS).profile).toEqual({
      name: DEFAULT_MODEL.name,
      tiers: { 'mig-1g.10gb': capacityOf('mig-1g.10gb') },
    });
  });

  const failures = [
    {
      name: 'a tier not in the catalog',
      tier: 'mig-9g.99gb',
      message: 'profile of tier mig-9g.99gb: not in the tier catalog',
    },
    {
      name: 'a tier the model does not fit',
      tier: 'mig-1g.5gb',
      message: 'profile of tier mig-1g.5gb: tier mig-1g.5gb (5 GB)',
    },
  ];
  it.each(failures)('throws a ProfileError naming $name', ({ tier, message }) => {
    expect(() => profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, [tier], OPTIONS)).toThrow(
      ProfileError,
    );
    expect(() => profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, [tier], OPTIONS)).toThrow(message);
  });
});

describe('solveTokenCapacity', () => {
  const mixes = REFERENCE_MIXES;
  const cases = [
    {
      // Hand-solved: P = 10,000 and D = 2,000 give rates 1 / (200/P + 500/D) = 1/0.27 and 1 / (4000/P + 50/D) = 1/0.425.
      name: 'recovers a known capacity',
      rates: [1 / 0.27, 1 / 0.425] as const,
      expected: { promptTokensPerS: 10_000, outputTokensPerS: 2_000 },
    },
  ];
  it.each(cases)('$name', ({ rates, expected }) => {
    const c = solveTokenCapacity('t', mixes, rates);
    expect(c.promptTokensPerS).toBeCloseTo(expected.promptTokensPerS, 6);
    expect(c.outputTokensPerS).toBeCloseTo(expected.outputTokensPerS, 6);
  });

  const degenerate = [
    {
      name: 'mixes of the same shape',
      mixes: [mixes[0], { ...mixes[0], name: 'twice', promptTokens: 400, outputTokens: 1000 }] as const,
      rates: [2, 1] as const,
      message: 'have the same prompt/output ratio',
    },
    {
      // The prefill-heavy mix faster than its prompt tokens allow by the decode-heavy one: 1/P < 0.
      name: 'measurements that contradict the additive model',
      mixes,
      rates: [1, 100] as const,
      message: 'contradict the additive load model',
    },
    { name: 'a rate of zero', mixes, rates: [0, 1] as const, message: 'no arrival rate meets the SLOs' },
  ];
  it.each(degenerate)('rejects $name with a clear error', ({ mixes: m, rates, message }) => {
    expect(() => solveTokenCapacity('mig-2g.20gb', m, rates)).toThrow(`profile of tier mig-2g.20gb: `);
    expect(() => solveTokenCapacity('mig-2g.20gb', m, rates)).toThrow(message);
  });
});

describe('profileYaml', () => {
  it('prints the _profiles value: the profile name, then one tier a line, three significant digits', () => {
    expect(
      profileYaml({
        name: 'llama',
        tiers: {
          'mig-1g.10gb': { promptTokensPerS: 500.67, outputTokensPerS: 318.5 },
          'mig-7g.80gb': { promptTokensPerS: 37208.7, outputTokensPerS: 29073 },
        },
      }),
    ).toBe(
      'llama:\n  mig-1g.10gb: {promptTokensPerS: 501, outputTokensPerS: 319}\n  mig-7g.80gb: {promptTokensPerS: 37200, outputTokensPerS: 29100}\n',
    );
  });
});
