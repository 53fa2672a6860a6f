import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, type InferenceRequest } from '../service-model/index.js';
import { planPolicy, reactionTickMs, reactivePlan, type PlanStep } from './oracle.js';
import { simulate } from './simulate.js';
import { DEFAULT_SLO } from './slo.js';
import { DEFAULT_SIM_TOPOLOGY } from './topology.js';
import type { Trace } from './trace.js';

describe('reactionTickMs: the first control-loop tick at or after one scrape after the change', () => {
  const cases = [
    {
      name: 'a change on a tick, scrape = tick',
      changeMs: 300_000,
      scrapeMs: 15_000,
      tickMs: 15_000,
      expected: 315_000,
    },
    {
      name: 'scrape + change between ticks',
      changeMs: 300_000,
      scrapeMs: 15_000,
      tickMs: 10_000,
      expected: 320_000,
    },
    { name: 'a change between scrapes', changeMs: 7_000, scrapeMs: 15_000, tickMs: 15_000, expected: 30_000 },
    {
      name: 'a slow scrape, a fast loop',
      changeMs: 290_000,
      scrapeMs: 30_000,
      tickMs: 1_000,
      expected: 320_000,
    },
  ];
  it.each(cases)('$name', ({ changeMs, scrapeMs, tickMs, expected }) => {
    expect(reactionTickMs(changeMs, scrapeMs, tickMs)).toBe(expected);
  });
});

// The worked example: the oracle plans 1 x 1g for the first window, 2 x 7g from 300 s and 1 x 7g from 600 s.
const PLAN: PlanStep[] = [
  { startMs: 0, tier: 'mig-1g.10gb', replicas: 1 },
  { startMs: 300_000, tier: 'mig-7g.80gb', replicas: 2 },
  { startMs: 600_000, tier: 'mig-7g.80gb', replicas: 1 },
];

describe('reactivePlan', () => {
  it('moves every change but the start to its reaction tick (15 s scrape, 15 s loop)', () => {
    expect(reactivePlan(PLAN, 15_000, 15_000).map((s) => s.startMs)).toEqual([0, 315_000, 615_000]);
  });

  it('keeps the later of two changes that land on the same tick', () => {
    const plan = [
      PLAN[0] as PlanStep,
      { ...(PLAN[1] as PlanStep), startMs: 1_000 },
      { ...(PLAN[2] as PlanStep), startMs: 2_000 },
    ];
    expect(reactivePlan(plan, 15_000, 15_000)).toEqual([PLAN[0], { ...PLAN[2], startMs: 30_000 }]);
  });
});

describe('oracle-reactive, the worked example on the simulated cluster', () => {
  // A light steady load (one 300/50-token request every 2 s for 12 minutes): the plan is followed whatever it is.
  const requests: InferenceRequest[] = Array.from({ length: 360 }, (_, id) => ({
    id,
    arrivalMs: id * 2000,
    promptTokens: 300,
    outputTokens: 50,
  }));
  const trace: Trace = { name: 'worked', format: 'mooncake-jsonl', requests, durationMs: 718_000 };
  // No jitter: a pod is Ready 45 s after it is scheduled, its revision routable 5 s later.
  const timings = { podStartMs: 45_000, podStartJitterMs: 0, revisionReadyDelayMs: 5_000 };
  const result = simulate({
    trace,
    policy: planPolicy('oracle-reactive', reactivePlan(PLAN, 15_000, 15_000), 'reactive'),
    catalog: DEFAULT_CATALOG,
    model: DEFAULT_MODEL,
    topology: DEFAULT_SIM_TOPOLOGY,
    timings,
    slo: DEFAULT_SLO,
    seed: 1,
    scrapeIntervalMs: 15_000,
  });

  it('acts at the reaction ticks: the migration at 315 s, the scale-in at 615 s', () => {
    expect(
      result.actions.map((a) => [a.atMs, a.kind, a.fromTier, a.fromReplicas, a.toTier, a.toReplicas]),
    ).toEqual([
      [315_000, 'migrate', 'mig-1g.10gb', 1, 'mig-7g.80gb', 2],
      [615_000, 'scale', 'mig-7g.80gb', 2, 'mig-7g.80gb', 1],
    ]);
  });

  it('serves on the new tier after start-up and readiness (315 + 45 + 5 = 365 s); the scale-in is at once', () => {
    expect(result.servingTimeline.map((p) => [p.atMs, p.tier, p.readyReplicas])).toEqual([
      [0, 'mig-1g.10gb', 1],
      [365_000, 'mig-7g.80gb', 2],
      [615_000, 'mig-7g.80gb', 1],
    ]);
  });

  it('bills the old tier until the new one serves, and no drain after it', () => {
    // Hand-computed GPU-seconds: the 1g pod 0..365 s at 1/7 GPU, two 7g pods 315..615 s, one 7g pod from
    // 615 s to the end of the run (the last request arrives at 718 s and is done within a few seconds).
    const gpuS = result.summary.gpuHours * 3600;
    const endS = 615 + (gpuS - 365 / 7 - 2 * 300);
    expect(endS).toBeGreaterThan(718);
    expect(endS).toBeLessThan(725);
  });
});
