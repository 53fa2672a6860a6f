import { splitTraffic } from './traffic-split.js';

describe('splitTraffic', () => {
  const pods = [
    { key: 'a1', revision: 'svc-00001' },
    { key: 'a2', revision: 'svc-00001' },
    { key: 'b1', revision: 'svc-00002' },
  ];
  const cases = [
    {
      name: 'no route: even over all pods',
      traffic: undefined,
      want: { a1: 1 / 3, a2: 1 / 3, b1: 1 / 3 },
      unserved: 0,
    },
    {
      name: '80/20 split, even within a revision',
      traffic: [
        { revisionName: 'svc-00001', percent: 80 },
        { revisionName: 'svc-00002', percent: 20 },
      ],
      want: { a1: 0.4, a2: 0.4, b1: 0.2 },
      unserved: 0,
    },
    {
      name: 'all traffic on one revision',
      traffic: [{ revisionName: 'svc-00002', percent: 100 }],
      want: { b1: 1 },
      unserved: 0,
    },
    {
      name: 'a revision without Ready pods leaves its share unserved',
      traffic: [
        { revisionName: 'svc-00003', percent: 50 },
        { revisionName: 'svc-00001', percent: 50 },
      ],
      want: { a1: 0.25, a2: 0.25 },
      unserved: 0.5,
    },
    {
      name: 'two entries for one revision (tagged) add up',
      traffic: [
        { revisionName: 'svc-00001', percent: 50 },
        { revisionName: 'svc-00001', percent: 50 },
      ],
      want: { a1: 0.5, a2: 0.5 },
      unserved: 0,
    },
    {
      name: 'zero-percent entries are ignored',
      traffic: [{ revisionName: 'svc-00001', percent: 0 }],
      want: { a1: 1 / 3, a2: 1 / 3, b1: 1 / 3 },
      unserved: 0,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const split = splitTraffic(pods, c.traffic);
      expect(Object.fromEntries(split.weights)).toEqual(
        Object.fromEntries(Object.entries(c.want).map(([k, v]) => [k, expect.closeTo(v, 10)])),
      );
      expect(split.unservedShare).toBeCloseTo(c.unserved);
    });
  }
  test('no pods at all: everything unserved', () =>
    expect(splitTraffic([], undefined).unservedShare).toBe(1));
});
