import { DEFAULT_SIZING_SETTINGS } from './config.js';
import { actionStarted, nextState, observationOf, pruneBackoff, shouldPersist } from './state.js';
import type { ObservedService, PersistedServiceState, Recommendation, ServiceSettings } from './types.js';

const T0 = 1_800_000_000_000;

const settings: ServiceSettings = {
  policy: 'step',
  ladder: ['mig-1g.10gb', 'mig-2g.20gb'],
  minReplicas: 1,
  maxReplicas: 4,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 300,
  cooldownSeconds: 60,
  sizing: DEFAULT_SIZING_SETTINGS,
  dryRun: false,
  migration: {
    readyTimeoutSeconds: 300,
    drainSeconds: 30,
    trafficSteps: [100],
    stepPauseSeconds: 30,
    tierBackoffSeconds: 600,
  },
};

const rec = (secondsAgo: number, tier = 'mig-1g.10gb', replicas = 1): Recommendation => ({
  atMs: T0 - secondsAgo * 1000,
  tier,
  replicas,
});

describe('pruneBackoff', () => {
  const cases: ReadonlyArray<{
    name: string;
    input: Record<string, number> | undefined;
    want: Record<string, number> | undefined;
  }> = [
    { name: 'none', input: undefined, want: undefined },
    { name: 'all expired', input: { a: T0, b: T0 - 1 }, want: undefined },
    { name: 'running kept', input: { b: T0 + 5, a: T0 - 5 }, want: { b: T0 + 5 } },
  ];
  test.each(cases)('$name', ({ input, want }) => {
    expect(pruneBackoff(input, T0)).toEqual(want);
  });
});

describe('nextState', () => {
  const previous: PersistedServiceState = {
    recommendations: [rec(700), rec(500, 'mig-2g.20gb', 2)],
    lastAction: 'up',
    lastActionAtMs: T0 - 500_000,
    tierBackoffUntilMs: { 'mig-2g.20gb': T0 - 1, 'mig-3g.40gb': T0 + 60_000 },
  };
  const cases: ReadonlyArray<{
    name: string;
    update: Parameters<typeof nextState>[1];
    want: PersistedServiceState;
  }> = [
    {
      name: 'a changed recommendation is appended, the history pruned to the window, expired back-off dropped',
      update: { recommendation: rec(0) },
      want: {
        // rec(700) ended at rec(500), before the 300 s window: dropped; rec(500) was in force in the window.
        recommendations: [rec(500, 'mig-2g.20gb', 2), rec(0)],
        lastAction: 'up',
        lastActionAtMs: T0 - 500_000,
        tierBackoffUntilMs: { 'mig-3g.40gb': T0 + 60_000 },
      },
    },
    {
      name: 'an unchanged recommendation is not appended (run-length history), the history still pruned',
      update: { recommendation: rec(0, 'mig-2g.20gb', 2) },
      want: {
        recommendations: [rec(500, 'mig-2g.20gb', 2)],
        lastAction: 'up',
        lastActionAtMs: T0 - 500_000,
        tierBackoffUntilMs: { 'mig-3g.40gb': T0 + 60_000 },
      },
    },
    {
      name: 'an action started: last action and its time recorded',
      update: { recommendation: rec(0, 'mig-1g.10gb', 3), startedAction: 'out' },
      want: {
        recommendations: [rec(500, 'mig-2g.20gb', 2), rec(0, 'mig-1g.10gb', 3)],
        lastAction: 'out',
        lastActionAtMs: T0,
        tierBackoffUntilMs: { 'mig-3g.40gb': T0 + 60_000 },
      },
    },
    {
      name: 'no decision this tick (migration resumed): history untouched',
      update: {},
      want: {
        recommendations: [rec(700), rec(500, 'mig-2g.20gb', 2)],
        lastAction: 'up',
        lastActionAtMs: T0 - 500_000,
        tierBackoffUntilMs: { 'mig-3g.40gb': T0 + 60_000 },
      },
    },
  ];
  test.each(cases)('$name', ({ update, want }) => {
    expect(nextState(previous, update, settings, T0)).toEqual(want);
  });

  test('an empty state stays minimal', () => {
    expect(nextState({ recommendations: [] }, {}, settings, T0)).toEqual({ recommendations: [] });
  });
});

describe('shouldPersist', () => {
  const saved: PersistedServiceState = {
    recommendations: [rec(20)],
    lastAction: 'in',
    lastActionAtMs: T0 - 99_000,
  };
  const cases: ReadonlyArray<{ name: string; next: PersistedServiceState; want: boolean }> = [
    { name: 'identical', next: saved, want: false },
    {
      name: 'same content, other key order and history order',
      next: { lastActionAtMs: T0 - 99_000, lastAction: 'in', recommendations: [rec(20)] },
      want: false,
    },
    {
      name: 'a recommendation appended',
      next: { ...saved, recommendations: [rec(20), rec(0, 'mig-2g.20gb')] },
      want: true,
    },
    { name: 'a new action', next: { ...saved, lastAction: 'out', lastActionAtMs: T0 }, want: true },
    { name: 'a back-off changed', next: { ...saved, tierBackoffUntilMs: { x: T0 + 1 } }, want: true },
    { name: 'history pruned', next: { ...saved, recommendations: [] }, want: true },
  ];
  test.each(cases)('$name', ({ next, want }) => {
    expect(shouldPersist(saved, next)).toBe(want);
  });
});

describe('observationOf', () => {
  const service: ObservedService = {
    namespace: 'ns',
    name: 'gpt2',
    servingRevision: 'gpt2-00001',
    readyPods: ['p'],
    tier: 'mig-1g.10gb',
    readyReplicas: 1,
    migrationInFlight: false,
    state: { recommendations: [rec(5)], lastAction: 'up', lastActionAtMs: T0 - 1 },
  };
  test('copies what DecideScale needs', () => {
    expect(observationOf(service)).toEqual({
      tier: 'mig-1g.10gb',
      readyReplicas: 1,
      migrationInFlight: false,
      recommendations: [rec(5)],
      lastAction: 'up',
      lastActionAtMs: T0 - 1,
    });
  });
  test('unknown tier: nothing to decide on', () => {
    expect(observationOf({ ...service, tier: undefined })).toBeUndefined();
  });
});

describe('actionStarted', () => {
  test.each([
    { outcome: 'done' as const, want: true },
    { outcome: 'inProgress' as const, want: true },
  ])('$outcome', ({ outcome, want }) => {
    expect(actionStarted({ outcome, reason: 'r', message: 'm' })).toBe(want);
  });
  test('failed', () => {
    expect(actionStarted({ outcome: 'failed', reason: 'r', message: 'm', errorClass: 'transient' })).toBe(
      false,
    );
  });
});
