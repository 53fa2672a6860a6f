import { compareTierSize, type TierCatalog } from '../gpu-registry/index.js';
import {
  capacityFactor,
  correctCapacity,
  costOf,
  coverageOf,
  demandOf,
  describeCandidate,
  describePlan,
  headroomOf,
  planTarget,
  priorCapacity,
  type Candidate,
  type DemandReading,
  type Headroom,
  type Plan,
  type PlanInput,
} from './sizing.js';
import { runEnds, windowExtreme } from './stabilization.js';
import type {
  ActReason,
  CapacityFactors,
  DecideInput,
  Decision,
  HoldReason,
  Recommendation,
  ServiceObservation,
} from './types.js';

/**
 * The sizing planner's decision for one service at one tick (pure). decideScale calls it for `policy: size`
 * after the migration hold and the bounds; it returns the decision and its target, or `fallback` when the
 * planner cannot size (no demand data, or no capacity known yet without a profile): the ladder walk decides
 * that tick instead.
 *
 * 1. Demand from the tick's counts; the model corrected where this tick's observation contradicts it.
 * 2. The target: the cheapest tier x replicas covering demand x (1 + headroom) (`planTarget`).
 * 3. SLO pressure: move to the target when it has more capacity than now; when the model says the capacity
 *    is enough (the correction already lowered it, at most by half), to the cheapest configuration with
 *    (1 + floor) x the current capacity.
 * 4. No pressure: up to the target when the current configuration does not cover demand x (1 + headroom);
 *    down (or consolidate) when the target is cheaper by more than the floor, through the scale-down window;
 *    never down while a metric has no data.
 * 5. Windows on the target (HPA semantics: the highest recommendation of the scale-down window, the lowest of
 *    the scale-up window, applied at once) and the cooldown, which counts from when the last action's
 *    configuration was in place.
 */

const EPSILON = 1e-9;

export interface SizeRaw {
  readonly decision: Decision;
  readonly target: { readonly tier: string; readonly replicas: number };
}

export type SizeOutcome =
  | {
      readonly kind: 'decided';
      readonly raw: SizeRaw;
      readonly factors: CapacityFactors;
      readonly plan: Plan;
      /** Capacity over demand of any configuration, by this tick's corrected model. */
      readonly coverage: (tier: string, replicas: number) => number | undefined;
      /** The recommendation to record for the windows (the target at the floor's headroom). */
      readonly recommend: { readonly tier: string; readonly replicas: number };
    }
  | { readonly kind: 'fallback'; readonly why: string; readonly factors: CapacityFactors };

/** The metric band as decideScale classified it. */
export type Band = 'pressure' | 'slack' | 'withinBand' | 'noData';

interface Current {
  readonly tierName: string;
  readonly replicas: number;
}

const hold = (current: Current, reason: HoldReason, message: string): SizeRaw => ({
  decision: { action: 'hold', reason, message },
  target: { tier: current.tierName, replicas: current.replicas },
});

/** The action that moves `current` to `to`: a replica change on the same tier, else one migration with its replicas. */
export function actionTo(
  catalog: TierCatalog,
  current: Current,
  to: { readonly tier: string; readonly replicas: number },
  reason: ActReason,
  message: string,
): SizeRaw {
  const target = { tier: to.tier, replicas: to.replicas };
  if (to.tier === current.tierName) {
    const action = to.replicas > current.replicas ? 'out' : 'in';
    return { decision: { action, targetReplicas: to.replicas, reason, message }, target };
  }
  const from = catalog.get(current.tierName);
  const next = catalog.get(to.tier);
  const up = from === undefined || next === undefined || compareTierSize(next, from) > 0;
  return {
    decision: {
      action: up ? 'up' : 'down',
      targetTier: to.tier,
      targetReplicas: to.replicas,
      reason,
      message,
    },
    target,
  };
}

/**
 * Whether a move up may skip the cooldown: its target has more than (1 + floor) x the capacity of what the
 * last action asked for (or of what runs now). The cooldown lets an action's effect show before the next one
 * is judged; a demand measured since, beyond what the pending action provides, is news it cannot answer
 * (the HPA has no scale-up cooldown; KPA's panic mode scales up on every tick).
 */
