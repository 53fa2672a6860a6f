import {
  DEFAULT_CATALOG,
  type CapacitySnapshot,
  type GpuTier,
  type TierCatalog,
} from '../gpu-registry/index.js';
import { DEFAULT_SERVICE_SETTINGS } from './config.js';
import {
  capacityShrinkFactor,
  decideScale,
  idleSinceMs,
  projectAfterStepDown,
  servingCapacity,
  recommendationsInWindow,
  recordRecommendation,
  type DecideOutput,
} from './decide-scale.js';
import type {
  MetricSpec,
  MetricValues,
  Recommendation,
  ServiceObservation,
  ServiceSettings,
} from './types.js';

const NOW = 1_800_000_000_000;
const S = 1000;

const LATENCY: MetricSpec = {
  name: 'latency',
  query: 'q1{pod="%s"}',
  slo: 1,
  scaleUpFactor: 1.5,
  scaleDownFactor: 0.5,
  direction: 'lowerIsBetter',
  aggregate: 'max',
};
const THROUGHPUT: MetricSpec = {
  name: 'throughput',
  query: 'q2{pod=~"{{podRegex}}"}',
  slo: 100,
  scaleUpFactor: 0.8,
  scaleDownFactor: 1.5,
  direction: 'higherIsBetter',
  aggregate: 'sum',
};
const QUEUE: MetricSpec = { ...LATENCY, name: 'queue', slo: 10 };

/** Latency and throughput values for the three states. */
const PRESSURE = { latency: 2, throughput: 120 };
const IN_BAND = { latency: 1, throughput: 120 };
const SLACK = { latency: 0.2, throughput: 200 };
/** Load-growth sizing on, at most 2x per step. */
const GROWTH = { loadGrowth: { arrivalsQuery: 'a', maxStepFactor: 2 } };
/** settings.loadGrowth's four arrival counts, newest first; the minute before c2 is c2 again, or none (null). */
const arrivals = (c0: number, c1: number, c2: number, c3: number | null = c2) => ({
  __arrivals0m: c0,
  __arrivals1m: c1,
  __arrivals2m: c2,
  ...(c3 === null ? {} : { __arrivals3m: c3 }),
});

const mig = (profile: string, units: number): Record<string, number> => ({
  [`nvidia.com/mig-${profile}`]: units,
});
const PLENTY: CapacitySnapshot = {
  nodes: [
    {
      name: 'n1',
      free: {
        ...mig('1g.10gb', 7),
        ...mig('2g.20gb', 3),
        ...mig('3g.40gb', 2),
        ...mig('4g.40gb', 2),
        ...mig('7g.80gb', 2),
      },
    },
  ],
};
const NONE: CapacitySnapshot = { nodes: [{ name: 'n1', free: {} }] };

// These cases pin the ladder walk (`policy: step`); the sizing planner has its own table (decide-size.test.ts).
const BASE_SETTINGS: ServiceSettings = {
  ...DEFAULT_SERVICE_SETTINGS,
  policy: 'step',
  scaleDownStabilizationSeconds: 0,
  cooldownSeconds: 0,
};

interface Case {
  readonly name: string;
  /** Overrides of default catalog tiers (fields by tier name). */
  readonly catalog?: Readonly<Record<string, Partial<GpuTier>>>;
  /** The service's metrics, when not [LATENCY, THROUGHPUT]. */
  readonly metricSpecs?: readonly MetricSpec[];
  readonly settings?: Partial<ServiceSettings>;
  readonly observation?: Partial<ServiceObservation>;
  readonly metrics: MetricValues;
  readonly capacity?: CapacitySnapshot;
  readonly expected: Record<string, unknown>;
  /** Expected recommendation (tier, replicas); defaults to the current configuration for holds. */
  readonly recommendation?: { readonly tier: string; readonly replicas: number };
}

function withOverrides(overrides: Case['catalog']): TierCatalog {
  if (overrides === undefined) return DEFAULT_CATALOG;
  const catalog = new Map(DEFAULT_CATALOG);
  for (const [name, fields] of Object.entries(overrides)) {
    const tier = catalog.get(name);
    if (tier !== undefined) catalog.set(name, { ...tier, ...fields });
  }
  return catalog;
}

function run(
  c: Pick<Case, 'settings' | 'observation' | 'metrics' | 'capacity' | 'catalog'>,
  metrics: readonly MetricSpec[] = [LATENCY, THROUGHPUT],
): DecideOutput {
  return decideScale({
    config: { service: 'gpt2', metrics, settings: { ...BASE_SETTINGS, ...c.settings } },
    catalog: withOverrides(c.catalog),
    observation: {
      tier: 'mig-1g.10gb',
      readyReplicas: 1,
      migrationInFlight: false,
      recommendations: [],
      ...c.observation,
    },
    metrics: c.metrics,
    capacity: c.capacity ?? PLENTY,
    nowMs: NOW,
  });
}

