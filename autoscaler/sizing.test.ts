import { DEFAULT_CATALOG, DEFAULT_LADDER, type CapacitySnapshot } from '../gpu-registry/index.js';
import { ARRIVAL_COUNTS } from './config.js';
import {
  SIZING_METRICS,
  capacityFactor,
  correctCapacity,
  demandOf,
  describePlan,
  headroomOf,
  inverseNormalLoss,
  loadOn,
  normalLoss,
  planTarget,
  priorCapacity,
  scaleCapacity,
  type DemandReading,
  type PlanInput,
} from './sizing.js';
import type { Demand, SizingProfile } from './types.js';

const tier = (name: string) => {
  const t = DEFAULT_CATALOG.get(name);
  if (t === undefined) throw new Error(name);
  return t;
};

/** Requests per second one replica sustains: proportional to the tier's size (the same cost per req/s) but 7g, which does better. */
const PROFILE: SizingProfile = {
  name: 'test',
  tiers: {
    'mig-1g.10gb': { requestsPerS: 1 },
    'mig-2g.20gb': { requestsPerS: 2 },
    'mig-3g.40gb': { requestsPerS: 3.5 },
    'mig-4g.40gb': { requestsPerS: 4 },
    'mig-7g.80gb': { requestsPerS: 8 },
  },
};

const counts = (
  arrivals: number,
  completions: number,
  prompt: number,
  output: number,
  older: number[] = [],
) => ({
  [ARRIVAL_COUNTS[0].name]: arrivals,
  ...Object.fromEntries(older.map((c, i) => [ARRIVAL_COUNTS[i + 1]?.name ?? 'x', c])),
  [SIZING_METRICS.completions]: completions,
  [SIZING_METRICS.promptTokens]: prompt,
  [SIZING_METRICS.outputTokens]: output,
});

describe('demandOf', () => {
  const cases = [
    {
      name: 'steady: demand is what was processed, per second',
      metrics: counts(600, 600, 600_000, 120_000),
      want: { arrivalsPerS: 10, promptTokensPerS: 10_000, outputTokensPerS: 2000 },
    },
    {
      name: 'saturated: twice as many arrived as finished, so the token demand is twice what was processed',
      metrics: counts(1200, 600, 600_000, 120_000),
      want: { arrivalsPerS: 20, promptTokensPerS: 20_000, outputTokensPerS: 4000 },
    },
    {
      name: 'nothing finished: the processed token rates stand',
      metrics: counts(60, 0, 6000, 0),
      want: { arrivalsPerS: 1, promptTokensPerS: 100, outputTokensPerS: 0 },
    },
    {
      name: 'a negative arrivals estimate (in flight fell) counts as 0',
      metrics: counts(-5, 10, 600, 60),
      want: { arrivalsPerS: 0, promptTokensPerS: 10, outputTokensPerS: 1 },
    },
  ];
  test.each(cases)('$name', ({ metrics, want }) => {
    const read = demandOf(metrics);
    if (!read.ok) throw new Error(read.missing.join());
    expect(read.reading.demand.arrivalsPerS).toBeCloseTo(want.arrivalsPerS);
    expect(read.reading.demand.promptTokensPerS).toBeCloseTo(want.promptTokensPerS);
    expect(read.reading.demand.outputTokensPerS).toBeCloseTo(want.outputTokensPerS);
  });
  test('missing and NaN counts are named', () => {
    const read = demandOf({ [ARRIVAL_COUNTS[0].name]: 5, [SIZING_METRICS.completions]: Number.NaN });
    expect(read).toEqual({ ok: false, missing: ['completions', 'prompt tokens', 'output tokens'] });
  });
  test('the older arrival counts come along, newest first, missing ones left out', () => {
    const read = demandOf({ ...counts(60, 60, 0, 0), [ARRIVAL_COUNTS[2].name]: 30 });
    expect(read.ok && read.reading.arrivalCounts).toEqual([60, 30]);
  });
});

