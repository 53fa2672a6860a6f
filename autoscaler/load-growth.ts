import { ARRIVAL_COUNTS } from './config.js';
import type { MetricValues } from './types.js';

/** Arrivals in the last minute and in each of the three minutes before it, newest first. */
export type ArrivalCounts = readonly [
  number | undefined,
  number | undefined,
  number | undefined,
  number | undefined,
];

/** The four counts, one from each of `ARRIVAL_COUNTS` (its name and offset), newest first. */
export function mapArrivalCounts(
  count: (of: (typeof ARRIVAL_COUNTS)[number]) => number | undefined,
): ArrivalCounts {
  const [a, b, c, d] = ARRIVAL_COUNTS;
  return [count(a), count(b), count(c), count(d)];
}

/** The four counts of `settings.loadGrowth` among a tick's metric values. */
export function arrivalCountsOf(metrics: MetricValues): ArrivalCounts {
  return mapArrivalCounts(({ name }) => metrics[name]);
}

/** Twice the Poisson noise of a difference of two counts: a change beyond it is not chance. */
function significantlyAbove(later: number, earlier: number): boolean {
  return later - earlier > 2 * Math.sqrt(later + earlier);
}

/**
 * How many times the load grew over the last two minutes, when that growth is sustained; else 1.
 *
 * With c0..c3 the arrivals in the last minute and the three before it: c0 / c2 when each of the last two
 * minutes is above the one before by more than twice the Poisson noise of the difference
 * (c0 - c1 > 2 sqrt(c0 + c1) and c1 - c2 > 2 sqrt(c1 + c2)), so a single jump (a burst, a step) reads 1
 * after its first minute, and so does a noisy low rate. c3 only has to exist: the queries cover the
 * serving revision's pods, and a count three minutes back exists only when those pods were already there,
 * so right after a tier change (new pods, whose first completions would look like growth) it reads 1, as
 * it does before there is any history. Any count missing or not finite: 1. A negative count (arrivals are
 * estimated from completions plus the change in requests in flight) counts as 0. From nothing, the growth
 * is c0 itself.
 */
export function sustainedGrowth(counts: ArrivalCounts): number {
  if (!counts.every((c) => c !== undefined && Number.isFinite(c))) return 1;
  const [c0, c1, c2] = (counts as readonly number[]).map((c) => Math.max(0, c)) as [number, number, number];
  if (!(significantlyAbove(c0, c1) && significantlyAbove(c1, c2))) return 1;
  return c0 / Math.max(1, c2);
}