const at = (tier: string, replicas = 1): Partial<ServiceObservation> => ({ tier, readyReplicas: replicas });
const recs = (entries: readonly [number, string, number, boolean?][]): Recommendation[] =>
  entries.map(([agoSeconds, tier, replicas, idle]) => ({
    atMs: NOW - agoSeconds * S,
    tier,
    replicas,
    ...(idle === true ? { idle: true } : {}),
  }));

const A100_40GB: CapacitySnapshot = {
  nodes: [{ name: 'n40', free: { ...mig('1g.5gb', 7), ...mig('2g.10gb', 3), ...mig('3g.20gb', 2) } }],
};
const MPS_SHARES: CapacitySnapshot = {
  nodes: [{ name: 'mps', free: { 'nvidia.com/gpu-8gb': 4, 'nvidia.com/gpu-9gb': 4 } }],
};
/** Settings as if the block had named the default ladder itself. */
const EXPLICIT_DEFAULT_LADDER = { ladderDefaulted: undefined } as unknown as Partial<ServiceSettings>;

const CASES: readonly Case[] = [
  // No ladder given: a tier outside the default ladder moves within its own family.
  {
    name: 'no ladder, on an A100-40GB slice: pressure moves up within the 40 GB profiles',
    observation: at('mig-1g.5gb'),
    metrics: PRESSURE,
    capacity: A100_40GB,
    expected: { action: 'up', targetTier: 'mig-2g.10gb', reason: 'sloPressure' },
  },
  {
    name: 'no ladder, on an A100-40GB slice: slack moves down within the 40 GB profiles',
    observation: at('mig-2g.10gb'),
    metrics: SLACK,
    capacity: A100_40GB,
    expected: { action: 'down', targetTier: 'mig-1g.5gb', reason: 'slack' },
  },
  {
    name: 'no ladder, on an MPS share: the next share up',
    observation: at('gpu-8gb'),
    metrics: PRESSURE,
    capacity: MPS_SHARES,
    expected: { action: 'up', targetTier: 'gpu-9gb' },
  },
  {
    name: 'a ladder named in the block is kept: a 40 GB slice is below its minimum',
    settings: EXPLICIT_DEFAULT_LADDER,
    observation: at('mig-1g.5gb'),
    metrics: IN_BAND,
    expected: { action: 'up', targetTier: 'mig-1g.10gb', reason: 'belowMinimum' },
  },
  // The band.
  { name: 'in band holds', metrics: IN_BAND, expected: { action: 'hold', reason: 'withinBand' } },
  {
    name: 'pressure at 1g: up and out cost the same per capacity, up wins the tie',
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-2g.20gb', reason: 'sloPressure' },
    recommendation: { tier: 'mig-2g.20gb', replicas: 1 },
  },
  {
    name: 'pressure at 2g: 3g.40gb adds half a GPU of bandwidth for its cost (1 per capacity, as out): up wins the tie',
    observation: at('mig-2g.20gb'),
    metrics: PRESSURE,
    expected: {
      action: 'up',
      targetTier: 'mig-3g.40gb',
      reason: 'sloPressure',
      message:
        'sloPressure: latency = 2 > 1.5: up from mig-2g.20gb to mig-3g.40gb (cost per added capacity: up 1.00 <= out 1.00)',
    },
    recommendation: { tier: 'mig-3g.40gb', replicas: 1 },
  },
  {
    name: 'pressure at 2g when 3g.40gb is priced by its compute (3/7): up is cheaper per capacity',
    catalog: { 'mig-3g.40gb': { relativeCost: 3 / 7 } },
    observation: at('mig-2g.20gb'),
    metrics: PRESSURE,
    expected: {
      action: 'up',
      targetTier: 'mig-3g.40gb',
      message:
        'sloPressure: latency = 2 > 1.5: up from mig-2g.20gb to mig-3g.40gb (cost per added capacity: up 0.67 <= out 1.00)',
    },
  },
  {
    name: 'pressure at 3g when 3g.40gb is priced by its compute: 4g adds little bandwidth for 1/7 of a GPU, out is cheaper',
    catalog: { 'mig-3g.40gb': { relativeCost: 3 / 7 } },
    observation: at('mig-3g.40gb'),
    metrics: PRESSURE,
    expected: {
      action: 'out',
      targetReplicas: 2,
      message:
        'sloPressure: latency = 2 > 1.5: out from 1 to 2 replicas of mig-3g.40gb (cost per added capacity: out 0.86 < up 2.00)',
    },
  },
  {
    name: 'pressure at 2g with maxReplicas 1: up',
    settings: { maxReplicas: 1 },
    observation: at('mig-2g.20gb'),
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-3g.40gb' },
  },
  {
    name: 'pressure at 3g: 4g and out both cost 1 per capacity: up wins the tie',
    observation: at('mig-3g.40gb'),
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  {
    name: 'pressure with two replicas needs two units of the next tier',
    observation: at('mig-4g.40gb', 2),
    capacity: { nodes: [{ name: 'n1', free: { ...mig('7g.80gb', 1), ...mig('4g.40gb', 1) } }] },
    metrics: PRESSURE,
    expected: { action: 'out', targetReplicas: 3 },
  },
  {
    name: 'pressure at the top tier and maxReplicas: atLimit',
    observation: at('mig-7g.80gb', 4),
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'atLimit' },
  },
  {
    name: 'pressure with no free unit anywhere: noCapacity',
    metrics: PRESSURE,
    capacity: NONE,
    expected: {
      action: 'hold',
      reason: 'noCapacity',
      message:
        'sloPressure: latency = 2 > 1.5, but no larger tier for 1 pod(s) (mig-2g.20gb: noCapacity, mig-3g.40gb: noCapacity, mig-4g.40gb: noCapacity, mig-7g.80gb: noCapacity); no free nvidia.com/mig-1g.10gb for one more replica',
    },
  },
  {
    name: 'pressure, next tiers full but a unit of the current tier is free: out',
    observation: at('mig-3g.40gb'),
    capacity: { nodes: [{ name: 'n1', free: mig('3g.40gb', 1) }] },
    metrics: PRESSURE,
    expected: { action: 'out', targetReplicas: 2 },
  },
  {
    name: 'pressure at the top tier with no unit for a replica: noCapacity',
    observation: at('mig-7g.80gb', 1),
    capacity: NONE,
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'a tier in backoff is skipped',
    settings: { maxReplicas: 1 },
    observation: { tierBackoffUntilMs: { 'mig-2g.20gb': NOW + 60 * S } },
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-3g.40gb' },
  },
  {
    name: 'slack at 2g with one replica: down',
    observation: at('mig-2g.20gb'),
    metrics: SLACK,
    expected: { action: 'down', targetTier: 'mig-1g.10gb', reason: 'slack' },
    recommendation: { tier: 'mig-1g.10gb', replicas: 1 },
  },
  {
    name: 'slack at 2g with two replicas: in and down save the same per compute, in wins the tie',
    observation: at('mig-2g.20gb', 2),
    metrics: SLACK,
    expected: { action: 'in', targetReplicas: 1, reason: 'slack' },
  },
  {
    name: 'slack at 3g with two replicas: down and in save the same per capacity, in wins the tie',
    observation: at('mig-3g.40gb', 2),
    metrics: SLACK,
    expected: { action: 'in', targetReplicas: 1 },
  },
  {
    name: 'slack at 2g x 2 when 2g is priced above its capacity: down saves more per capacity than in',
    catalog: { 'mig-2g.20gb': { relativeCost: 0.4 } },
    observation: at('mig-2g.20gb', 2),
    metrics: SLACK,
    expected: {
      action: 'down',
      targetTier: 'mig-1g.10gb',
      message:
        'slack: latency = 0.2 < 0.5, throughput = 200 > 150: down from mig-2g.20gb to mig-1g.10gb (cost saved per capacity: down 1.80 > in 1.40)',
    },
  },
  // The step guard: a slack step down must not project any metric past its up threshold.
  {
    name: 'slack, but halving the capacity would take throughput 155 to 77.5 < 80: hold withinBand',
    observation: at('mig-2g.20gb', 2),
    metrics: { latency: 0.2, throughput: 155 },
    expected: {
      action: 'hold',
      reason: 'withinBand',
      message:
        'slack: latency = 0.2 < 0.5, throughput = 155 > 150, but every step down would overshoot into pressure (in to 1 replica(s): throughput 155 x 2.00 -> 77.5 <= 80; down to mig-1g.10gb: throughput 155 x 2.00 -> 77.5 <= 80)',
    },
  },
  {
    name: 'step guard: in from 3 leaves 2/3 of the capacity and fits; down (half) would not',
    observation: at('mig-2g.20gb', 3),
    metrics: { latency: 0.2, throughput: 155 },
    expected: { action: 'in', targetReplicas: 2 },
  },
  {
    name: 'step guard: at minReplicas, the only step (down, half the bandwidth) would overshoot: hold',
    settings: { minReplicas: 2 },
    observation: at('mig-2g.20gb', 2),
    metrics: { latency: 0.2, throughput: 155 },
    expected: {
      action: 'hold',
      reason: 'withinBand',
      message:
        'slack: latency = 0.2 < 0.5, throughput = 155 > 150, but every step down would overshoot into pressure (down to mig-1g.10gb: throughput 155 x 2.00 -> 77.5 <= 80)',
    },
  },
  {
    name: 'step guard: 4g -> 3g keeps the bandwidth (shrink 4/3 by compute) and fits; in (half) would not',
    observation: at('mig-4g.40gb', 2),
    metrics: { latency: 0.2, throughput: 155 },
    expected: {
      action: 'down',
      targetTier: 'mig-3g.40gb',
      message:
        'slack: latency = 0.2 < 0.5, throughput = 155 > 150: down from mig-4g.40gb to mig-3g.40gb (in would overshoot: throughput 155 x 2.00 -> 77.5 <= 80)',
    },
  },
  {
    name: 'step guard on a latency: 2 -> 1 replicas doubles it past the up threshold, 4g -> 3g (x 4/3) does not',
    metricSpecs: [{ ...LATENCY, scaleUpFactor: 1, scaleDownFactor: 0.6 }],
    observation: at('mig-4g.40gb', 2),
    metrics: { latency: 0.55 },
    expected: {
      action: 'down',
      targetTier: 'mig-3g.40gb',
      message:
        'slack: latency = 0.55 < 0.6: down from mig-4g.40gb to mig-3g.40gb (in would overshoot: latency 0.55 x 2.00 -> 1.1 >= 1)',
    },
  },
  {
    name: 'step guard: in fits, down would overshoot: in, and the message says why not down',
    settings: { minReplicas: 1 },
    metricSpecs: [{ ...LATENCY, scaleUpFactor: 1, scaleDownFactor: 0.6 }],
    observation: at('mig-3g.40gb', 3),
    metrics: { latency: 0.55 },
    expected: {
      action: 'in',
      targetReplicas: 2,
      message:
        'slack: latency = 0.55 < 0.6: in from 3 to 2 replicas of mig-3g.40gb (down to mig-2g.20gb would overshoot: latency 0.55 x 2.00 -> 1.1 >= 1)',
    },
  },
  {
    name: 'step guard does not apply to idle (its metrics are NaN): idle steps down',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 60 } },
    observation: { ...at('mig-2g.20gb'), recommendations: recs([[120, 'mig-2g.20gb', 1, true]]) },
    metrics: { __requestRate: 0, latency: Number.NaN, throughput: Number.NaN },
    expected: { action: 'down', targetTier: 'mig-1g.10gb', reason: 'idle' },
  },
  {
    name: 'slack at the bottom with minReplicas: atLimit',
    metrics: SLACK,
    expected: { action: 'hold', reason: 'atLimit' },
  },
  {
    name: 'slack but no unit of the smaller tier: noCapacity',
    observation: at('mig-2g.20gb'),
    capacity: NONE,
    metrics: SLACK,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  // Several metrics, missing data.
  {
    name: 'one metric slack, the other in band: hold',
    observation: at('mig-2g.20gb'),
    metrics: { latency: 0.2, throughput: 120 },
    expected: {
      action: 'hold',
      reason: 'withinBand',
      message: 'within band (in band: throughput = 120; slack: latency = 0.2 < 0.5)',
    },
  },
  {
    name: 'one metric under pressure, the other slack: pressure wins',
    metrics: { latency: 2, throughput: 200 },
    expected: { action: 'up', targetTier: 'mig-2g.20gb' },
  },
  {
    name: 'NaN (0/0 of an idle service) never scales down',
    observation: at('mig-2g.20gb'),
    metrics: { latency: Number.NaN, throughput: 200 },
    expected: { action: 'hold', reason: 'noData', message: 'no data (never a scale-down): latency = NaN' },
  },
  {
    name: 'a missing series never scales down',
    observation: at('mig-2g.20gb'),
    metrics: { throughput: 200 },
    expected: {
      action: 'hold',
      reason: 'noData',
      message: 'no data (never a scale-down): latency = no data',
    },
  },
  {
    name: 'missing data on one metric does not stop pressure on another',
    metrics: { latency: Number.NaN, throughput: 50 },
    expected: { action: 'up', targetTier: 'mig-2g.20gb' },
  },
  {
    name: '+Inf latency is pressure',
    metrics: { latency: Number.POSITIVE_INFINITY, throughput: 120 },
    expected: { action: 'up' },
  },
  {
    name: 'higherIsBetter below its up threshold is pressure',
    metrics: { latency: 1, throughput: 79 },
    expected: {
      action: 'up',
      message:
        'sloPressure: throughput = 79 < 80: up from mig-1g.10gb to mig-2g.20gb (cost per added capacity: up 1.00 <= out 1.00)',
    },
  },
  // Migration, cooldown, windows.
  {
    name: 'a migration in flight holds everything',
    observation: { migrationInFlight: true },
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'migrationInFlight' },
  },
  {
    name: 'cooldown holds an action, and the raw recommendation is kept',
    settings: { cooldownSeconds: 60 },
    observation: { lastActionAtMs: NOW - 30 * S, lastAction: 'up' },
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'cooldown' },
    recommendation: { tier: 'mig-2g.20gb', replicas: 1 },
  },
  {
    name: 'after the cooldown the action goes ahead',
    settings: { cooldownSeconds: 60 },
    observation: { lastActionAtMs: NOW - 60 * S, lastAction: 'up' },
    metrics: PRESSURE,
    expected: { action: 'up' },
  },
  {
    name: 'scale-down window still holds the current configuration: stabilizing',
    settings: { scaleDownStabilizationSeconds: 300 },
    observation: {
      ...at('mig-2g.20gb'),
      recommendations: recs([
        [400, 'mig-2g.20gb', 1],
        [100, 'mig-1g.10gb', 1],
      ]),
    },
    metrics: SLACK,
    expected: { action: 'hold', reason: 'stabilizing' },
    recommendation: { tier: 'mig-1g.10gb', replicas: 1 },
  },
  {
    name: 'scale-down window holds only lower recommendations: down',
    settings: { scaleDownStabilizationSeconds: 300 },
    observation: { ...at('mig-2g.20gb'), recommendations: recs([[400, 'mig-1g.10gb', 1]]) },
    metrics: SLACK,
    expected: { action: 'down', targetTier: 'mig-1g.10gb' },
  },
  {
    name: 'scale-down window compares capacity, not tier names: 2 x 1g < 1 x 3g is lower',
    settings: { scaleDownStabilizationSeconds: 300, minReplicas: 2 },
    observation: {
      ...at('mig-3g.40gb', 2),
      recommendations: recs([
        [400, 'mig-2g.20gb', 2],
        [100, 'mig-3g.40gb', 1],
      ]),
    },
    metrics: SLACK,
    expected: { action: 'down', targetTier: 'mig-2g.20gb' },
  },
  {
    name: 'scale-up window with a recent hold: stabilizing',
    settings: { scaleUpStabilizationSeconds: 60 },
    observation: {
      recommendations: recs([
        [30, 'mig-1g.10gb', 1],
        [10, 'mig-2g.20gb', 1],
      ]),
    },
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'stabilizing' },
    recommendation: { tier: 'mig-2g.20gb', replicas: 1 },
  },
  {
    name: 'scale-up window full of higher recommendations: up',
    settings: { scaleUpStabilizationSeconds: 60 },
    observation: {
      recommendations: recs([
        [90, 'mig-1g.10gb', 1],
        [60, 'mig-2g.20gb', 1],
      ]),
    },
    metrics: PRESSURE,
    expected: { action: 'up' },
  },
  // Bounds.
  {
    name: 'tier below minTier moves up at once, even in cooldown',
    settings: { minTier: 'mig-2g.20gb', cooldownSeconds: 60 },
    observation: { lastActionAtMs: NOW - 1 * S },
    metrics: SLACK,
    expected: { action: 'up', targetTier: 'mig-2g.20gb', reason: 'belowMinimum' },
  },
  {
    name: 'tier above maxTier moves down',
    settings: { maxTier: 'mig-4g.40gb' },
    observation: at('mig-7g.80gb'),
    metrics: PRESSURE,
    expected: { action: 'down', targetTier: 'mig-4g.40gb', reason: 'aboveMaximum' },
  },
  {
    name: 'a tier the catalog does not know moves to the bottom of the ladder',
    observation: at('cpu-only'),
    metrics: IN_BAND,
    expected: {
      action: 'up',
      targetTier: 'mig-1g.10gb',
      reason: 'belowMinimum',
      message: 'tier "cpu-only" is not in the catalog: moving up to mig-1g.10gb',
    },
  },
  {
    name: 'below minTier without capacity: noCapacity',
    settings: { minTier: 'mig-2g.20gb' },
    capacity: NONE,
    metrics: IN_BAND,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'replicas below minReplicas: out',
    settings: { minReplicas: 3 },
    metrics: SLACK,
    expected: { action: 'out', targetReplicas: 3, reason: 'belowMinimum' },
  },
  {
    name: 'replicas below minReplicas without units: noCapacity',
    settings: { minReplicas: 3 },
    capacity: { nodes: [{ name: 'n1', free: mig('1g.10gb', 1) }] },
    metrics: IN_BAND,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'replicas above maxReplicas: in',
    settings: { maxReplicas: 2 },
    observation: at('mig-1g.10gb', 5),
    metrics: PRESSURE,
    expected: { action: 'in', targetReplicas: 2, reason: 'aboveMaximum' },
  },
  {
    name: 'an off-ladder tier (1g.20gb) goes up along the ladder',
    observation: at('mig-1g.20gb'),
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-2g.20gb' },
  },
  // Dry run.
  {
    name: 'dryRun reports the would-be action as a hold',
    settings: { dryRun: true },
    metrics: PRESSURE,
    expected: {
      action: 'hold',
      reason: 'dryRun',
      message:
        'dry run: would scale up to mig-2g.20gb (sloPressure): sloPressure: latency = 2 > 1.5: up from mig-1g.10gb to mig-2g.20gb (cost per added capacity: up 1.00 <= out 1.00)',
    },
    recommendation: { tier: 'mig-2g.20gb', replicas: 1 },
  },
  {
    name: 'dryRun leaves holds alone',
    settings: { dryRun: true },
    metrics: IN_BAND,
    expected: { action: 'hold', reason: 'withinBand' },
  },
  // Idle.
  {
    name: 'idle long enough steps down (in first)',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 60 } },
    observation: { ...at('mig-2g.20gb', 2), recommendations: recs([[120, 'mig-2g.20gb', 2, true]]) },
    metrics: { __requestRate: 0, latency: Number.NaN, throughput: Number.NaN },
    expected: { action: 'in', targetReplicas: 1, reason: 'idle' },
  },
  {
    name: 'idle for too short a time: hold, but the step down is recommended',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 60 } },
    observation: { ...at('mig-2g.20gb'), recommendations: recs([[30, 'mig-2g.20gb', 1, true]]) },
    metrics: { __requestRate: 0, latency: Number.NaN, throughput: Number.NaN },
    expected: {
      action: 'hold',
      reason: 'noData',
      message: 'no data (never a scale-down): latency = NaN, throughput = NaN; idle for 30s of 60s',
    },
    recommendation: { tier: 'mig-1g.10gb', replicas: 1 },
  },
  {
    name: 'an idle run broken by traffic starts again',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 60 } },
    observation: {
      ...at('mig-2g.20gb'),
      recommendations: recs([
        [120, 'mig-2g.20gb', 1, true],
        [90, 'mig-2g.20gb', 1],
        [20, 'mig-2g.20gb', 1, true],
      ]),
    },
    metrics: { __requestRate: 0, latency: 1, throughput: 120 },
    expected: {
      action: 'hold',
      reason: 'withinBand',
      message: 'within band (in band: latency = 1, throughput = 120); idle for 20s of 60s',
    },
    recommendation: { tier: 'mig-1g.10gb', replicas: 1 },
  },
  {
    name: 'no request-rate data is not idle',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 0 } },
    observation: at('mig-2g.20gb'),
    metrics: { latency: Number.NaN, throughput: Number.NaN },
    expected: { action: 'hold', reason: 'noData' },
  },
  {
    name: 'a non-zero rate is not idle',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 0 } },
    observation: at('mig-2g.20gb'),
    metrics: { __requestRate: 0.01, latency: Number.NaN, throughput: Number.NaN },
    expected: { action: 'hold', reason: 'noData' },
  },
  {
    name: 'idle with pressure on a metric scales up',
    settings: { idle: { requestRateQuery: 'r', afterSeconds: 0 } },
    metrics: { __requestRate: 0, ...PRESSURE },
    expected: { action: 'up' },
  },
  // Load growth: a single step that adds less than the sustained growth is replaced by a jump.
  {
    name: 'growing load: the single step (3g -> 4g, x1.14) is too small for x1.8; the tier jump ties with 4 replicas and wins',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    metrics: { ...PRESSURE, ...arrivals(180, 140, 100) },
    expected: {
      action: 'up',
      targetTier: 'mig-7g.80gb',
      reason: 'sloPressure',
      message:
        'sloPressure: latency = 2 > 1.5; the load grew 1.80x in 2 minutes, more than one step adds: up from mig-3g.40gb to mig-7g.80gb (serving capacity x 2.00)',
    },
    recommendation: { tier: 'mig-7g.80gb', replicas: 2 },
  },
  {
    name: 'growing load with no room for the larger tiers: a replica jump instead',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    capacity: { nodes: [{ name: 'n1', free: { ...mig('3g.40gb', 2), ...mig('4g.40gb', 2) } }] },
    metrics: { ...PRESSURE, ...arrivals(180, 140, 100) },
    expected: { action: 'out', targetReplicas: 4, reason: 'sloPressure' },
    recommendation: { tier: 'mig-3g.40gb', replicas: 4 },
  },
  {
    name: 'growth the single step covers: the single step',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    metrics: { ...PRESSURE, ...arrivals(11000, 10500, 10000) },
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  {
    name: 'no count three minutes back (a new revision, or no history): the single step',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    metrics: { ...PRESSURE, ...arrivals(180, 140, 100, null) },
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  {
    name: 'a step, not a ramp (the last minute no higher than the one before): the single step',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    metrics: { ...PRESSURE, ...arrivals(180, 180, 100) },
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  {
    name: 'growth is capped at maxStepFactor (a growth from a silent minute included)',
    settings: GROWTH,
    observation: at('mig-2g.20gb', 1),
    metrics: { ...PRESSURE, ...arrivals(400, 50, 0) },
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  {
    name: 'at the top of the ladder a growth of 3 scales out by 3x (maxStepFactor 4)',
    settings: { loadGrowth: { arrivalsQuery: 'a', maxStepFactor: 4 } },
    observation: at('mig-7g.80gb', 1),
    metrics: { ...PRESSURE, ...arrivals(300, 200, 100) },
    expected: { action: 'out', targetReplicas: 3 },
  },
  {
    name: 'growth alone is no pressure',
    settings: GROWTH,
    observation: at('mig-3g.40gb', 2),
    metrics: { ...IN_BAND, ...arrivals(180, 140, 100) },
    expected: { action: 'hold', reason: 'withinBand' },
  },
  {
    name: 'the original policy ignores the load growth',
    settings: { policy: 'ksiss-original', ...GROWTH },
    observation: at('mig-3g.40gb', 2),
    metrics: { ...PRESSURE, ...arrivals(180, 140, 100) },
    expected: { action: 'up', targetTier: 'mig-4g.40gb' },
  },
  // The original's rule, without its defects.
  {
    name: 'ksiss-original: pressure moves one tier up, never out, ignoring cooldown',
    settings: { policy: 'ksiss-original', cooldownSeconds: 60 },
    observation: { ...at('mig-2g.20gb'), lastActionAtMs: NOW - 1 * S },
    metrics: PRESSURE,
    expected: { action: 'up', targetTier: 'mig-3g.40gb', reason: 'sloPressure' },
  },
  {
    name: 'ksiss-original: slack moves one tier down, ignoring replicas',
    settings: { policy: 'ksiss-original', minReplicas: 1 },
    observation: at('mig-2g.20gb', 3),
    metrics: SLACK,
    expected: { action: 'down', targetTier: 'mig-1g.10gb' },
  },
  {
    name: 'ksiss-original: NaN is no data, not a scale-down',
    settings: { policy: 'ksiss-original' },
    observation: at('mig-2g.20gb'),
    metrics: { latency: Number.NaN, throughput: 200 },
    expected: { action: 'hold', reason: 'noData' },
  },
  {
    name: 'ksiss-original: at the top tier: atLimit',
    settings: { policy: 'ksiss-original' },
    observation: at('mig-7g.80gb'),
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'atLimit' },
  },
  {
    name: 'ksiss-original: at the bottom tier: atLimit',
    settings: { policy: 'ksiss-original' },
    metrics: SLACK,
    expected: { action: 'hold', reason: 'atLimit' },
  },
  {
    name: 'ksiss-original: replicas outside the bounds are not its business',
    settings: { policy: 'ksiss-original', maxReplicas: 1 },
    observation: at('mig-2g.20gb', 3),
    metrics: IN_BAND,
    expected: { action: 'hold', reason: 'withinBand' },
  },
  {
    name: 'ksiss-original: the next tier without capacity: noCapacity',
    settings: { policy: 'ksiss-original' },
    capacity: NONE,
    metrics: PRESSURE,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'ksiss-original: moves one step only, never over a full tier',
    settings: { policy: 'ksiss-original' },
    capacity: { nodes: [{ name: 'n1', free: mig('3g.40gb', 1) }] },
    metrics: PRESSURE,
    expected: {
      action: 'hold',
      reason: 'noCapacity',
      message:
        'sloPressure: latency = 2 > 1.5, but the next larger tier mig-2g.20gb is not available (noCapacity); ksiss-original moves one step only',
    },
  },
  {
    name: 'ksiss-original: a smaller tier in back-off is not skipped either',
    settings: { policy: 'ksiss-original' },
    observation: { ...at('mig-3g.40gb'), tierBackoffUntilMs: { 'mig-2g.20gb': NOW + S } },
    metrics: SLACK,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'tier above maxTier without capacity below: noCapacity',
    settings: { maxTier: 'mig-4g.40gb' },
    observation: at('mig-7g.80gb'),
    capacity: NONE,
    metrics: IN_BAND,
    expected: { action: 'hold', reason: 'noCapacity' },
  },
  {
    name: 'ksiss-original: the idle rule is not applied',
    settings: { policy: 'ksiss-original', idle: { requestRateQuery: 'r', afterSeconds: 0 } },
    observation: at('mig-2g.20gb'),
    metrics: { __requestRate: 0, latency: Number.NaN, throughput: Number.NaN },
    expected: { action: 'hold', reason: 'noData' },
  },
];

describe('decideScale', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const output = run(c, c.metricSpecs);
    expect(output.decision).toMatchObject(c.expected);
    const currentTier = c.observation?.tier ?? 'mig-1g.10gb';
    const currentReplicas = c.observation?.readyReplicas ?? 1;
    const expectedRec =
      c.recommendation ??
      (c.expected.action === 'hold' ? { tier: currentTier, replicas: currentReplicas } : undefined);
    if (expectedRec !== undefined) expect(output.recommendation).toMatchObject({ atMs: NOW, ...expectedRec });
  });

  it('returns one signal per metric with thresholds and state', () => {
    const output = run({ metrics: { latency: 2, throughput: Number.NaN } });
    expect(output.signals).toEqual([
      {
        name: 'latency',
        value: 2,
        direction: 'lowerIsBetter',
        upThreshold: 1.5,
        downThreshold: 0.5,
        state: 'pressure',
      },
      {
        name: 'throughput',
        value: Number.NaN,
        direction: 'higherIsBetter',
        upThreshold: 80,
        downThreshold: 150,
        state: 'noData',
      },
    ]);
  });

  it('returns the would-be action in dry-run mode', () => {
    const output = run({ settings: { dryRun: true }, metrics: PRESSURE });
    expect(output.wouldAct).toMatchObject({ action: 'up', targetTier: 'mig-2g.20gb' });
  });

  it('marks idle recommendations', () => {
    const output = run({
      settings: { idle: { requestRateQuery: 'r', afterSeconds: 600 } },
      metrics: { __requestRate: 0, latency: 1, throughput: 120 },
    });
    expect(output.recommendation.idle).toBe(true);
  });

  describe('does not depend on the order of metrics', () => {
    const values = [undefined, Number.NaN, 0.1, 1, 100];
    const permutations = [
      [LATENCY, THROUGHPUT, QUEUE],
      [LATENCY, QUEUE, THROUGHPUT],
      [THROUGHPUT, LATENCY, QUEUE],
      [THROUGHPUT, QUEUE, LATENCY],
      [QUEUE, LATENCY, THROUGHPUT],
      [QUEUE, THROUGHPUT, LATENCY],
    ];
    const combos: MetricValues[] = [];
    for (const latency of values)
      for (const throughput of values)
        for (const queue of values) combos.push({ latency, throughput, queue });
    it.each([
      ['mig-2g.20gb', 1],
      ['mig-3g.40gb', 2],
    ] as const)('at %s x %d over %#', (tier, replicas) => {
      for (const metrics of combos) {
        const outputs = permutations.map((order) => run({ observation: at(tier, replicas), metrics }, order));
        const first = outputs[0];
        for (const output of outputs) {
          expect(output.decision).toEqual(first?.decision);
          expect(output.recommendation).toEqual(first?.recommendation);
        }
      }
    });
  });
});