describe('headroom', () => {
  test.each([
    { z: 0, loss: 0.3989 },
    { z: 0.9, loss: 0.1004 },
    { z: 1.45, loss: 0.0328 },
    { z: 2.33, loss: 0.0034 },
  ])('normal loss at z = $z is $loss, and its inverse gives z back', ({ z, loss }) => {
    expect(normalLoss(z)).toBeCloseTo(loss, 3);
    if (z > 0) expect(inverseNormalLoss(loss)).toBeCloseTo(z, 2);
  });
  const cases = [
    { name: 'one minute only: the floor', arrivals: [600], floor: 0.1, want: 0.1 },
    { name: 'a flat load: the floor', arrivals: [600, 600, 600, 600], floor: 0.1, want: 0.1 },
    {
      name: 'Poisson noise of 10 req/s (CV 4%): under the floor',
      arrivals: [624, 590, 610, 576],
      floor: 0.1,
      want: 0.1,
    },
    // mean 600, sample sd 69.3: CV 0.115, L(z) = 0.01 / 0.115 = 0.087, z = 0.98: 11%, just above the floor.
    { name: 'CV 12%: z x CV = 11%', arrivals: [660, 540, 660, 540], floor: 0.1, want: 0.113 },
    // sd of [780, 420, 780, 420] = 207.8, CV 0.346, L = 0.0289, z = 1.5: 52%.
    { name: 'bursty (CV 35%): about half again', arrivals: [780, 420, 780, 420], floor: 0.1, want: 0.52 },
    { name: 'a floor of 0 lets a flat load go bare', arrivals: [600, 600], floor: 0, want: 0 },
    { name: 'no arrivals at all: the floor', arrivals: [0, 0, 0], floor: 0.1, want: 0.1 },
  ];
  test.each(cases)('$name', ({ arrivals, floor, want }) => {
    expect(headroomOf(arrivals, floor).headroom).toBeCloseTo(want, 2);
  });
  test('the headroom grows with the spread', () => {
    const spreads = [0.05, 0.1, 0.2, 0.4, 0.8].map(
      (cv) => headroomOf([600 * (1 + cv), 600 * (1 - cv)], 0).headroom,
    );
    expect([...spreads].sort((a, b) => a - b)).toEqual(spreads);
  });
});

describe('capacity model', () => {
  test('load is the sum of demand / capacity over the rates given', () => {
    const demand: Demand = { arrivalsPerS: 2, promptTokensPerS: 4000, outputTokensPerS: 450 };
    expect(loadOn(demand, { promptTokensPerS: 8000, outputTokensPerS: 900 })).toBeCloseTo(1);
    expect(loadOn(demand, { requestsPerS: 4 })).toBeCloseTo(0.5);
  });
  test('carried between tiers: prompt by compute, output by bandwidth, requests by the better share', () => {
    const scaled = scaleCapacity(
      { promptTokensPerS: 700, outputTokensPerS: 800, requestsPerS: 1 },
      tier('mig-1g.10gb'),
      tier('mig-3g.40gb'),
    );
    expect(scaled.promptTokensPerS).toBeCloseTo(2100); // 3/7 over 1/7
    expect(scaled.outputTokensPerS).toBeCloseTo(3200); // 4/8 over 1/8
    expect(scaled.requestsPerS).toBeCloseTo(3.5); // 0.5 over 1/7
  });
  const partial: SizingProfile = { name: 'p', tiers: { 'mig-2g.20gb': { requestsPerS: 2 } } };
  test.each([
    { name: 'a profiled tier: its own entry', profile: PROFILE, tierName: 'mig-3g.40gb', want: 3.5 },
    {
      name: 'a tier the profile lacks: the nearest profiled tier scaled',
      profile: partial,
      tierName: 'mig-7g.80gb',
      want: 7,
    },
    {
      name: 'no profile: one request per second per whole GPU of serving share',
      profile: undefined,
      tierName: 'mig-3g.40gb',
      want: 0.5,
    },
  ])('prior: $name', ({ profile, tierName, want }) => {
    expect(priorCapacity(DEFAULT_CATALOG, DEFAULT_LADDER, tierName, profile)?.requestsPerS).toBeCloseTo(want);
  });
  test.each([
    {
      name: 'its own learned factor',
      factors: { 'mig-2g.20gb': 0.8 },
      tierName: 'mig-2g.20gb',
      profile: true,
      want: 0.8,
    },
    {
      name: "the nearest learned tier's",
      factors: { 'mig-1g.10gb': 0.7, 'mig-7g.80gb': 1.3 },
      tierName: 'mig-2g.20gb',
      profile: true,
      want: 0.7,
    },
    {
      name: 'nothing learned, with a profile: 1',
      factors: {},
      tierName: 'mig-2g.20gb',
      profile: true,
      want: 1,
    },
    {
      name: 'nothing learned, no profile: unknown',
      factors: {},
      tierName: 'mig-2g.20gb',
      profile: false,
      want: undefined,
    },
  ])('factor: $name', ({ factors, tierName, profile, want }) => {
    expect(capacityFactor(factors as Record<string, number>, DEFAULT_LADDER, tierName, profile)).toBe(want);
  });
});

