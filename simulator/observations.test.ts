import { sustainedGrowth } from '../autoscaler/index.js';
import { ObservationStore } from './observations.js';

const MINUTE_MS = 60_000;
const SCRAPE_MS = 15_000;

/** A store holding `perMinute[i]` arrivals spread evenly over minute i (from t = 0). */
function storeWith(perMinute: readonly number[]): ObservationStore {
  const store = new ObservationStore(SCRAPE_MS);
  perMinute.forEach((count, minute) => {
    for (let k = 0; k < count; k += 1)
      store.recordArrival(minute * MINUTE_MS + ((k + 0.5) * MINUTE_MS) / count);
  });
  return store;
}

describe("arrivalCounts (settings.loadGrowth's arrivals query at its four offsets, simulated)", () => {
  // Queried at the end of the last minute, newest first.
  test.each<[string, number[], number, Array<number | undefined>]>([
    ['four minutes of history, pods Ready from the start', [10, 20, 30, 40], 0, [40, 30, 20, 10]],
    ['only three minutes of run: the oldest minute is before it', [20, 30, 40], 0, [40, 30, 20, undefined]],
    [
      'pods Ready 30 s before the oldest minute ended: two scrapes within it, so it exists',
      [10, 20, 30, 40],
      30_000,
      [40, 30, 20, 10],
    ],
    [
      'pods Ready 50 s into the oldest minute (a tier change): it has no data',
      [10, 20, 30, 40],
      50_000,
      [40, 30, 20, undefined],
    ],
    [
      'no serving pod Ready',
      [10, 20, 30, 40],
      Number.POSITIVE_INFINITY,
      [undefined, undefined, undefined, undefined],
    ],
  ])('%s', (_what, perMinute, servingSinceMs, want) => {
    const store = storeWith(perMinute);
    expect(store.arrivalCounts(perMinute.length * MINUTE_MS, servingSinceMs)).toEqual(want);
  });

  test('a ramp reads as growth, and not while the serving revision is younger than the counts', () => {
    const store = storeWith([100, 100, 200, 400]);
    expect(sustainedGrowth(store.arrivalCounts(4 * MINUTE_MS, 0))).toBe(4);
    expect(sustainedGrowth(store.arrivalCounts(4 * MINUTE_MS, 50_000))).toBe(1);
  });
});