describe('capacity arithmetic of the choice and the step guard', () => {
  const tier = (name: string): GpuTier => {
    const found = DEFAULT_CATALOG.get(name);
    if (found === undefined) throw new Error(name);
    return found;
  };
  it.each([
    ['mig-1g.10gb', 1 / 7],
    ['mig-2g.20gb', 2 / 7],
    ['mig-3g.40gb', 0.5],
    ['mig-4g.40gb', 4 / 7],
    ['mig-7g.80gb', 1],
  ] as const)('serving capacity of %s is max(compute, bandwidth) = %d', (name, expected) => {
    expect(servingCapacity(tier(name))).toBeCloseTo(expected);
  });
  it.each([
    ['3g.40gb -> 2g.20gb halves the bandwidth', 'mig-3g.40gb', 1, 'mig-2g.20gb', 1, 2],
    ['4g.40gb -> 3g.40gb keeps the bandwidth, 4/3 by compute', 'mig-4g.40gb', 1, 'mig-3g.40gb', 1, 4 / 3],
    ['3 -> 2 replicas', 'mig-2g.20gb', 3, 'mig-2g.20gb', 2, 1.5],
  ] as const)('shrink factor: %s', (_name, from, fromReplicas, to, toReplicas, expected) => {
    expect(capacityShrinkFactor(tier(from), fromReplicas, tier(to), toReplicas)).toBeCloseTo(expected);
  });
  const signal = (value: number | undefined, direction: MetricSpec['direction']) => ({
    name: 'm',
    value,
    direction,
    upThreshold: 1,
    downThreshold: 0.5,
    state: 'slack' as const,
  });
  it.each([
    ['a latency grows by the shrink factor', signal(0.3, 'lowerIsBetter'), 0.6],
    ['a throughput falls by it', signal(300, 'higherIsBetter'), 150],
    ['no data has no projection', signal(undefined, 'lowerIsBetter'), undefined],
    ['NaN has no projection', signal(Number.NaN, 'lowerIsBetter'), undefined],
  ] as const)('projection: %s', (_name, s, expected) => {
    expect(projectAfterStepDown(s, 2)).toBe(expected);
  });
});

