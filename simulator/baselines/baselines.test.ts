import type { MetricSpec } from '../../autoscaler/index.js';
import { apaDesiredReplicas } from './aibrix-apa.js';
import { hpaBehavior, hpaDesiredReplicas } from './hpa.js';
import { oneStep, originalVerdict } from './ksiss-original.js';
import { KPA_DEFAULTS, kpaDecide } from './kpa.js';
import { maxRatioDesired } from './kubeai-max-ratio.js';

// Worked examples from /work/shared/reference/anchors.md and kubeai-policy.md, one table per algorithm.

describe('HPA v2 (anchors: Kubernetes HPA v2)', () => {
  const cases = [
    {
      name: 'desired = ceil(current x metric / target)',
      current: 3,
      metrics: [{ value: 150, target: 100 }],
      want: 5,
    },
    {
      name: 'within the 10% tolerance: no change',
      current: 3,
      metrics: [{ value: 108, target: 100 }],
      want: 3,
    },
    {
      name: 'just outside the tolerance scales',
      current: 4,
      metrics: [{ value: 115, target: 100 }],
      want: 5,
    },
    { name: 'scale-down by ratio', current: 6, metrics: [{ value: 20, target: 100 }], want: 2 },
    {
      name: 'several metrics: the largest desired count wins',
      current: 2,
      metrics: [
        { value: 50, target: 100 },
        { value: 300, target: 100 },
      ],
      want: 6,
    },
    {
      name: 'a metric without data and the rest saying down: hold',
      current: 4,
      metrics: [
        { value: Number.NaN, target: 100 },
        { value: 10, target: 100 },
      ],
      want: 4,
    },
    {
      name: 'a metric without data does not block a scale-up',
      current: 2,
      metrics: [
        { value: Number.NaN, target: 100 },
        { value: 200, target: 100 },
      ],
      want: 4,
    },
  ];
  it.each(cases)('$name', ({ current, metrics, want }) => {
    expect(
      hpaDesiredReplicas(
        current,
        metrics.map((m, i) => ({ name: `m${i}`, ...m })),
      ),
    ).toBe(want);
  });

  const bounds = { minReplicas: 1, maxReplicas: 100 };
  const behaviour = [
    {
      name: 'scale-up limited to max(2 x current, current + 4): 1 -> 5',
      current: 1,
      desired: 10,
      history: [],
      want: 5,
    },
    { name: 'scale-up limited to 2 x current: 8 -> 16', current: 8, desired: 30, history: [], want: 16 },
    {
      name: 'scale-down stabilization: the highest recommendation of 300 s wins',
      current: 6,
      desired: 2,
      history: [{ atMs: 1_000_000 - 200_000, replicas: 5 }],
      want: 5,
    },
    {
      name: 'recommendations older than 300 s are forgotten',
      current: 6,
      desired: 2,
      history: [{ atMs: 1_000_000 - 301_000, replicas: 5 }],
      want: 2,
    },
  ];
  it.each(behaviour)('behaviour: $name', ({ current, desired, history, want }) => {
    expect(hpaBehavior(current, desired, 1_000_000, { recommendations: history }, bounds).replicas).toBe(
      want,
    );
  });
});

describe('KPA (anchors: Knative Pod Autoscaler defaults)', () => {
  const target = 100 * KPA_DEFAULTS.targetUtilization; // container concurrency 100 x 0.7
  it('targets 70 concurrent requests per pod and windows of 60 s / 6 s', () => {
    expect(target).toBe(70);
    expect(KPA_DEFAULTS.stableWindowMs).toBe(60_000);
    expect(KPA_DEFAULTS.panicWindowMs).toBe(6000);
    expect(KPA_DEFAULTS.tickMs).toBe(2000);
  });
  const cases = [
    { name: 'desired = ceil(350 / 70) = 5', ready: 3, stable: 350, panic: 350, want: 5, panicking: false },
    {
      name: 'scale-down limited to floor(ready / 2)',
      ready: 10,
      stable: 10,
      panic: 10,
      want: 5,
      panicking: false,
    },
    {
      name: 'panic: panic-window desired >= 2 x ready',
      ready: 2,
      stable: 150,
      panic: 300,
      want: 5,
      panicking: true,
    },
  ];
  it.each(cases)('$name', ({ ready, stable, panic, want, panicking }) => {
    const out = kpaDecide(
      {
        nowMs: 100_000,
        readyPods: ready,
        stableConcurrency: stable,
        panicConcurrency: panic,
        targetPerPod: target,
      },
      {},
    );
    expect(out.desired).toBe(want);
    expect(out.state.panicSinceMs !== undefined).toBe(panicking);
  });
  it('never scales down while panicking, and panic ends one stable window after the last breach', () => {
    const input = { readyPods: 5, targetPerPod: target };
    const inPanic = { panicSinceMs: 100_000, lastBreachMs: 100_000, panicDesired: 5 };
    const during = kpaDecide(
      { ...input, nowMs: 130_000, stableConcurrency: 70, panicConcurrency: 70 },
      inPanic,
    );
    expect(during.desired).toBe(5);
    expect(during.state.panicSinceMs).toBe(100_000);
    const after = kpaDecide(
      { ...input, nowMs: 160_000, stableConcurrency: 70, panicConcurrency: 70 },
      inPanic,
    );
    expect(after.state.panicSinceMs).toBeUndefined();
    expect(after.desired).toBe(2); // ceil(70 / 70) = 1, but at most halved per decision: floor(5 / 2)
  });
});