describe('correctCapacity', () => {
  const reading = (demandPerS: number, processedPerS: number): DemandReading => ({
    demand: { arrivalsPerS: demandPerS, promptTokensPerS: 0, outputTokensPerS: 0 },
    processed: { arrivalsPerS: processedPerS, promptTokensPerS: 0, outputTokensPerS: 0 },
    arrivalCounts: [],
  });
  const base = {
    tierName: 'mig-2g.20gb',
    replicas: 2,
    prior: { requestsPerS: 2 },
    ladder: DEFAULT_LADDER,
    complete: true,
    settled: true,
    floor: 0.1,
  };
  const cases = [
    {
      name: 'pressure where the model says it fits: down to where the replicas are at their limit',
      input: { ...base, factors: {}, hasProfile: true, reading: reading(3.2, 3.2), pressure: true },
      want: 0.8, // 3.2 req/s over 2 replicas x 2 req/s
    },
    {
      name: 'pressure far below the model: at most halved in one tick',
      input: { ...base, factors: {}, hasProfile: true, reading: reading(1, 1), pressure: true },
      want: 0.5,
    },
    {
      name: 'pressure where the model agrees it is overloaded: nothing to correct',
      input: { ...base, factors: {}, hasProfile: true, reading: reading(5, 4), pressure: true },
      want: undefined,
    },
    {
      name: 'within the SLOs while processing more than the model allows: up to what was processed',
      input: { ...base, factors: {}, hasProfile: true, reading: reading(5, 5), pressure: false },
      want: 1.25,
    },
    {
      name: 'no profile: the first pressure learns what the replicas processed',
      input: { ...base, factors: {}, hasProfile: false, reading: reading(8, 3), pressure: true },
      want: 0.75, // 3 req/s over 2 replicas x a unit of 2 req/s
    },
    {
      name: 'no profile, no pressure: nothing to learn from',
      input: { ...base, factors: {}, hasProfile: false, reading: reading(3, 3), pressure: false },
      want: undefined,
    },
    {
      name: 'a draining backlog (finishing more than arrives) is no sign of a wrong model',
      input: { ...base, factors: {}, hasProfile: true, reading: reading(2, 3), pressure: true },
      want: undefined,
    },
    {
      name: 'a configuration not yet in place for a whole window teaches nothing',
      input: {
        ...base,
        factors: {},
        hasProfile: true,
        reading: reading(1, 1),
        pressure: true,
        settled: false,
      },
      want: undefined,
    },
    {
      name: 'a tick with a metric missing teaches nothing',
      input: {
        ...base,
        factors: {},
        hasProfile: true,
        reading: reading(1, 1),
        pressure: true,
        complete: false,
      },
      want: undefined,
    },
  ];
  test.each(cases)('$name', ({ input, want }) => {
    const out = correctCapacity(input);
    if (want === undefined) expect(out.factors['mig-2g.20gb']).toBeUndefined();
    else expect(out.factors['mig-2g.20gb']).toBeCloseTo(want);
    expect(out.note === undefined).toBe(want === undefined);
  });
});

