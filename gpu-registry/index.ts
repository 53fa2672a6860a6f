/** Public face of the GPU registry: tier catalog, free-capacity arithmetic and tier resolution (pure parts). */
export * from './types.js';
export {
  DEFAULT_CATALOG,
  DEFAULT_LADDER,
  familyLadder,
  MPS_SHARE_SIZES_GB,
  editDistance,
  formatPath,
  mergeCatalog,
  unknownFieldMessage,
  valueAt,
  zodIssuesToConfigIssues,
} from './catalog.js';
export type { TierIssue, TierOverride } from './catalog.js';
export {
  buildCapacitySnapshot,
  claim,
  freeUnits,
  hasUnitFor,
  hasUnitsFor,
  parseQuantity,
  release,
  unlimitedCapacity,
} from './capacity.js';
export type { NodeInfo, PodInfo } from './capacity.js';
export {
  candidateTiers,
  capacityForOneMoreReplica,
  compareTierSize,
  ladderRange,
  nextTierUp,
  placeOnLadder,
  previousTierDown,
} from './resolve.js';
export type {
  LadderBounds,
  LadderPlacement,
  SkippedTier,
  StepOptions,
  TierSkipReason,
  TierStep,
} from './resolve.js';
// Informer-backed capacity cache (core-shell helper).
export { createCapacityCache, effectivePodRequests, toNodeInfo, toPodInfo } from './capacity-cache.js';
export type { CapacityCache, CapacityCacheLog, CapacityCacheOptions } from './capacity-cache.js';
