import { ObservationStore, SIMULATED_SERIES, type SimulatedSeriesName } from '../observations.js';
import type { PolicyAction, ServiceView, SimPolicy } from '../policy.js';
import { apaPolicy } from './aibrix-apa.js';
import { hpaPolicy } from './hpa.js';
import { kpaPolicy } from './kpa.js';
import { kubeAiPolicy } from './kubeai-max-ratio.js';

// Scenario tests: each baseline policy object driven over time, as simulate.ts drives it (decide on every
// tick g > 0 with g % tickMs == 0, then acted), with views built from a made-up load. The expected replicas
// are worked by hand from /work/shared/reference/anchors.md and kubeai-policy.md; each case names its rule.

/** A made-up service over time. */
interface Scenario {
  /** Replicas asked for (and ready) at 0 s. */
  readonly replicas: number;
  readonly untilS: number;
  /** A pod asked for becomes ready this long after (scale-downs are immediate); 0 when omitted. */
  readonly readyDelayS?: number;
  /** What the series return at a tick, given the replicas asked for; the rest are NaN. */
  readonly metrics?: (atS: number, replicas: number) => Partial<Record<SimulatedSeriesName, number>>;
  /** Requests in flight, sampled every second (what KPA's windows average). */
  readonly inFlight?: (atS: number) => number;
}

/** One control tick: the replicas asked for after it and what the policy said. */
interface Tick {
  readonly atS: number;
  readonly replicas: number;
  readonly action: PolicyAction;
}

function run(policy: SimPolicy, scenario: Scenario): Tick[] {
  const observations = new ObservationStore(1000);
  const delayS = scenario.readyDelayS ?? 0;
  const askedBySecond: number[] = [];
  let asked = scenario.replicas;
  const ticks: Tick[] = [];
  for (let atS = 0; atS <= scenario.untilS; atS += 1) {
    const nowMs = atS * 1000;
    const askedEarlier = delayS === 0 ? asked : (askedBySecond[atS - delayS] ?? scenario.replicas);
    const ready = Math.min(asked, askedEarlier);
    observations.recordGauges({
      atMs: nowMs,
      queueLength: 0,
      inFlight: scenario.inFlight?.(atS) ?? 0,
      readyReplicas: ready,
      kvUsageMean: 0,
      busyMsTotal: 0,
      podMsTotal: 0,
    });
    if (nowMs > 0 && nowMs % policy.tickMs === 0) {
      const metrics = Object.fromEntries(Object.keys(SIMULATED_SERIES).map((name) => [name, Number.NaN]));
      const view: ServiceView = {
        nowMs,
        tier: 'gpu',
        desiredReplicas: asked,
        readyReplicas: ready,
        migrationInFlight: false,
        capacity: { nodes: [] },
        tierBackoffUntilMs: {},
        servingSinceMs: 0,
        metrics: { ...metrics, ...scenario.metrics?.(atS, asked) } as ServiceView['metrics'],
        observations,
      };
      const action = policy.decide(view);
      const started = action.kind === 'scale' && action.replicas !== asked;
      if (started) asked = action.replicas;
      policy.acted?.(view, action, started);
      ticks.push({ atS, replicas: asked, action });
    }
    askedBySecond[atS] = asked;
  }
  return ticks;
}

/** Replicas asked for after every tick in [fromS, toS]. */
type Holds = ReadonlyArray<readonly [fromS: number, toS: number, replicas: number]>;

function expectHolds(ticks: readonly Tick[], holds: Holds): void {
  for (const [fromS, toS, replicas] of holds) {
    const within = ticks.filter((t) => t.atS >= fromS && t.atS <= toS);
    expect(within.length).toBeGreaterThan(0);
    expect(within.map((t) => [t.atS, t.replicas])).toEqual(within.map((t) => [t.atS, replicas]));
  }
}

function scalesOf(ticks: readonly Tick[]): number[] {
  return ticks.flatMap((t) => (t.action.kind === 'scale' ? [t.replicas] : []));
}

/** A per-replica series for a total `load` spread over the replicas asked for. */
const perReplica =
  (name: SimulatedSeriesName, load: (atS: number) => number) =>
  (atS: number, replicas: number): Partial<Record<SimulatedSeriesName, number>> => ({
    [name]: load(atS) / replicas,
  });

