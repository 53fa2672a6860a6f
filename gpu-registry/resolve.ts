import { hasUnitsFor } from './capacity.js';
import type { CapacitySnapshot, GpuTier, TierCatalog } from './types.js';

/** A service's ladder and its bounds (tier names; the bounds default to the ladder's ends). */
export interface LadderBounds {
  readonly ladder: readonly string[];
  readonly minTier?: string;
  readonly maxTier?: string;
}

/** What a step along the ladder must respect. */
export interface StepOptions {
  readonly capacity: CapacitySnapshot;
  /** Pods of the new tier that must fit (a migration brings up every replica on the new tier). */
  readonly pods: number;
  readonly nowMs: number;
  /** Tiers that recently failed to become ready, until when (ms since epoch). */
  readonly backoffUntilMs?: Readonly<Record<string, number>>;
}

export type TierSkipReason = 'backoff' | 'noCapacity' | 'notInCatalog';

/** A ladder tier passed over on the way, and why. */
export interface SkippedTier {
  readonly tier: string;
  readonly reason: TierSkipReason;
}

/** The result of looking for the next tier up or down. */
export type TierStep =
  | { readonly found: true; readonly tier: GpuTier; readonly skipped: readonly SkippedTier[] }
  | {
      readonly found: false;
      /** `atLimit`: no ladder tier beyond the current one within the bounds; `noCapacity`: all were skipped. */
      readonly reason: 'atLimit' | 'noCapacity';
      readonly message: string;
      readonly skipped: readonly SkippedTier[];
    };

/** Lexicographic size order of tiers: compute first, then memory. */
export function compareTierSize(a: GpuTier, b: GpuTier): number {
  if (a.computeFraction !== b.computeFraction) return a.computeFraction - b.computeFraction;
  return a.memoryGb - b.memoryGb;
}

/** The inclusive ladder index range allowed by minTier/maxTier (names not on the ladder are ignored). */
export function ladderRange(bounds: LadderBounds): { readonly minIndex: number; readonly maxIndex: number } {
  const minIndex = bounds.minTier === undefined ? 0 : bounds.ladder.indexOf(bounds.minTier);
  const maxIndex =
    bounds.maxTier === undefined ? bounds.ladder.length - 1 : bounds.ladder.indexOf(bounds.maxTier);
  return {
    minIndex: Math.max(0, minIndex),
    maxIndex: maxIndex < 0 ? bounds.ladder.length - 1 : maxIndex,
  };
}

/** Where the current tier sits relative to the allowed part of the ladder. */
export type LadderPlacement = 'unknown' | 'belowMinimum' | 'aboveMaximum' | 'within';

/**
 * Places `tierName` against the bounds: on the ladder by index; off the ladder (a known tier the ladder does
 * not list) by size against the min and max tiers; `unknown` when the catalog does not know it.
 */
export function placeOnLadder(catalog: TierCatalog, bounds: LadderBounds, tierName: string): LadderPlacement {
  const current = catalog.get(tierName);
  if (current === undefined) return 'unknown';
  const { minIndex, maxIndex } = ladderRange(bounds);
  const index = bounds.ladder.indexOf(tierName);
  if (index >= 0) {
    if (index < minIndex) return 'belowMinimum';
    if (index > maxIndex) return 'aboveMaximum';
    return 'within';
  }
  const minTier = catalog.get(bounds.ladder[minIndex] ?? '');
  const maxTier = catalog.get(bounds.ladder[maxIndex] ?? '');
  if (minTier !== undefined && compareTierSize(current, minTier) < 0) return 'belowMinimum';
  if (maxTier !== undefined && compareTierSize(current, maxTier) > 0) return 'aboveMaximum';
  return 'within';
}

/** Ladder tiers (within bounds) strictly above (`up`) or below (`down`) the current tier, nearest first. */
export function candidateTiers(
  catalog: TierCatalog,
  bounds: LadderBounds,
  currentTierName: string,
  direction: 'up' | 'down',
): readonly string[] {
  const { minIndex, maxIndex } = ladderRange(bounds);
  const allowed = bounds.ladder.slice(minIndex, maxIndex + 1);
  const index = allowed.indexOf(currentTierName);
  if (index >= 0) {
    return direction === 'up' ? allowed.slice(index + 1) : allowed.slice(0, index).reverse();
  }
  const current = catalog.get(currentTierName);
  if (current === undefined) return direction === 'up' ? allowed : [];
  const larger = (name: string): boolean => {
    const tier = catalog.get(name);
    return tier !== undefined && compareTierSize(tier, current) > 0;
  };
  const smaller = (name: string): boolean => {
    const tier = catalog.get(name);
    return tier !== undefined && compareTierSize(tier, current) < 0;
  };
  return direction === 'up' ? allowed.filter(larger) : allowed.filter(smaller).reverse();
}

function firstUsable(
  catalog: TierCatalog,
  names: readonly string[],
  options: StepOptions,
  direction: 'up' | 'down',
): TierStep {
  const skipped: SkippedTier[] = [];
  for (const name of names) {
    const tier = catalog.get(name);
    if (tier === undefined) {
      skipped.push({ tier: name, reason: 'notInCatalog' });
      continue;
    }
    const backoffUntil = options.backoffUntilMs?.[name];
    if (backoffUntil !== undefined && backoffUntil > options.nowMs) {
      skipped.push({ tier: name, reason: 'backoff' });
      continue;
    }
    if (!hasUnitsFor(options.capacity, tier, options.pods)) {
      skipped.push({ tier: name, reason: 'noCapacity' });
      continue;
    }
    return { found: true, tier, skipped };
  }
  if (names.length === 0) {
    return {
      found: false,
      reason: 'atLimit',
      message:
        direction === 'up' ? 'already at the largest allowed tier' : 'already at the smallest allowed tier',
      skipped,
    };
  }
  const why = skipped.map((s) => `${s.tier}: ${s.reason}`).join(', ');
  return {
    found: false,
    reason: 'noCapacity',
    message: `no ${direction === 'up' ? 'larger' : 'smaller'} tier for ${options.pods} pod(s) (${why})`,
    skipped,
  };
}

/** The nearest larger ladder tier within bounds that is not in backoff and has room for `pods` pods. */
export function nextTierUp(
  catalog: TierCatalog,
  bounds: LadderBounds,
  currentTierName: string,
  options: StepOptions,
): TierStep {
  return firstUsable(catalog, candidateTiers(catalog, bounds, currentTierName, 'up'), options, 'up');
}

/** The nearest smaller ladder tier within bounds that is not in backoff and has room for `pods` pods. */
export function previousTierDown(
  catalog: TierCatalog,
  bounds: LadderBounds,
  currentTierName: string,
  options: StepOptions,
): TierStep {
  return firstUsable(catalog, candidateTiers(catalog, bounds, currentTierName, 'down'), options, 'down');
}

/** Whether one more replica of the current tier fits. */
export function capacityForOneMoreReplica(capacity: CapacitySnapshot, tier: GpuTier): boolean {
  return hasUnitsFor(capacity, tier, 1);
}
