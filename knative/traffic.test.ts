import {
  followsLatestRevision,
  normalizeTrafficSteps,
  servingRevisionName,
  splitTraffic,
  trafficSum,
} from './traffic.js';
import { OLD, service, specOn } from './test-fixtures.js';

describe('splitTraffic', () => {
  it.each([0, 1, 25, 33.3, 50, 99, 100, -5, 140])(
    '%p%% to the new revision sums to 100 and omits 0%% entries',
    (p) => {
      const traffic = splitTraffic('a', 'b', p);
      expect(trafficSum(traffic)).toBe(100);
      expect(traffic.every((t) => (t.percent ?? 0) > 0)).toBe(true);
      if (p <= 0) expect(traffic).toEqual([{ revisionName: 'a', percent: 100 }]);
      if (p >= 100) expect(traffic).toEqual([{ revisionName: 'b', percent: 100 }]);
    },
  );
});

describe('normalizeTrafficSteps', () => {
  it.each([
    { name: 'empty -> all at once', steps: [], want: [100] },
    { name: 'already fine', steps: [10, 50, 100], want: [10, 50, 100] },
    { name: 'missing final 100', steps: [20, 60], want: [20, 60, 100] },
    {
      name: 'drops out-of-range and non-increasing',
      steps: [0, 30, 30, 20, 150, NaN, 70],
      want: [30, 70, 100],
    },
    { name: 'rounds', steps: [12.4, 99.6], want: [12, 100] },
  ])('$name', ({ steps, want }) => expect(normalizeTrafficSteps(steps)).toEqual(want));
});

describe('servingRevisionName', () => {
  it.each([
    { name: 'single target', status: [{ revisionName: OLD, percent: 100 }], want: OLD },
    {
      name: 'largest share wins',
      status: [
        { revisionName: 'x', percent: 30 },
        { revisionName: 'y', percent: 70 },
      ],
      want: 'y',
    },
    {
      name: 'same revision under two tags adds up',
      status: [
        { revisionName: 'x', percent: 30, tag: 'a' },
        { revisionName: 'x', percent: 30 },
        { revisionName: 'y', percent: 40 },
      ],
      want: 'x',
    },
    { name: 'no status traffic -> latest ready', status: [], want: 'latest' },
  ])('$name', ({ status, want }) => {
    const svc = service({
      templateSpec: specOn('nvidia.com/gpu'),
      statusTraffic: status,
      latestReady: 'latest',
    });
    expect(servingRevisionName(svc)).toBe(want);
  });
});

describe('followsLatestRevision', () => {
  it.each([
    { name: 'absent', traffic: undefined, want: true },
    { name: 'empty', traffic: [], want: true },
    { name: 'latest', traffic: [{ latestRevision: true, percent: 100 }], want: true },
    { name: 'pinned', traffic: [{ revisionName: 'a', percent: 100 }], want: false },
  ])('$name', ({ traffic, want }) => expect(followsLatestRevision(traffic)).toBe(want));
});