describe('HPA v2 over time (anchors: Kubernetes HPA v2)', () => {
  // One metric, 10 per pod (e.g. concurrency); minReplicas 1.
  const hpa = (maxReplicas: number): SimPolicy =>
    hpaPolicy({ tier: 'gpu', minReplicas: 1, maxReplicas, targets: { concurrency_per_replica: 10 } });

  it('syncs every 15 s (sync period 15 s)', () => {
    expect(hpa(20).tickMs).toBe(15_000);
  });

  const cases: ReadonlyArray<{
    name: string;
    maxReplicas: number;
    replicas: number;
    untilS: number;
    load: (atS: number) => number;
    holds: Holds;
    scales: readonly number[];
  }> = [
    {
      // |1 - 0.92| and |1 - 1.08| <= 0.1: hold; 11.5 / 10 -> ceil(4 x 1.15) = 5; then 46 / 5 = 9.2: hold.
      name: 'tolerance 0.1: 9.2 and 10.8 per pod hold, 11.5 scales 4 -> 5, and 9.2 on 5 pods holds',
      maxReplicas: 20,
      replicas: 4,
      untilS: 180,
      load: (t) => (t <= 60 ? 36.8 : t <= 120 ? 43.2 : 46),
      holds: [
        [15, 120, 4],
        [135, 180, 5],
      ],
      scales: [5],
    },
    {
      // 100 on 1 pod -> 10, limited to max(2 x 1, 1 + 4) = 5; 20 on 5 -> 10, within max(10, 9).
      name: 'scale-up policies 100% or 4 pods per 15 s, selectPolicy Max: 1 -> 5 -> 10 (4 pods wins)',
      maxReplicas: 20,
      replicas: 1,
      untilS: 60,
      load: () => 100,
      holds: [
        [15, 15, 5],
        [30, 60, 10],
      ],
      scales: [5, 10],
    },
    {
      // 50 on 8 -> 40, limited to max(16, 12) = 16; 25 on 16 -> 40, max(32, 20) = 32; 12.5 on 32 -> 40.
      name: 'scale-up policies, selectPolicy Max: 8 -> 16 -> 32 -> 40 (100% wins)',
      maxReplicas: 100,
      replicas: 8,
      untilS: 75,
      load: () => 400,
      holds: [
        [15, 15, 16],
        [30, 30, 32],
        [45, 75, 40],
      ],
      scales: [16, 32, 40],
    },
    {
      // Recommendations: 8 at 15 s, ceil(8 x 0.75) = 6 at 30 s, ceil(8 x 0.2) = 2 from 45 s. The highest
      // of the last 300 s wins: 8 until 15 s leaves the window (315 s), then 6 until 30 s leaves it (330 s).
      // Scale-down policy 100% per 15 s does not limit 6 -> 2.
      name: 'scale-down stabilization 300 s, highest recommendation of the window: 8 -> 6 at 315 s -> 2 at 330 s',
      maxReplicas: 20,
      replicas: 8,
      untilS: 375,
      load: (t) => (t <= 15 ? 80 : t <= 30 ? 60 : 16),
      holds: [
        [15, 300, 8],
        [315, 315, 6],
        [330, 375, 2],
      ],
      scales: [6, 2],
    },
    {
      // Recommendations: 4 at 15 s, 1 (ceil(4 x 0.2)) until 150 s, 4 again at 165 s (one tick at target),
      // then 1: the window keeps 4 until 165 s leaves it at 465 s (without the spike: 315 s).
      name: 'scale-down stabilization 300 s: one recommendation at the current count restarts the window',
      maxReplicas: 20,
      replicas: 4,
      untilS: 480,
      load: (t) => (t <= 15 ? 40 : t <= 150 ? 8 : t <= 165 ? 40 : 8),
      holds: [
        [15, 450, 4],
        [465, 480, 1],
      ],
      scales: [1],
    },
  ];
  it.each(cases)('$name', ({ maxReplicas, replicas, untilS, load, holds, scales }) => {
    const ticks = run(hpa(maxReplicas), {
      replicas,
      untilS,
      metrics: perReplica('concurrency_per_replica', load),
    });
    expectHolds(ticks, holds);
    expect(scalesOf(ticks)).toEqual(scales);
  });
});

