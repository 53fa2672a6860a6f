import { readFileSync } from 'node:fs';
import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { DEFAULT_MODEL } from '../service-model/index.js';
import {
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  DEFAULT_TIMINGS,
  POLICY_NAMES,
  parseKsissSimConfig,
  parseTrace,
  profileOf,
  type SimulationResult,
} from '../simulator/index.js';
import {
  aimCounts,
  cellAims,
  cellFileStem,
  cellJson,
  cellsTable,
  coldStartAimMs,
  coldStartReading,
  policiesTable,
  runCell,
  type MatrixContext,
} from './matrix.js';
import { syntheticTraceText, type SyntheticTraceSpec } from './synthetic-traces.js';

// A short seeded version of the matrix: one small synthetic trace (a step from 1 to 4 req/s), warm and
// cold, model error 1. It checks the structure and that a cell is deterministic, not how well anyone does.
const SPEC: SyntheticTraceSpec = {
  name: 'matrix-test',
  format: 'mooncake-jsonl',
  durationS: 8 * 60,
  rate: {
    kind: 'steps',
    steps: [
      { untilS: 4 * 60, perS: 1 },
      { untilS: 8 * 60, perS: 4 },
    ],
  },
  promptTokens: { median: 600, sigma: 0.5, maxTokens: 4_000 },
  outputTokens: { median: 120, sigma: 0.5, maxTokens: 1_000 },
  seed: 21,
};
const parsedTrace = parseTrace(syntheticTraceText(SPEC), SPEC.name);
if (!parsedTrace.ok) throw new Error(parsedTrace.message);
const trace = parsedTrace.trace;
const parsed = parseKsissSimConfig(readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8'), 'default', DEFAULT_SLO, {
  fillSlo: true,
});
if (!parsed.ok) throw new Error(parsed.message);
const ksiss = parsed.value;
const ctx: MatrixContext = {
  ksiss,
  slo: DEFAULT_SLO,
  seed: 1,
  profile: profileOf(DEFAULT_CATALOG, DEFAULT_MODEL, DEFAULT_SLO, ksiss.config.settings.ladder, {
    durationMs: 60_000,
    minRequests: 200,
    relativePrecision: 0.05,
  }).profile,
};
const warm = runCell(trace, 'warm', 1, ctx);
const cold = runCell(trace, 'cold', 1, ctx);

describe('the benchmark matrix, one small trace', () => {
  it.each([
    ['warm', warm],
    ['cold', cold],
  ] as const)('runs every policy, in report order, on the %s cell', (start, cell) => {
    expect(cell.key).toEqual({ trace: 'matrix-test', start, modelError: 1 });
    expect(cell.results.map((r) => r.summary.policy)).toEqual([...POLICY_NAMES]);
    expect(new Set(cell.results.map((r) => r.summary.requests))).toEqual(new Set([cell.requests]));
    expect(cellFileStem(cell.key)).toBe(`matrix-test.${start}.error-1`);
  });

  it('replays the light prefix on the cold cell only', () => {
    expect(warm.requests).toBe(trace.requests.length);
    expect(cold.requests).toBeGreaterThan(trace.requests.length);
    expect(cold.durationMin - warm.durationMin).toBeCloseTo(5, 6);
  });

  it('checks the three aims on every cell and the cold-start aim on the cold one', () => {
    for (const cell of [warm, cold]) {
      expect(Object.keys(cell.aims ?? {}).sort()).toEqual(
        cell.key.start === 'cold'
          ? ['attainment', 'cheapest', 'coldStart', 'oracleRatio']
          : ['attainment', 'cheapest', 'oracleRatio'],
      );
    }
    expect(warm.coldStart).toBeUndefined();
    expect(Object.keys(cold.coldStart ?? {}).sort()).toEqual(['k-siss', 'oracle-reactive']);
    expect(cold.coldStart?.['oracle-reactive']?.oracleNeeds).toBeDefined();
    expect(aimCounts([warm, cold]).coldStart.of).toBe(1);
  });

  it('writes one JSON per cell with every summary, its failures and overlap', () => {
    const json = JSON.parse(JSON.stringify(cellJson(cold))) as {
      summaries: { policy: string; failures: object; overlapGpuHours: number }[];
      aims: object;
      coldStart: object;
    };
    expect(json.summaries.map((s) => s.policy)).toEqual([...POLICY_NAMES]);
    expect(
      json.summaries.every((s) => typeof s.overlapGpuHours === 'number' && s.failures !== undefined),
    ).toBe(true);
    expect(json.aims).toHaveProperty('coldStart');
  });

  it('renders one row per cell in each table', () => {
    expect(cellsTable([warm, cold]).split('\n')).toHaveLength(4);
    expect(policiesTable([warm, cold]).split('\n')).toHaveLength(4);
    expect(cellsTable([warm, cold])).toContain('| matrix-test | cold | 1 |');
  });

  it('is deterministic', () => {
    const again = runCell(trace, 'cold', 1, ctx);
    expect(cellJson(again)).toEqual(cellJson(cold));
  });
});

