import { DEFAULT_CATALOG } from './catalog.js';
import { capacityForOneMoreReplica, nextTierUp, placeOnLadder, previousTierDown } from './resolve.js';
import type { CapacitySnapshot } from './types.js';

const LADDER = ['mig-1g.10gb', 'mig-2g.20gb', 'mig-3g.40gb', 'mig-4g.40gb', 'mig-7g.80gb'];
const free = (units: Record<string, number>): CapacitySnapshot => ({
  nodes: [
    {
      name: 'n',
      free: Object.fromEntries(Object.entries(units).map(([k, v]) => [`nvidia.com/mig-${k}`, v])),
    },
  ],
});
const ALL = free({ '1g.10gb': 7, '2g.20gb': 3, '3g.40gb': 2, '4g.40gb': 1, '7g.80gb': 1 });

describe('nextTierUp / previousTierDown', () => {
  it.each([
    ['up one step', 'up', 'mig-1g.10gb', {}, ALL, 1, {}, 'mig-2g.20gb'],
    ['skips a tier without capacity', 'up', 'mig-1g.10gb', {}, free({ '3g.40gb': 1 }), 1, {}, 'mig-3g.40gb'],
    ['skips a tier in backoff', 'up', 'mig-1g.10gb', {}, ALL, 1, { 'mig-2g.20gb': 2000 }, 'mig-3g.40gb'],
    [
      'an expired backoff does not count',
      'up',
      'mig-1g.10gb',
      {},
      ALL,
      1,
      { 'mig-2g.20gb': 1000 },
      'mig-2g.20gb',
    ],
    ['needs room for every replica', 'up', 'mig-2g.20gb', {}, ALL, 2, {}, 'mig-3g.40gb'],
    ['stops at maxTier', 'up', 'mig-3g.40gb', { maxTier: 'mig-3g.40gb' }, ALL, 1, {}, 'atLimit'],
    ['no capacity anywhere above', 'up', 'mig-3g.40gb', {}, free({}), 1, {}, 'noCapacity'],
    ['at the top', 'up', 'mig-7g.80gb', {}, ALL, 1, {}, 'atLimit'],
    ['down one step', 'down', 'mig-3g.40gb', {}, ALL, 1, {}, 'mig-2g.20gb'],
    ['down stops at minTier', 'down', 'mig-2g.20gb', { minTier: 'mig-2g.20gb' }, ALL, 1, {}, 'atLimit'],
    [
      'off-ladder tier goes to the next larger ladder tier',
      'up',
      'mig-1g.20gb',
      {},
      ALL,
      1,
      {},
      'mig-2g.20gb',
    ],
    [
      'off-ladder tier goes down to the next smaller one',
      'down',
      'mig-1g.20gb',
      {},
      ALL,
      1,
      {},
      'mig-1g.10gb',
    ],
    ['unknown tier goes to the bottom', 'up', 'cpu', {}, ALL, 1, {}, 'mig-1g.10gb'],
  ] as const)('%s', (_name, direction, current, bounds, capacity, pods, backoffUntilMs, expected) => {
    const step = (direction === 'up' ? nextTierUp : previousTierDown)(
      DEFAULT_CATALOG,
      { ladder: LADDER, ...bounds },
      current,
      { capacity, pods, nowMs: 1000, backoffUntilMs },
    );
    expect(step.found ? step.tier.name : step.reason).toBe(expected);
  });

  it('says which tiers it skipped and why', () => {
    const step = nextTierUp(DEFAULT_CATALOG, { ladder: LADDER }, 'mig-2g.20gb', {
      capacity: free({}),
      pods: 1,
      nowMs: 0,
      backoffUntilMs: { 'mig-3g.40gb': 10 },
    });
    expect(step).toEqual({
      found: false,
      reason: 'noCapacity',
      message:
        'no larger tier for 1 pod(s) (mig-3g.40gb: backoff, mig-4g.40gb: noCapacity, mig-7g.80gb: noCapacity)',
      skipped: [
        { tier: 'mig-3g.40gb', reason: 'backoff' },
        { tier: 'mig-4g.40gb', reason: 'noCapacity' },
        { tier: 'mig-7g.80gb', reason: 'noCapacity' },
      ],
    });
  });
});

describe('placeOnLadder', () => {
  it.each([
    ['mig-2g.20gb', {}, 'within'],
    ['mig-1g.10gb', { minTier: 'mig-2g.20gb' }, 'belowMinimum'],
    ['mig-7g.80gb', { maxTier: 'mig-4g.40gb' }, 'aboveMaximum'],
    ['gpu-x2', {}, 'aboveMaximum'],
    ['gpu', {}, 'within'],
    ['mig-1g.20gb', {}, 'within'],
    ['mig-1g.5gb', {}, 'belowMinimum'],
    ['nope', {}, 'unknown'],
  ] as const)('%s %j', (tier, bounds, expected) => {
    expect(placeOnLadder(DEFAULT_CATALOG, { ladder: LADDER, ...bounds }, tier)).toBe(expected);
  });
});

describe('capacityForOneMoreReplica', () => {
  it.each([
    ['mig-4g.40gb', true],
    ['mig-7g.80gb', true],
    ['mig-1g.20gb', false],
  ] as const)('%s: %s', (name, expected) => {
    const tier = DEFAULT_CATALOG.get(name);
    expect(tier && capacityForOneMoreReplica(ALL, tier)).toBe(expected);
  });

  it('skips ladder names the catalog does not know', () => {
    const step = nextTierUp(
      DEFAULT_CATALOG,
      { ladder: ['mig-1g.10gb', 'mig-9g', 'mig-2g.20gb'] },
      'mig-1g.10gb',
      {
        capacity: ALL,
        pods: 1,
        nowMs: 0,
      },
    );
    expect(step).toMatchObject({ found: true, skipped: [{ tier: 'mig-9g', reason: 'notInCatalog' }] });
  });
});