describe('KPA over time (anchors: Knative Pod Autoscaler defaults)', () => {
  // containerConcurrency 100: target 70 per pod; tick 2 s; pods ready 20 s after they are asked for.
  const kpa = (): SimPolicy =>
    kpaPolicy({ tier: 'gpu', minReplicas: 1, maxReplicas: 50, containerConcurrency: 100 });

  const cases: ReadonlyArray<{
    name: string;
    replicas: number;
    untilS: number;
    inFlight: (atS: number) => number;
    holds: Holds;
    /** Every scale action: replicas and whether KPA was panicking. */
    scales: ReadonlyArray<readonly [number, 'stable' | 'panic']>;
  }> = [
    {
      // 280 -> 420 after 60 s on 4 pods. Stable window (60 s) mean at t: 280 + 140 (t - 60) / 60, so
      // ceil(mean / 70) = ceil(4 + (t - 60) / 30): 5 from 62 s, 6 from 92 s. The panic window never gives
      // ceil(420 / 70) = 6 >= 2 x 4 ready: no panic.
      name: 'stable window 60 s: a 1.5x step is followed over a minute (4 -> 5 at 62 s -> 6 at 92 s), no panic',
      replicas: 4,
      untilS: 120,
      inFlight: (t) => (t <= 60 ? 280 : 420),
      holds: [
        [2, 60, 4],
        [62, 90, 5],
        [92, 120, 6],
      ],
      scales: [
        [5, 'stable'],
        [6, 'stable'],
      ],
    },
    {
      // 140 -> 280 after 60 s on 2 ready pods. At 62 s the panic window (6 s) mean is (4 x 140 + 2 x 280) / 6
      // -> ceil(2.67) = 3 < 2 x 2, stable ceil(144.7 / 70) = 3; at 64 s (2 x 140 + 4 x 280) / 6 -> ceil(3.33)
      // = 4 = 2 x 2 ready: "at least 2x" enters panic and asks for 4.
      name: 'panic threshold 200%: exactly 2x the ready pods in the 6 s window enters panic',
      replicas: 2,
      untilS: 70,
      inFlight: (t) => (t <= 60 ? 140 : 280),
      holds: [
        [2, 60, 2],
        [62, 62, 3],
        [64, 70, 4],
      ],
      scales: [
        [3, 'stable'],
        [4, 'panic'],
      ],
    },
    {
      // 140 on 2 pods, 700 in (60, 70] s, 140 after. Panic window: 62 s (4 x 140 + 2 x 700) / 6 -> 5
      // (stable alone: 3), 64 s -> 8, 66 s -> 10. Last breach at 74 s ((2 x 700 + 4 x 140) / 6 -> 5 >=
      // 2 x 2 ready); no scale-down while panicking, so 10 through 132 s (< 74 + 60). After panic, stable
      // ceil(140 / 70) = 2, at most halved per decision: 10 -> 5 -> 2.
      name: 'panic window 6 s: a 5x burst scales 2 -> 5 -> 8 -> 10, held one stable window after the last breach, then halved per step',
      replicas: 2,
      untilS: 150,
      inFlight: (t) => (t <= 60 ? 140 : t <= 70 ? 700 : 140),
      holds: [
        [2, 60, 2],
        [62, 62, 5],
        [64, 64, 8],
        [66, 132, 10],
        [140, 150, 2],
      ],
      scales: [
        [5, 'panic'],
        [8, 'panic'],
        [10, 'panic'],
        [5, 'stable'],
        [2, 'stable'],
      ],
    },
  ];
  it.each(cases)('$name', ({ replicas, untilS, inFlight, holds, scales }) => {
    const ticks = run(kpa(), { replicas, untilS, readyDelayS: 20, inFlight });
    expect(ticks[0]?.atS).toBe(2);
    expectHolds(ticks, holds);
    expect(ticks.flatMap((t) => (t.action.kind === 'scale' ? [[t.replicas, t.action.reason]] : []))).toEqual(
      scales,
    );
  });
});