export function outgrowsPending(
  observation: ServiceObservation,
  raw: SizeRaw,
  floor: number,
  coverage: (tier: string, replicas: number) => number | undefined,
): boolean {
  const up = raw.decision.reason === 'sloPressure' || raw.decision.reason === 'demand';
  if (!up) return false;
  const base = observation.pendingTarget ?? { tier: observation.tier, replicas: observation.readyReplicas };
  const before = coverage(base.tier, base.replicas);
  const after = coverage(raw.target.tier, raw.target.replicas);
  return before !== undefined && after !== undefined && after > before * (1 + floor) + EPSILON;
}

/** Milliseconds of cooldown left, counted from when the last action's configuration was in place. */
export function readyCooldownRemainingMs(
  observation: ServiceObservation,
  nowMs: number,
  cooldownSeconds: number,
  readyTimeoutSeconds: number,
): { readonly remainingMs: number; readonly waiting: boolean } {
  const pending = observation.pendingTarget;
  if (pending !== undefined) {
    const inPlace =
      !observation.migrationInFlight &&
      observation.tier === pending.tier &&
      observation.readyReplicas === pending.replicas;
    if (!inPlace && nowMs < pending.sinceMs + readyTimeoutSeconds * 1000) {
      return { remainingMs: Number.POSITIVE_INFINITY, waiting: true };
    }
    // In place now (or given up on): the cooldown starts now.
    const since = inPlace ? nowMs : pending.sinceMs + readyTimeoutSeconds * 1000;
    return { remainingMs: Math.max(0, since + cooldownSeconds * 1000 - nowMs), waiting: false };
  }
  const since = observation.lastReadyAtMs ?? observation.lastActionAtMs;
  if (since === undefined) return { remainingMs: 0, waiting: false };
  return { remainingMs: Math.max(0, since + cooldownSeconds * 1000 - nowMs), waiting: false };
}

function planInputOf(
  input: DecideInput,
  current: Current,
  reading: DemandReading,
  headroom: number,
  factors: CapacityFactors,
): PlanInput {
  const s = input.config.settings;
  return {
    catalog: input.catalog,
    ladder: s.ladder,
    ...(s.minTier === undefined ? {} : { minTier: s.minTier }),
    ...(s.maxTier === undefined ? {} : { maxTier: s.maxTier }),
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    current,
    demand: reading.demand,
    headroom,
    profile: s.sizing.profile,
    factors,
    capacity: input.capacity,
    ...(input.observation.tierBackoffUntilMs === undefined
      ? {}
      : { backoffUntilMs: input.observation.tierBackoffUntilMs }),
    nowMs: input.nowMs,
  };
}

const configOf = (c: Candidate) => ({ tier: c.tier.name, replicas: c.replicas });

const isCurrent = (c: Candidate, current: Current): boolean =>
  c.tier.name === current.tierName && c.replicas === current.replicas;

