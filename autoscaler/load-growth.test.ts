import { arrivalCountsOf, sustainedGrowth, type ArrivalCounts } from './load-growth.js';

describe('sustainedGrowth', () => {
  // [what, arrivals in the last minute and the three before it (newest first), growth]
  test.each<[string, ArrivalCounts, number]>([
    ['a ramp: each minute significantly above the one before', [400, 200, 100, 100], 4],
    ['a ramp, just significant (40 > 2 sqrt(240), 40 > 2 sqrt(320))', [180, 140, 100, 90], 1.8],
    ['a ramp too slow to be told from noise', [120, 110, 100, 90], 1],
    ['a step: the last minute no higher than the one before', [400, 400, 100, 100], 1],
    ['a burst in its first minute: the minute before it not above the one before', [400, 100, 100, 100], 1],
    ['a noisy low rate', [19, 14, 10, 9], 1],
    ['falling load', [100, 200, 400, 400], 1],
    ['from nothing: the growth is the last count itself', [400, 50, 0, 0], 400],
    ['no count three minutes back (pods younger than that: a new revision)', [400, 200, 100, undefined], 1],
    ['no count in the last minute', [undefined, 200, 100, 100], 1],
    ['NaN', [Number.NaN, 200, 100, 100], 1],
    ['infinite', [Number.POSITIVE_INFINITY, 200, 100, 100], 1],
    ['a negative estimate counts as 0 (in-flight fell faster than completions rose)', [400, 50, -3, 0], 400],
  ])('%s: %j -> %d', (_what, counts, want) => {
    expect(sustainedGrowth(counts)).toBeCloseTo(want, 9);
  });
});

test('arrivalCountsOf reads the four counts by name, newest first', () => {
  expect(
    arrivalCountsOf({ __arrivals0m: 4, __arrivals1m: 3, __arrivals2m: 2, __arrivals3m: 1, latency: 9 }),
  ).toEqual([4, 3, 2, 1]);
  expect(arrivalCountsOf({ __arrivals0m: 4 })).toEqual([4, undefined, undefined, undefined]);
});
