import { ObservationStore } from './observations.js';

const MINUTE_MS = 60_000;

/** A store holding `perMinute[i]` completions spread evenly over minute i (from t = 0). */
function storeWith(perMinute: readonly number[]): ObservationStore {
  const store = new ObservationStore(15_000);
  perMinute.forEach((count, minute) => {
    for (let k = 0; k < count; k += 1) {
      store.recordServed(minute * MINUTE_MS + ((k + 0.5) * MINUTE_MS) / count, 100, 20, 0, 50);
    }
  });
  return store;
}

describe('load_growth (the default loadGrowth query, simulated)', () => {
  // Queried at the end of the last minute: c0 is the last minute, c1 and c2 the two before it.
  test.each([
    {
      name: 'a ramp: each minute significantly above the one before',
      perMinute: [100, 200, 400],
      servingSinceMs: 0,
      want: 4,
    },
    {
      name: 'a step: the last minute no higher than the one before',
      perMinute: [100, 400, 400],
      servingSinceMs: 0,
      want: 1,
    },
    {
      name: 'a noisy low rate: differences within 2 sigma',
      perMinute: [10, 14, 19],
      servingSinceMs: 0,
      want: 1,
    },
    { name: 'falling load', perMinute: [400, 200, 100], servingSinceMs: 0, want: 1 },
    {
      name: 'a ramp, but the serving pods are younger than the three minutes (a tier change)',
      perMinute: [100, 200, 400],
      servingSinceMs: 30_000,
      want: 1,
    },
    {
      name: 'a ramp, with the serving pods Ready since the window began',
      perMinute: [100, 200, 400],
      servingSinceMs: 0,
      want: 4,
    },
    {
      name: 'no serving pod Ready',
      perMinute: [100, 200, 400],
      servingSinceMs: Number.POSITIVE_INFINITY,
      want: 1,
    },
  ])('$name: $want', ({ perMinute, servingSinceMs, want }) => {
    const store = storeWith(perMinute);
    expect(store.query(perMinute.length * MINUTE_MS, servingSinceMs).load_growth).toBeCloseTo(want, 6);
  });

  test('reads 1 before three minutes of history exist', () => {
    const store = storeWith([100, 400]);
    expect(store.query(2 * MINUTE_MS).load_growth).toBe(1);
  });
});