describe('planTarget', () => {
  const free = (units: Record<string, number>): CapacitySnapshot => ({
    nodes: [
      { name: 'n1', free: Object.fromEntries(Object.entries(units).map(([t, n]) => [tier(t).resource, n])) },
    ],
  });
  const plenty = free(Object.fromEntries(DEFAULT_LADDER.map((t) => [t, 16])));
  const input = (over: Partial<PlanInput>): PlanInput => ({
    catalog: DEFAULT_CATALOG,
    ladder: DEFAULT_LADDER,
    minReplicas: 1,
    maxReplicas: 8,
    current: { tierName: 'mig-1g.10gb', replicas: 1 },
    demand: { arrivalsPerS: 5, promptTokensPerS: 0, outputTokensPerS: 0 },
    headroom: 0.1,
    profile: PROFILE,
    factors: {},
    capacity: plenty,
    nowMs: 0,
    ...over,
  });
  const cases = [
    {
      // 5.5 req/s: 6 x 1g and 3 x 2g both cost 6/7; 3 x 2g has fewer replicas.
      name: 'a cost tie between tiers goes to fewer replicas',
      over: { current: { tierName: 'mig-3g.40gb', replicas: 1 } },
      want: '3 x mig-2g.20gb',
      runnerUp: '6 x mig-1g.10gb',
    },
    {
      name: 'a cost tie goes to the current tier first (no migration)',
      over: { current: { tierName: 'mig-1g.10gb', replicas: 4 } },
      want: '6 x mig-1g.10gb',
      runnerUp: '3 x mig-2g.20gb',
    },
    {
      name: 'from a cold start the whole demand at once: 30 req/s is 5 x 7g (4 x 7g holds 32 < 33)',
      over: { demand: { arrivalsPerS: 30, promptTokensPerS: 0, outputTokensPerS: 0 } },
      want: '5 x mig-7g.80gb',
      runnerUp: '33 x mig-1g.10gb',
    },
    {
      name: 'free capacity limits: no 7g left, so 4g covers',
      over: {
        demand: { arrivalsPerS: 6, promptTokensPerS: 0, outputTokensPerS: 0 },
        capacity: free({
          'mig-1g.10gb': 0,
          'mig-2g.20gb': 0,
          'mig-3g.40gb': 0,
          'mig-4g.40gb': 2,
          'mig-7g.80gb': 0,
        }),
      },
      want: '2 x mig-4g.40gb',
      runnerUp: '7 x mig-1g.10gb',
    },
    {
      name: 'consolidation: 8 x 1g serving 6.5 req/s becomes 1 x 7g',
      over: {
        current: { tierName: 'mig-1g.10gb', replicas: 8 },
        demand: { arrivalsPerS: 6.5, promptTokensPerS: 0, outputTokensPerS: 0 },
        capacity: free({ 'mig-7g.80gb': 1 }),
      },
      want: '1 x mig-7g.80gb',
      runnerUp: '8 x mig-1g.10gb',
    },
    {
      name: 'split: a 7g serving 4.5 req/s becomes 5 x 1g (cost 5/7 < 1)',
      over: {
        current: { tierName: 'mig-7g.80gb', replicas: 1 },
        demand: { arrivalsPerS: 4.5, promptTokensPerS: 0, outputTokensPerS: 0 },
      },
      want: '5 x mig-1g.10gb',
      runnerUp: '3 x mig-2g.20gb',
    },
    {
      name: 'a tier in back-off is passed over',
      over: { backoffUntilMs: { 'mig-2g.20gb': 10 } },
      want: '6 x mig-1g.10gb',
      runnerUp: '1 x mig-7g.80gb',
    },
    {
      name: 'no demand: the cheapest at minReplicas',
      over: {
        current: { tierName: 'mig-7g.80gb', replicas: 2 },
        demand: { arrivalsPerS: 0, promptTokensPerS: 0, outputTokensPerS: 0 },
      },
      want: '1 x mig-1g.10gb',
      runnerUp: '1 x mig-2g.20gb',
    },
    {
      name: 'nothing covers 100 req/s within maxReplicas: the most capacity that fits',
      over: { demand: { arrivalsPerS: 100, promptTokensPerS: 0, outputTokensPerS: 0 } },
      want: '8 x mig-7g.80gb',
      runnerUp: '8 x mig-4g.40gb',
    },
    {
      name: 'maxTier bounds the search',
      over: {
        maxTier: 'mig-2g.20gb',
        demand: { arrivalsPerS: 12, promptTokensPerS: 0, outputTokensPerS: 0 },
      },
      want: '7 x mig-2g.20gb',
      runnerUp: '14 x mig-1g.10gb',
    },
    {
      name: 'a learned factor carries to the other tiers: 2g serves half its profile, so every tier counts half',
      over: {
        factors: { 'mig-2g.20gb': 0.5 },
        demand: { arrivalsPerS: 3, promptTokensPerS: 0, outputTokensPerS: 0 },
      },
      want: '7 x mig-1g.10gb',
      runnerUp: '1 x mig-7g.80gb',
    },
  ];
  const show = (c: { replicas: number; tier: { name: string } } | undefined) =>
    c === undefined ? 'none' : `${c.replicas} x ${c.tier.name}`;
  test.each(cases)('$name', ({ over, want, runnerUp }) => {
    const plan = planTarget(input(over));
    expect(show(plan.chosen)).toBe(want);
    expect(show(plan.runnerUp)).toBe(runnerUp);
  });
  test('the message states demand, headroom, the target, the runner-up and why it lost', () => {
    const i = input({
      current: { tierName: 'mig-3g.40gb', replicas: 1 },
      demand: { arrivalsPerS: 5, promptTokensPerS: 1000, outputTokensPerS: 200 },
    });
    const text = describePlan(planTarget(i), i.demand, headroomOf([300, 300], 0.1), 'mig-3g.40gb');
    expect(text).toBe(
      'demand 5.00 req/s (1000 prompt + 200 output tok/s), headroom 10% (floor; arrivals spread 0%); target 3 x mig-2g.20gb (cost 0.857, capacity 1.20x demand); runner-up 6 x mig-1g.10gb (cost 0.857, capacity 1.20x demand), lost: same cost, more replicas',
    );
  });
});
