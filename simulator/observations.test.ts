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
  // [name, completions per minute, when the serving pods became Ready, growth read]
  test.each<[string, number[], number, number]>([
    ['a ramp: each minute significantly above the one before', [100, 200, 400], 0, 4],
    ['a step: the last minute no higher than the one before', [100, 400, 400], 0, 1],
    ['a noisy low rate: differences within 2 sigma', [10, 14, 19], 0, 1],
    ['falling load', [400, 200, 100], 0, 1],
    ['a ramp, the serving pods younger than the three minutes (a tier change)', [100, 200, 400], 30_000, 1],
    ['a ramp, no serving pod Ready', [100, 200, 400], Number.POSITIVE_INFINITY, 1],
  ])('%s: minutes %j, Ready since %d ms, reads %d', (_name, perMinute, servingSinceMs, want) => {
    const store = storeWith(perMinute);
    expect(store.query(perMinute.length * MINUTE_MS, servingSinceMs).load_growth).toBeCloseTo(want, 6);
  });

  test('reads 1 before three minutes of history exist', () => {
    const store = storeWith([100, 400]);
    expect(store.query(2 * MINUTE_MS).load_growth).toBe(1);
  });
});