describe('coldStartReading and the aims, on hand-made runs', () => {
  const requirements = [
    { startMs: 0, requests: 60, replicasByTier: { 'mig-1g.10gb': 1 }, bestAttainment: 1 },
    {
      startMs: 300_000,
      requests: 900,
      replicasByTier: { 'mig-1g.10gb': undefined, 'mig-3g.40gb': 3, 'mig-7g.80gb': 1 },
      bestAttainment: 1,
    },
  ];
  const summary = (policy: string, sloAttainment: number, gpuHours: number) => ({
    policy,
    trace: 't',
    requests: 1000,
    sloAttainment,
    ttftP50Ms: 0,
    ttftP99Ms: 0,
    tpotP50Ms: 0,
    tpotP99Ms: 0,
    gpuHours,
    actions: 0,
    migrations: 0,
    oscillations: 0,
  });
  const run = (
    policy: string,
    timeline: [number, string, number][],
    actionsAtMs: number[],
    sloAttainment = 0.99,
    gpuHours = 1,
  ): SimulationResult => ({
    summary: summary(policy, sloAttainment, gpuHours),
    series: [],
    servingTimeline: timeline.map(([atMs, tier, readyReplicas]) => ({ atMs, tier, readyReplicas })),
    actions: actionsAtMs.map((atMs) => ({
      atMs,
      kind: 'migrate' as const,
      direction: 1 as const,
      fromTier: 'a',
      toTier: 'b',
      fromReplicas: 1,
      toReplicas: 1,
      reason: 'r',
    })),
    failures: { tooLong: 0, kvTooSmall: 0, cut: 0, unserved: 0 },
  });
  const cases = [
    {
      name: 'one migration straight to 1 x 7g, Ready 80 s after the load',
      timeline: [
        [0, 'mig-1g.10gb', 1],
        [380_000, 'mig-7g.80gb', 1],
      ] as [number, string, number][],
      actions: [120_000, 315_000],
      afterMs: 80_000,
      count: 1,
    },
    {
      name: 'three steps of 3g replicas (2 is not enough)',
      timeline: [
        [0, 'mig-1g.10gb', 1],
        [370_000, 'mig-3g.40gb', 1],
        [450_000, 'mig-3g.40gb', 2],
        [530_000, 'mig-3g.40gb', 3],
      ] as [number, string, number][],
      actions: [315_000, 400_000, 480_000, 900_000],
      afterMs: 230_000,
      count: 3,
    },
    {
      name: 'already enough before the load',
      timeline: [[0, 'mig-7g.80gb', 1]] as [number, string, number][],
      actions: [],
      afterMs: 0,
      count: 0,
    },
    {
      name: 'never enough: every action after the load counts',
      timeline: [
        [0, 'mig-1g.10gb', 1],
        [400_000, 'mig-3g.40gb', 2],
      ] as [number, string, number][],
      actions: [315_000, 700_000],
      afterMs: undefined,
      count: 2,
    },
  ];
  it.each(cases)('$name', ({ timeline, actions, afterMs, count }) => {
    const reading = coldStartReading(run('k-siss', timeline, actions), requirements, ksiss);
    expect(reading.afterMs).toBe(afterMs);
    expect(reading.actions).toBe(count);
    expect(reading.oracleNeeds).toEqual({ tier: 'mig-7g.80gb', replicas: 1 });
  });

  it('holds k-siss to 99% when oracle-reactive reaches it, else to 0.3 points below it', () => {
    const aims = (k: number, reactive: number) =>
      cellAims(
        [run('k-siss', [], [], k), run('oracle', [], [], 0.995), run('oracle-reactive', [], [], reactive)],
        undefined,
        DEFAULT_TIMINGS,
      )?.attainment;
    expect(aims(0.99, 0.992)?.met).toBe(true);
    expect(aims(0.989, 0.992)?.met).toBe(false);
    expect(aims(0.9, 0.902)?.met).toBe(true);
    expect(aims(0.89, 0.9)?.margin).toBeCloseTo(-0.007, 9);
  });

  it('compares GPU-hours with the oracle and with baselines at least as good', () => {
    const aims = cellAims(
      [
        run('k-siss', [], [], 0.99, 1.1),
        run('oracle', [], [], 0.99, 1),
        run('oracle-reactive', [], [], 0.98, 1),
        run('hpa', [], [], 0.995, 1.05),
        run('kpa', [], [], 0.5, 0.2),
      ],
      undefined,
      DEFAULT_TIMINGS,
    );
    expect(aims?.oracleRatio).toMatchObject({ met: true, text: '1.10 x' });
    expect(aims?.cheapest.met).toBe(false);
    expect(aims?.cheapest.text).toContain('hpa');
    expect(coldStartAimMs(DEFAULT_TIMINGS)).toBe(125_000);
  });
});