describe('AIBrix APA (anchors)', () => {
  const cases = [
    { name: 'up: min(ceil(N x ratio), ceil(2N))', n: 4, value: 0.75, target: 0.5, want: 6 },
    { name: 'up capped at 2N', n: 4, value: 1.5, target: 0.5, want: 8 },
    { name: 'down: max(ceil(N x ratio), floor(N / 2))', n: 4, value: 0.25, target: 0.5, want: 2 },
    { name: 'down capped at N / 2', n: 10, value: 0.05, target: 0.5, want: 5 },
    { name: 'within +-10%: hold', n: 4, value: 0.53, target: 0.5, want: 4 },
    { name: 'no data: hold', n: 4, value: Number.NaN, target: 0.5, want: 4 },
  ];
  it.each(cases)('$name', ({ n, value, target, want }) => {
    expect(apaDesiredReplicas(n, value, target)).toBe(want);
  });
});

describe('KubeAI MaxRatio (kubeai-policy.md, defect 1 fixed)', () => {
  const bounds = { minReplicas: 1, maxReplicas: 10 };
  const cases = [
    { name: 'the largest ratio wins: ceil(2 x 1.5) = 3', current: 2, ratios: [1.5, 0.5], want: 3 },
    { name: 'it can scale down (the maximum starts at 0)', current: 4, ratios: [0.4, 0.2], want: 2 },
    { name: 'a zero value counts', current: 4, ratios: [0, 0.2], want: 1 },
    { name: 'within the tolerance: hold', current: 4, ratios: [1.05], want: 4 },
    { name: 'clamped to maxReplicas', current: 8, ratios: [3], want: 10 },
  ];
  it.each(cases)('$name', ({ current, ratios, want }) => {
    const metrics = ratios.map((r, i) => ({ name: `m${i}`, value: r * 10, target: 10 }));
    expect(maxRatioDesired(current, metrics, bounds)).toBe(want);
  });
});

describe('the original K-SISS policy (k-siss-original.md, defects kept)', () => {
  const metric = (name: string): MetricSpec => ({
    name,
    query: 'q',
    slo: 0.5,
    scaleUpFactor: 1.5,
    scaleDownFactor: 0.5,
    direction: 'lowerIsBetter',
    aggregate: 'max',
  });
  const cases: ReadonlyArray<{ name: string; values: Readonly<Record<string, number>>; want: string }> = [
    { name: 'above slo x up: up', values: { a: 0.8 }, want: 'up' },
    { name: 'below slo x down: down', values: { a: 0.2 }, want: 'down' },
    { name: 'in band: hold', values: { a: 0.5 }, want: 'hold' },
    { name: 'NaN (no requests) means down (defect 4)', values: { a: Number.NaN }, want: 'down' },
    { name: 'the last metric outside its band wins (defect 5)', values: { a: 0.8, b: 0.1 }, want: 'down' },
  ];
  it.each(cases)('$name', ({ values, want }) => {
    const metrics = Object.keys(values).map(metric);
    expect(originalVerdict(metrics, values)).toBe(want);
  });
  it('moves one step within its ladder only', () => {
    const ladder = ['mig-1g.10gb', 'mig-2g.20gb', 'mig-3g.40gb'];
    expect(oneStep(ladder, 'mig-1g.10gb', 'up')).toBe('mig-2g.20gb');
    expect(oneStep(ladder, 'mig-1g.10gb', 'down')).toBeUndefined();
    expect(oneStep(ladder, 'mig-3g.40gb', 'up')).toBeUndefined();
  });
});