describe('recommendation history', () => {
  const settings = { ...BASE_SETTINGS, scaleDownStabilizationSeconds: 300 };

  it('appends only changes and drops runs that ended before the longest window', () => {
    let history: readonly Recommendation[] = [];
    history = recordRecommendation(history, { atMs: NOW - 500 * S, tier: 'a', replicas: 1 }, settings);
    history = recordRecommendation(history, { atMs: NOW - 400 * S, tier: 'b', replicas: 1 }, settings);
    history = recordRecommendation(history, { atMs: NOW - 390 * S, tier: 'b', replicas: 1 }, settings);
    history = recordRecommendation(history, { atMs: NOW - 100 * S, tier: 'c', replicas: 1 }, settings);
    history = recordRecommendation(history, { atMs: NOW, tier: 'c', replicas: 1 }, settings);
    expect(history.map((r) => r.tier)).toEqual(['b', 'c']);
  });

  it('counts a run from its start until the next one', () => {
    const history = recs([
      [500, 'a', 1],
      [290, 'b', 1],
      [100, 'c', 1],
    ]);
    expect(recommendationsInWindow(history, NOW, 300).map((r) => r.tier)).toEqual(['a', 'b', 'c']);
    expect(recommendationsInWindow(history, NOW, 150).map((r) => r.tier)).toEqual(['b', 'c']);
    expect(recommendationsInWindow(history, NOW, 0)).toEqual([]);
  });

  it('finds the start of the trailing idle run', () => {
    expect(
      idleSinceMs(
        recs([
          [100, 'a', 1, true],
          [50, 'a', 1],
          [40, 'a', 1, true],
          [10, 'a', 1, true],
        ]),
        NOW,
      ),
    ).toBe(NOW - 40 * S);
    expect(
      idleSinceMs(
        recs([
          [100, 'a', 1, true],
          [5, 'a', 1],
        ]),
        NOW,
      ),
    ).toBe(NOW);
    expect(idleSinceMs([], NOW)).toBe(NOW);
  });
});