describe('KubeAI MaxRatio over time (kubeai-policy.md defaults)', () => {
  // One metric, 10 per pod; cooldownPeriod 300 s; scaleUp / scaleDown stabilizationWindowSeconds 60 / 300.
  const kubeAi = (): SimPolicy =>
    kubeAiPolicy({ tier: 'gpu', minReplicas: 1, maxReplicas: 20, targets: { concurrency_per_replica: 10 } });

  const cases: ReadonlyArray<{
    name: string;
    replicas: number;
    untilS: number;
    load: (atS: number) => number;
    holds: Holds;
    scales: readonly number[];
  }> = [
    {
      // Recommendations 2 (ratio 1) until 60 s, then ceil(2 x 2) = 4. The lowest of the last 60 s is 2
      // until 60 s leaves the window at 120 s.
      name: 'scale-up stabilization 60 s: a doubling seen from 75 s is acted on at 120 s (2 -> 4)',
      replicas: 2,
      untilS: 150,
      load: (t) => (t <= 60 ? 20 : 40),
      holds: [
        [15, 105, 2],
        [120, 150, 4],
      ],
      scales: [4],
    },
    {
      // 2 -> 4 at 15 s (no earlier recommendation, no earlier action). From 45 s the recommendation is 8,
      // the lowest of 60 s is 8 from 90 s, but cooldownPeriod 300 s holds until 15 + 300 = 315 s.
      name: 'cooldownPeriod 300 s: the minimum time between two scaling actions (4 -> 8 at 315 s, not 90 s)',
      replicas: 2,
      untilS: 345,
      load: (t) => (t <= 30 ? 40 : 80),
      holds: [
        [15, 300, 4],
        [315, 345, 8],
      ],
      scales: [4, 8],
    },
    {
      // Recommendations 4 at 15 s and 30 s, then ceil(4 x 0.2) = 1: the highest of the last 300 s is 4
      // until 30 s leaves the window at 330 s; the fixed MaxRatio can scale down (defect 1).
      name: 'scale-down stabilization 300 s: 4 -> 1 only once the last 4 is 300 s old (330 s)',
      replicas: 4,
      untilS: 360,
      load: (t) => (t <= 30 ? 40 : 8),
      holds: [
        [15, 315, 4],
        [330, 360, 1],
      ],
      scales: [1],
    },
  ];
  it.each(cases)('$name', ({ replicas, untilS, load, holds, scales }) => {
    const ticks = run(kubeAi(), { replicas, untilS, metrics: perReplica('concurrency_per_replica', load) });
    expectHolds(ticks, holds);
    expect(scalesOf(ticks)).toEqual(scales);
  });
});

describe('AIBrix APA over time (anchors: AIBrix APA)', () => {
  // KV-cache usage, target 0.5; scale-up cooldown 0 s, scale-down cooldown 300 s.
  const apa = (): SimPolicy =>
    apaPolicy({ tier: 'gpu', minReplicas: 1, maxReplicas: 20, metric: 'kv_cache_usage', target: 0.5 });

  const cases: ReadonlyArray<{
    name: string;
    replicas: number;
    untilS: number;
    kvCacheUsage: (atS: number, replicas: number) => number;
    holds: Holds;
    scales: readonly number[];
  }> = [
    {
      // Usage stays 0.8 (ratio 1.6) as the load grows: min(ceil(N x 1.6), ceil(2N)) on every tick:
      // 2 -> 4 -> 7 -> 12.
      name: 'scale-up cooldown 0 s: scale-ups on consecutive ticks (2 -> 4 -> 7 -> 12)',
      replicas: 2,
      untilS: 45,
      kvCacheUsage: () => 0.8,
      holds: [
        [15, 15, 4],
        [30, 30, 7],
        [45, 45, 12],
      ],
      scales: [4, 7, 12],
    },
    {
      // Usage 0.1 (ratio 0.2): max(ceil(N x 0.2), floor(N / 2)) = 4, then 2, then 1; each scale-down at
      // least 300 s after the previous scaling: 15 s, 315 s, 615 s.
      name: 'scale-down cooldown 300 s and at most floor(N / 2): 8 -> 4 at 15 s -> 2 at 315 s -> 1 at 615 s',
      replicas: 8,
      untilS: 630,
      kvCacheUsage: () => 0.1,
      holds: [
        [15, 300, 4],
        [315, 600, 2],
        [615, 630, 1],
      ],
      scales: [4, 2, 1],
    },
    {
      // A total of 0.8 on 8 pods (0.1) -> 4; then 4.0: 1.0 on 4 pods (ratio 2) -> min(8, 8) = 8 at once,
      // although the last action (a scale-down) was 15 s before; 0.5 on 8 pods holds.
      name: 'scale-up cooldown 0 s: a scale-up right after a scale-down is not held (8 -> 4 -> 8)',
      replicas: 8,
      untilS: 60,
      kvCacheUsage: (t, n) => (t <= 15 ? 0.8 : 4) / n,
      holds: [
        [15, 15, 4],
        [30, 60, 8],
      ],
      scales: [4, 8],
    },
  ];
  it.each(cases)('$name', ({ replicas, untilS, kvCacheUsage, holds, scales }) => {
    const ticks = run(apa(), {
      replicas,
      untilS,
      metrics: (t, n) => ({ kv_cache_usage: kvCacheUsage(t, n) }),
    });
    expectHolds(ticks, holds);
    expect(scalesOf(ticks)).toEqual(scales);
  });
});