/** Sizes one service; see the module comment for the rules. */
export function decideSize(input: DecideInput, current: Current, band: Band, why: string): SizeOutcome {
  const { catalog, config, observation } = input;
  const s = config.settings;
  const profile = s.sizing.profile;
  const stored = observation.capacityFactors ?? {};
  const read = demandOf(input.metrics, s.sizing);
  if (!read.ok)
    return { kind: 'fallback', why: `no demand data (${read.missing.join(', ')})`, factors: stored };
  const reading = read.reading;
  const prior = priorCapacity(catalog, s.ladder, current.tierName, profile);
  if (prior === undefined) {
    return { kind: 'fallback', why: `no capacity model for ${current.tierName}`, factors: stored };
  }
  const correction = correctCapacity({
    tierName: current.tierName,
    replicas: current.replicas,
    prior,
    factors: stored,
    ladder: s.ladder,
    hasProfile: profile !== undefined,
    reading,
    pressure: band === 'pressure',
    complete: band !== 'noData',
    settled:
      readyCooldownRemainingMs(observation, input.nowMs, s.cooldownSeconds, s.migration.readyTimeoutSeconds)
        .remainingMs === 0,
    floor: s.sizing.headroomFloor,
  });
  const factors = correction.factors;
  if (capacityFactor(factors, s.ladder, current.tierName, profile !== undefined) === undefined) {
    return {
      kind: 'fallback',
      why: 'capacity not known yet (no profile: it is learned at the first SLO pressure)',
      factors,
    };
  }
  const headroom = headroomOf(reading.arrivalCounts, s.sizing.headroomFloor);
  const planInput = planInputOf(input, current, reading, headroom.headroom, factors);
  const plan = planTarget(planInput);
  const raw = choose(input, current, band, why, plan, planInput, headroom, correction.note);
  const coverage = (tier: string, replicas: number) => coverageOf(planInput, tier, replicas);
  // What the scale-down window keeps: the target at the floor's headroom. The window's highest holds the
  // demand's peaks; the spread's headroom covers the fluctuation until the next correction and is added
  // once, to the target of this tick, not stacked onto every peak the window holds.
  const floorChosen =
    headroom.headroom > s.sizing.headroomFloor
      ? planTarget({ ...planInput, headroom: s.sizing.headroomFloor }).chosen
      : plan.chosen;
  const recommend =
    raw.decision.action === 'hold' && raw.decision.reason !== 'withinBand'
      ? raw.target
      : floorChosen === undefined
        ? raw.target
        : { tier: floorChosen.tier.name, replicas: floorChosen.replicas };
  return { kind: 'decided', raw, factors, plan, coverage, recommend };
}

function choose(
  input: DecideInput,
  current: Current,
  band: Band,
  why: string,
  plan: Plan,
  planInput: PlanInput,
  headroom: Headroom,
  note: string | undefined,
): SizeRaw {
  const { catalog } = input;
  const floor = input.config.settings.sizing.headroomFloor;
  const text = [note, describePlan(plan, planInput.demand, headroom, current.tierName)]
    .filter((part) => part !== undefined)
    .join('; ');
  const chosen = plan.chosen;
  const now = plan.current;
  if (chosen === undefined || now === undefined) {
    return hold(current, 'noCapacity', `${why}: ${text}`);
  }
  const nowText = `now ${describeCandidate(now)}`;
  const more = chosen.coverage > now.coverage + EPSILON && !isCurrent(chosen, current);
  if (band === 'pressure') {
    if (more)
      return actionTo(catalog, current, configOf(chosen), 'sloPressure', `${why}: ${text}; ${nowText}`);
    // The model says the capacity is enough (or nothing better covers): the cheapest step with more.
    const bigger = planTarget({ ...planInput, headroom: Math.max(0, now.coverage * (1 + floor) - 1) }).chosen;
    if (bigger !== undefined && bigger.coverage > now.coverage + EPSILON && !isCurrent(bigger, current)) {
      return actionTo(
        catalog,
        current,
        configOf(bigger),
        'sloPressure',
        `${why}: ${text}; ${nowText}, which the SLOs say is not enough: ${describeCandidate(bigger)} has ${Math.round(floor * 100)}% more`,
      );
    }
    const atMax = current.replicas >= input.config.settings.maxReplicas;
    return hold(
      current,
      atMax ? 'atLimit' : 'noCapacity',
      `${why}, but no configuration with more capacity is available: ${text}`,
    );
  }
  if (!now.covers && more) {
    return actionTo(
      catalog,
      current,
      configOf(chosen),
      'demand',
      `the demand needs more capacity than runs now: ${text}; ${nowText}`,
    );
  }
  if (!now.covers) {
    return hold(
      current,
      'noCapacity',
      `the demand needs more capacity than runs now, but none is available: ${text}; ${nowText}`,
    );
  }
  if (band === 'noData') return hold(current, 'noData', `${why} (never a scale-down): ${text}; ${nowText}`);
  if (chosen.cost < now.cost * (1 - floor) - EPSILON) {
    return actionTo(
      catalog,
      current,
      configOf(chosen),
      'slack',
      `a cheaper configuration covers the demand: ${text}; ${nowText}`,
    );
  }
  // The recommendation is the target itself, so the scale-down window sees what the planner wanted.
  return {
    ...hold(current, 'withinBand', `${nowText} covers the demand: ${text}`),
    target: { tier: chosen.tier.name, replicas: chosen.replicas },
  };
}

