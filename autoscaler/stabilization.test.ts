import {
  applyScalingPolicies,
  cooldownRemainingMs,
  runEnds,
  stabilizeReplicas,
  windowExtreme,
  type ReplicaScalingPolicy,
} from './stabilization.js';

const NOW = 1_800_000_000_000;
const S = 1000;
const ago = (seconds: number, replicas: number) => ({ atMs: NOW - seconds * S, replicas });

describe('stabilizeReplicas (HPA semantics)', () => {
  it.each([
    ['no history: desired', [], 3, 5, 0, 300, 3],
    [
      'scale-down held by the highest recommendation of the window',
      [ago(100, 8), ago(50, 6)],
      3,
      8,
      0,
      300,
      8,
    ],
    [
      'scale-down to the highest of the window when it is below current',
      [ago(100, 6), ago(50, 4)],
      3,
      8,
      0,
      300,
      6,
    ],
    ['recommendations older than the window do not count', [ago(400, 8)], 3, 8, 0, 300, 3],
    ['a recommendation exactly at the cutoff does not count', [ago(300, 8)], 3, 8, 0, 300, 3],
    ['scale-up with no up window: desired', [ago(10, 2)], 6, 2, 0, 300, 6],
    [
      'scale-up held by the lowest recommendation of the up window',
      [ago(30, 2), ago(10, 5)],
      6,
      2,
      60,
      300,
      2,
    ],
    [
      'scale-up to the lowest of the window when it is above current',
      [ago(30, 4), ago(10, 5)],
      6,
      2,
      60,
      300,
      4,
    ],
    ['desired equal to current stays, whatever the window holds', [ago(10, 9)], 4, 4, 0, 300, 4],
  ] as const)('%s', (_name, history, desired, current, up, down, expected) => {
    expect(
      stabilizeReplicas(history, NOW, desired, {
        currentReplicas: current,
        scaleUpWindowSeconds: up,
        scaleDownWindowSeconds: down,
      }),
    ).toBe(expected);
  });
});

const HPA_UP: readonly ReplicaScalingPolicy[] = [
  { type: 'Percent', value: 100, periodSeconds: 15 },
  { type: 'Pods', value: 4, periodSeconds: 15 },
];
const HPA_DOWN: readonly ReplicaScalingPolicy[] = [{ type: 'Percent', value: 100, periodSeconds: 15 }];

describe('applyScalingPolicies (HPA semantics)', () => {
  it.each([
    ['HPA default up from 1: max(100% -> 2, +4 -> 5) = 5', 1, 10, HPA_UP, 'Max', [], 5],
    ['HPA default up from 10: max(20, 14) = 20', 10, 50, HPA_UP, 'Max', [], 20],
    ['Min picks the most restrictive policy', 10, 50, HPA_UP, 'Min', [], 14],
    ['Disabled keeps current', 10, 50, HPA_UP, 'Disabled', [], 10],
    ['desired within the limit is kept', 2, 3, HPA_UP, 'Max', [], 3],
    [
      'changes within the period count against it',
      8,
      20,
      [{ type: 'Pods', value: 4, periodSeconds: 60 }],
      'Max',
      [{ atMs: NOW - 30 * S, replicasChange: 4 }],
      8,
    ],
    [
      'changes older than the period do not',
      8,
      20,
      [{ type: 'Pods', value: 4, periodSeconds: 60 }],
      'Max',
      [{ atMs: NOW - 60 * S, replicasChange: 4 }],
      12,
    ],
    ['percent up rounds up', 3, 10, [{ type: 'Percent', value: 10, periodSeconds: 15 }], 'Max', [], 4],
    ['HPA default down may go all the way', 10, 1, HPA_DOWN, 'Max', [], 1],
    [
      'down by at most 2 pods per minute',
      10,
      1,
      [{ type: 'Pods', value: 2, periodSeconds: 60 }],
      'Max',
      [],
      8,
    ],
    ['down percent truncates', 5, 1, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', [], 2],
    [
      'down Min keeps the most replicas',
      10,
      1,
      [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
      'Min',
      [],
      8,
    ],
    [
      'down Max removes the most',
      10,
      1,
      [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
      'Max',
      [],
      5,
    ],
    [
      'down with removals in the period',
      8,
      1,
      [{ type: 'Pods', value: 2, periodSeconds: 60 }],
      'Max',
      [{ atMs: NOW - 10 * S, replicasChange: -2 }],
      8,
    ],
    ['down Disabled keeps current', 8, 1, HPA_DOWN, 'Disabled', [], 8],
    ['no policies: desired', 8, 1, [], 'Max', [], 1],
  ] as const)('%s', (_name, current, desired, policies, select, past, expected) => {
    expect(applyScalingPolicies(current, desired, policies, select, past, NOW)).toBe(expected);
  });
});

describe('cooldownRemainingMs', () => {
  it.each([
    ['no action yet', undefined, 60, 0],
    ['within the cooldown', NOW - 20 * S, 60, 40 * S],
    ['exactly at its end', NOW - 60 * S, 60, 0],
    ['after it', NOW - 90 * S, 60, 0],
  ] as const)('%s', (_name, last, seconds, expected) => {
    expect(cooldownRemainingMs(last, NOW, seconds)).toBe(expected);
  });
});

describe('the shared window rule (runEnds, windowExtreme)', () => {
  const byNumber = (a: number, b: number): number => a - b;
  it('a run-length history counts each run at its end, the last at now', () => {
    expect(
      runEnds(
        [
          { atMs: NOW - 400_000, value: 6 },
          { atMs: NOW - 350_000, value: 4 },
        ],
        NOW,
      ),
    ).toEqual([
      { atMs: NOW - 350_000, value: 6 },
      { atMs: NOW, value: 4 },
    ]);
  });
  it.each([
    ['lowest of the up window, desired included', 60, 'lowest', 5, 3],
    ['highest of the down window, desired included', 300, 'highest', 1, 9],
    ['points at or before the cutoff do not count', 100, 'highest', 1, 4],
  ] as const)('%s', (_name, windowSeconds, pick, desired, want) => {
    const points = [
      { atMs: NOW - 200_000, value: 6 },
      { atMs: NOW - 100_000, value: 9 },
      { atMs: NOW - 30_000, value: 3 },
      { atMs: NOW - 10_000, value: 4 },
    ];
    expect(windowExtreme(points, NOW, windowSeconds, desired, pick, byNumber)).toBe(want);
  });
});
