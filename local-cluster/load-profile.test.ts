import { parseLoadProfile, poissonArrivals, poissonCount, rateAt, seededRandom } from './load-profile.js';

describe('parseLoadProfile', () => {
  const cases: Array<{ name: string; body: unknown; error?: string; kind?: string }> = [
    { name: 'constant', body: { kind: 'constant', requestsPerSecond: 3 }, kind: 'constant' },
    {
      name: 'ramp',
      body: { kind: 'ramp', fromRequestsPerSecond: 1, toRequestsPerSecond: 9, durationSeconds: 60 },
      kind: 'ramp',
    },
    {
      name: 'step',
      body: { kind: 'step', steps: [{ afterSeconds: 10, requestsPerSecond: 2 }] },
      kind: 'step',
    },
    {
      name: 'trace',
      body: { kind: 'trace', file: '/work/shared/traces/azure-llm-2023-conv.csv', timeScale: 10 },
      kind: 'trace',
    },
    {
      name: 'negative rate',
      body: { kind: 'constant', requestsPerSecond: -1 },
      error: 'load.requestsPerSecond = -1',
    },
    { name: 'unknown kind', body: { kind: 'sine' }, error: 'load.kind = "sine"' },
    {
      name: 'zero ramp duration',
      body: { kind: 'ramp', fromRequestsPerSecond: 1, toRequestsPerSecond: 2, durationSeconds: 0 },
      error: 'load.durationSeconds = 0',
    },
    { name: 'empty steps', body: { kind: 'step', steps: [] }, error: 'load.steps = []' },
    { name: 'unknown field', body: { kind: 'constant', requestsPerSecond: 1, rps: 2 }, error: 'rps' },
    {
      name: 'fractional tokens',
      body: { kind: 'constant', requestsPerSecond: 1, promptTokens: 1.5 },
      error: 'load.promptTokens = 1.5',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const result = parseLoadProfile(c.body);
      if (c.error !== undefined) {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.message).toContain(c.error);
      } else {
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.profile.kind).toBe(c.kind);
      }
    });
  }
});

describe('rateAt', () => {
  const ramp = {
    kind: 'ramp',
    fromRequestsPerSecond: 2,
    toRequestsPerSecond: 10,
    durationSeconds: 40,
    promptTokens: 1,
    outputTokens: 1,
  } as const;
  const step = {
    kind: 'step',
    steps: [
      { afterSeconds: 5, requestsPerSecond: 1 },
      { afterSeconds: 20, requestsPerSecond: 4 },
    ],
    promptTokens: 1,
    outputTokens: 1,
  } as const;
  const cases = [
    {
      name: 'constant',
      profile: { kind: 'constant', requestsPerSecond: 3, promptTokens: 1, outputTokens: 1 } as const,
      at: 100,
      want: 3,
    },
    { name: 'ramp start', profile: ramp, at: 0, want: 2 },
    { name: 'ramp middle', profile: ramp, at: 20, want: 6 },
    { name: 'ramp holds the end', profile: ramp, at: 400, want: 10 },
    { name: 'step before the first', profile: step, at: 1, want: 0 },
    { name: 'step first', profile: step, at: 5, want: 1 },
    { name: 'step second', profile: step, at: 30, want: 4 },
  ];
  for (const c of cases) test(c.name, () => expect(rateAt(c.profile, c.at)).toBeCloseTo(c.want));
});

describe('poisson', () => {
  test('counts average to the mean (small and large means)', () => {
    for (const mean of [0.5, 3, 80]) {
      const random = seededRandom(42);
      let total = 0;
      for (let i = 0; i < 4000; i += 1) total += poissonCount(mean, random);
      expect(total / 4000).toBeGreaterThan(mean * 0.93);
      expect(total / 4000).toBeLessThan(mean * 1.07);
    }
  });
  test('arrivals are sorted and inside the interval; same seed, same arrivals', () => {
    const a = poissonArrivals(50, 1000, 2000, seededRandom(7));
    const b = poissonArrivals(50, 1000, 2000, seededRandom(7));
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(20);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(a.every((t) => t >= 1000 && t < 2000)).toBe(true);
  });
  test('zero rate gives no arrivals', () => expect(poissonArrivals(0, 0, 1000, seededRandom(1))).toEqual([]));
});