/**
 * The HPA windows over the planner's targets, by cost: a move down waits until no recommendation in the
 * scale-down window costs as much as now (within the floor), then goes to the highest of them at once; a move
 * up goes to the lowest recommendation of the scale-up window (when it has one). Undefined: go ahead as raw.
 */
export function sizeWindows(
  input: DecideInput,
  current: Current,
  raw: SizeRaw,
  plan: Plan,
): SizeRaw | undefined {
  const { catalog, observation, nowMs } = input;
  const s = input.config.settings;
  const now = plan.current;
  if (raw.decision.action === 'hold' || now === undefined) return undefined;
  const up = raw.decision.reason === 'sloPressure' || raw.decision.reason === 'demand';
  const windowSeconds = up ? s.scaleUpStabilizationSeconds : s.scaleDownStabilizationSeconds;
  if (windowSeconds <= 0) return undefined;
  const history = [...observation.recommendations].sort((a, b) => a.atMs - b.atMs);
  const covered = history[0] !== undefined && history[0].atMs <= nowMs - windowSeconds * 1000;
  const seeded: Recommendation = { atMs: nowMs, tier: current.tierName, replicas: current.replicas };
  const points = [
    ...runEnds(
      history.map((rec) => ({ atMs: rec.atMs, value: rec })),
      nowMs,
    ),
    ...(covered ? [] : [{ atMs: nowMs, value: seeded }]),
  ];
  const byCost = (a: Recommendation, b: Recommendation) => costOf(catalog, a) - costOf(catalog, b);
  const extreme = windowExtreme(
    points,
    nowMs,
    windowSeconds,
    { atMs: nowMs, ...raw.target },
    up ? 'lowest' : 'highest',
    byCost,
  );
  const floor = s.sizing.headroomFloor;
  if (up) {
    if (costOf(catalog, extreme) <= now.cost + EPSILON) {
      return hold(
        current,
        'stabilizing',
        `scale-up stabilization (${windowSeconds}s): a recommendation in the window is not above the current configuration; would: ${raw.decision.message}`,
      );
    }
    return extreme.tier === raw.target.tier && extreme.replicas === raw.target.replicas
      ? undefined
      : actionTo(
          catalog,
          current,
          extreme,
          raw.decision.reason,
          `${raw.decision.message}; the scale-up window's lowest: ${extreme.replicas} x ${extreme.tier}`,
        );
  }
  if (costOf(catalog, extreme) >= now.cost * (1 - floor) - EPSILON) {
    return hold(
      current,
      'stabilizing',
      `scale-down stabilization (${windowSeconds}s): the window still holds a recommendation costing about as much as now (${extreme.replicas} x ${extreme.tier}); would: ${raw.decision.message}`,
    );
  }
  if (extreme.tier === raw.target.tier && extreme.replicas === raw.target.replicas) return undefined;
  const blocked = plan.candidates.find((c) => c.tier.name === extreme.tier && c.blocked !== undefined);
  if (extreme.tier !== current.tierName && blocked !== undefined && blocked.replicas <= extreme.replicas) {
    return hold(
      current,
      'noCapacity',
      `scale-down stabilization (${windowSeconds}s): the window's highest recommendation ${extreme.replicas} x ${extreme.tier} is not available (${blocked.blocked}); would: ${raw.decision.message}`,
    );
  }
  return actionTo(
    catalog,
    current,
    extreme,
    raw.decision.reason,
    `${raw.decision.message}; the scale-down window's highest recommendation: ${extreme.replicas} x ${extreme.tier}`,
  );
}
