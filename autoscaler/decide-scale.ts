import {
  hasUnitFor,
  hasUnitsFor,
  nextTierUp,
  placeOnLadder,
  previousTierDown,
  type GpuTier,
  type TierCatalog,
  type TierStep,
} from '../gpu-registry/index.js';
import { effectiveSettings, metricThresholds, REQUEST_RATE_METRIC } from './config.js';
import { arrivalCountsOf, sustainedGrowth } from './load-growth.js';
import { decideSize, outgrowsPending, readyCooldownRemainingMs, sizeWindows } from './decide-size.js';
import { cooldownRemainingMs, runEnds, windowExtreme } from './stabilization.js';
import type {
  ActDecision,
  ActReason,
  CapacityFactors,
  DecideInput,
  Decision,
  HoldReason,
  MetricDirection,
  MetricSpec,
  MetricValues,
  Recommendation,
  ServiceSettings,
} from './types.js';

/**
 * DecideScale: one service, one tick, no I/O and no clock. README.md, "How decisions are made", has the rules in prose.
 *
 * Order of evaluation:
 * 1. a migration in flight holds everything;
 * 2. bounds (tier outside minTier..maxTier or unknown, replicas outside min..max) are restored at once,
 *    without waiting for cooldown or windows;
 * 3. the metric band: pressure if ANY metric is past its up threshold, slack only if ALL are past their down
 *    thresholds, noData if some metric has no value (and none is under pressure), else withinBand;
 *    the idle policy turns a request rate of exactly 0, sustained for `idle.afterSeconds`, into a step down;
 * 4. the raw recommendation: up vs out / down vs in by cost per unit of serving capacity (max of compute
 *    and bandwidth share); a slack step down must not project any metric past its up threshold;
 * 5. cooldown, then the stabilization windows, may turn the raw action into a hold;
 * 6. dryRun turns any action into `hold/dryRun` and returns the would-be action in `wouldAct`.
 */

/** Where one metric stands against its thresholds. */
export type SignalState = 'pressure' | 'slack' | 'inBand' | 'noData';

/** One metric's value, thresholds and state at this tick. */
export interface MetricSignal {
  readonly name: string;
  /** The value decided on: undefined = no series, NaN kept as NaN (serialised as null). */
  readonly value: number | undefined;
  readonly direction: MetricDirection;
  /** `slo * scaleUpFactor`: past it (above for lowerIsBetter, below for higherIsBetter) is pressure. */
  readonly upThreshold: number;
  /** `slo * scaleDownFactor`: past it (below for lowerIsBetter, above for higherIsBetter) is slack. */
  readonly downThreshold: number;
  readonly state: SignalState;
}

/** What DecideScale returns. */
export interface DecideOutput {
  readonly decision: Decision;
  /** The raw recommendation of this tick, for the stabilization windows: append it to the history. */
  readonly recommendation: Recommendation;
  readonly signals: readonly MetricSignal[];
  /** With `dryRun`: the action that would have been carried out. */
  readonly wouldAct?: ActDecision;
  /** The sizing planner's capacity corrections after this tick (persist them). */
  readonly capacityFactors?: CapacityFactors;
}

/** The state of the whole band of metrics. */
export type BandState = 'pressure' | 'slack' | 'withinBand' | 'noData';

/** Classifies one metric value against its thresholds (NaN and missing are `noData`; ±Inf are values). */
export function signalOf(metric: MetricSpec, value: number | undefined): MetricSignal {
  const { up, down } = metricThresholds(metric);
  let state: SignalState;
  if (value === undefined || Number.isNaN(value)) state = 'noData';
  else if (metric.direction === 'lowerIsBetter')
    state = value > up ? 'pressure' : value < down ? 'slack' : 'inBand';
  else state = value < up ? 'pressure' : value > down ? 'slack' : 'inBand';
  return {
    name: metric.name,
    value,
    direction: metric.direction,
    upThreshold: up,
    downThreshold: down,
    state,
  };
}

/** Signals of every configured metric, in config order. */
export function evaluateSignals(
  metrics: readonly MetricSpec[],
  values: MetricValues,
): readonly MetricSignal[] {
  return metrics.map((metric) => signalOf(metric, values[metric.name]));
}

/** Any pressure wins; else any missing value holds; slack needs every metric; else within band. */
export function bandOf(signals: readonly MetricSignal[]): BandState {
  if (signals.some((s) => s.state === 'pressure')) return 'pressure';
  if (signals.some((s) => s.state === 'noData')) return 'noData';
  if (signals.length > 0 && signals.every((s) => s.state === 'slack')) return 'slack';
  return 'withinBand';
}

/** Capacity a configuration provides: compute first, then memory (lexicographic comparison). */
export interface ProvidedCapacity {
  readonly compute: number;
  readonly memoryGb: number;
}

export function providedCapacity(catalog: TierCatalog, tierName: string, replicas: number): ProvidedCapacity {
  const tier = catalog.get(tierName);
  return { compute: (tier?.computeFraction ?? 0) * replicas, memoryGb: (tier?.memoryGb ?? 0) * replicas };
}

const EPSILON = 1e-9;

export function compareCapacity(a: ProvidedCapacity, b: ProvidedCapacity): number {
  if (Math.abs(a.compute - b.compute) > EPSILON) return a.compute - b.compute;
  if (Math.abs(a.memoryGb - b.memoryGb) > EPSILON) return a.memoryGb - b.memoryGb;
  return 0;
}

/**
 * The serving capacity a tier provides, as a share of one GPU: the larger of its compute share and its
 * memory-bandwidth share. LLM decode is bound by memory bandwidth and prefill by compute, so a tier is
 * worth what its better resource gives (a 3g.40gb has 3/7 of the SMs but half the bandwidth: 0.5).
 */
export function servingCapacity(tier: GpuTier): number {
  return Math.max(tier.computeFraction, tier.memoryBandwidthFraction);
}

/**
 * How many times less a step leaves, for projecting a load metric: replicas now / after for a scale-in,
 * the larger of the compute and bandwidth ratios for a tier step (whichever resource shrinks most).
 */
export function capacityShrinkFactor(
  from: GpuTier,
  fromReplicas: number,
  to: GpuTier,
  toReplicas: number,
): number {
  const compute = (from.computeFraction * fromReplicas) / (to.computeFraction * toReplicas);
  const bandwidth = (from.memoryBandwidthFraction * fromReplicas) / (to.memoryBandwidthFraction * toReplicas);
  return Math.max(compute, bandwidth);
}

/**
 * A metric's value after a step down that leaves `1 / shrink` of the capacity, projected linearly: a
 * lowerIsBetter (latency-like) value grows by `shrink`, a higherIsBetter (throughput-like) one falls by it.
 * Linear is exact for service time bound by one resource (decode time per token vs bandwidth) and
 * optimistic once queueing sets in, which is why the projection must stay under the up threshold, not the SLO.
 */
export function projectAfterStepDown(signal: MetricSignal, shrink: number): number | undefined {
  if (signal.value === undefined || Number.isNaN(signal.value)) return undefined;
  return signal.direction === 'lowerIsBetter' ? signal.value * shrink : signal.value / shrink;
}

/** Why a step down would overshoot into pressure: every metric whose projection reaches its up threshold. */
function stepOvershoot(signals: readonly MetricSignal[], shrink: number): string | undefined {
  const passed = [...signals]
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((s) => {
      const projected = projectAfterStepDown(s, shrink);
      if (projected === undefined) return [];
      const pressure =
        s.direction === 'lowerIsBetter' ? projected >= s.upThreshold : projected <= s.upThreshold;
      if (!pressure) return [];
      const op = s.direction === 'lowerIsBetter' ? '>=' : '<=';
      return [
        `${s.name} ${describeValue(s.value)} x ${ratioText(shrink)} -> ${round(projected)} ${op} ${round(s.upThreshold)}`,
      ];
    });
  return passed.length === 0 ? undefined : passed.join(', ');
}

const describeValue = (value: number | undefined): string =>
  value === undefined ? 'no data' : Number.isNaN(value) ? 'NaN' : String(round(value));
const round = (value: number): number => Math.round(value * 1000) / 1000;
const ratioText = (ratio: number): string => (Number.isFinite(ratio) ? ratio.toFixed(2) : String(ratio));

function describeSignals(signals: readonly MetricSignal[], state: SignalState): string {
  return [...signals]
    .filter((s) => s.state === state)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      if (state === 'noData' || state === 'inBand') return `${s.name} = ${describeValue(s.value)}`;
      const threshold = state === 'pressure' ? s.upThreshold : s.downThreshold;
      const above = (state === 'pressure') === (s.direction === 'lowerIsBetter');
      return `${s.name} = ${describeValue(s.value)} ${above ? '>' : '<'} ${round(threshold)}`;
    })
    .join(', ');
}

interface Current {
  readonly tierName: string;
  readonly tier: GpuTier | undefined;
  readonly replicas: number;
}

interface Raw {
  readonly decision: Decision;
  readonly target: { readonly tier: string; readonly replicas: number };
}

const holdRaw = (current: Current, reason: HoldReason, message: string): Raw => ({
  decision: { action: 'hold', reason, message },
  target: { tier: current.tierName, replicas: current.replicas },
});

const upDown = (
  action: 'up' | 'down',
  tier: GpuTier,
  current: Current,
  reason: ActReason,
  message: string,
): Raw => ({
  decision: { action, targetTier: tier.name, reason, message },
  target: { tier: tier.name, replicas: current.replicas },
});

const outIn = (
  action: 'out' | 'in',
  replicas: number,
  current: Current,
  reason: ActReason,
  message: string,
): Raw => ({
  decision: { action, targetReplicas: replicas, reason, message },
  target: { tier: current.tierName, replicas },
});

function stepOptions(input: DecideInput, pods: number) {
  return {
    capacity: input.capacity,
    pods: Math.max(1, pods),
    nowMs: input.nowMs,
    ...(input.observation.tierBackoffUntilMs === undefined
      ? {}
      : { backoffUntilMs: input.observation.tierBackoffUntilMs }),
  };
}

/** Restores the tier and replica bounds; undefined when the service is within them. */
function boundsDecision(input: DecideInput, current: Current, withReplicas: boolean): Raw | undefined {
  const { catalog, config } = input;
  const s = config.settings;
  const placement = placeOnLadder(catalog, s, current.tierName);
  const pods = withReplicas
    ? Math.min(Math.max(current.replicas, s.minReplicas), s.maxReplicas)
    : current.replicas;
  if (placement === 'unknown' || placement === 'belowMinimum') {
    const step = nextTierUp(catalog, s, current.tierName, stepOptions(input, pods));
    const why =
      placement === 'unknown'
        ? `tier "${current.tierName}" is not in the catalog`
        : `tier ${current.tierName} is below the minimum tier ${s.minTier ?? s.ladder[0]}`;
    if (!step.found) return holdRaw(current, 'noCapacity', `${why}, but ${step.message}`);
    return upDown('up', step.tier, current, 'belowMinimum', `${why}: moving up to ${step.tier.name}`);
  }
  if (placement === 'aboveMaximum') {
    const step = previousTierDown(catalog, s, current.tierName, stepOptions(input, pods));
    const why = `tier ${current.tierName} is above the maximum tier ${s.maxTier ?? s.ladder[s.ladder.length - 1]}`;
    if (!step.found) return holdRaw(current, 'noCapacity', `${why}, but ${step.message}`);
    return upDown('down', step.tier, current, 'aboveMaximum', `${why}: moving down to ${step.tier.name}`);
  }
  if (!withReplicas || current.tier === undefined) return undefined;
  if (current.replicas < s.minReplicas) {
    const missing = s.minReplicas - current.replicas;
    const why = `${current.replicas} replica(s) is below minReplicas ${s.minReplicas}`;
    if (!hasUnitsFor(input.capacity, current.tier, missing)) {
      return holdRaw(
        current,
        'noCapacity',
        `${why}, but no free ${current.tier.resource} for ${missing} more pod(s)`,
      );
    }
    return outIn('out', s.minReplicas, current, 'belowMinimum', `${why}: scaling out to ${s.minReplicas}`);
  }
  if (current.replicas > s.maxReplicas) {
    return outIn(
      'in',
      s.maxReplicas,
      current,
      'aboveMaximum',
      `${current.replicas} replica(s) is above maxReplicas ${s.maxReplicas}: scaling in to ${s.maxReplicas}`,
    );
  }
  return undefined;
}

/**
 * Pressure: up (next tier with room for every replica) or out (one more replica of the current tier),
 * whichever adds serving capacity (`servingCapacity`: max of compute and bandwidth share) at the lower
 * cost per unit of added capacity:
 *   up:  (cost(next) - cost(cur)) × R / ((capacity(next) - capacity(cur)) × R)
 *   out: cost(cur) / capacity(cur)
 * A tie goes to up (fewer replicas: the model's weights are loaded once and a bigger slice also brings
 * memory for KV cache). A tier step that adds no capacity (only memory) counts as infinitely expensive per
 * unit, so it is taken only when out is impossible.
 */
function scaleUpOrOut(input: DecideInput, current: Current, why: string, withReplicas: boolean): Raw {
  const { catalog, config, capacity } = input;
  const s = config.settings;
  const tier = current.tier;
  const up = nextTierUp(catalog, s, current.tierName, stepOptions(input, current.replicas));
  if (!withReplicas || tier === undefined) {
    const blocked = strictStepBlocked(up, 'larger');
    if (!withReplicas && blocked !== undefined)
      return holdRaw(current, 'noCapacity', `${why}, but ${blocked}`);
    if (up.found)
      return upDown(
        'up',
        up.tier,
        current,
        'sloPressure',
        `${why}: up from ${current.tierName} to ${up.tier.name}`,
      );
    return holdRaw(current, up.reason, `${why}, but ${up.message}`);
  }
  const outAllowed = current.replicas + 1 <= s.maxReplicas;
  const outFits = outAllowed && hasUnitFor(capacity, tier);
  const outRatio = tier.relativeCost / servingCapacity(tier);
  const upRatio = up.found ? marginalRatio(up.tier, tier) : Number.POSITIVE_INFINITY;
  const pick: 'up' | 'out' | undefined =
    up.found && (!outFits || upRatio <= outRatio) ? 'up' : outFits ? 'out' : undefined;
  const compare =
    !up.found || !outFits
      ? ''
      : pick === 'up'
        ? ` (cost per added capacity: up ${ratioText(upRatio)} <= out ${ratioText(outRatio)})`
        : ` (cost per added capacity: out ${ratioText(outRatio)} < up ${ratioText(upRatio)})`;
  const singleAfter =
    pick === 'up' && up.found
      ? servingCapacity(up.tier) * current.replicas
      : pick === 'out'
        ? servingCapacity(tier) * (current.replicas + 1)
        : servingCapacity(tier) * current.replicas;
  const jump = growthStep(input, current, tier, singleAfter, why);
  if (jump !== undefined) return jump;
  if (pick === 'up' && up.found) {
    return upDown(
      'up',
      up.tier,
      current,
      'sloPressure',
      `${why}: up from ${current.tierName} to ${up.tier.name}${compare}`,
    );
  }
  if (pick === 'out') {
    const target = current.replicas + 1;
    return outIn(
      'out',
      target,
      current,
      'sloPressure',
      `${why}: out from ${current.replicas} to ${target} replicas of ${current.tierName}${compare}`,
    );
  }
  const outWhy = outAllowed
    ? `no free ${tier.resource} for one more replica`
    : `already at maxReplicas ${s.maxReplicas}`;
  const reason: HoldReason = !up.found && up.reason === 'atLimit' && !outAllowed ? 'atLimit' : 'noCapacity';
  return holdRaw(current, reason, `${why}, but ${up.found ? '' : `${up.message}; `}${outWhy}`);
}

/**
 * Under a sustained load growth (`settings.loadGrowth`): when the single step of `scaleUpOrOut` leaves less
 * serving capacity than `current x growth` (growth capped at `maxStepFactor`), the step that keeps up
 * instead: the smallest larger tier reaching that capacity with the same replicas, or the replica count of
 * the current tier that does (at most maxReplicas), whichever costs less (relativeCost x replicas; a tie
 * goes to the tier, as in `scaleUpOrOut`). Undefined when the growth is unknown, not above 1, small enough
 * for the single step, or no jump is possible.
 */
function growthStep(
  input: DecideInput,
  current: Current,
  tier: GpuTier,
  singleAfter: number,
  why: string,
): Raw | undefined {
  const { catalog, config, capacity } = input;
  const s = config.settings;
  if (s.loadGrowth === undefined || s.policy !== 'step') return undefined;
  const growth = sustainedGrowth(arrivalCountsOf(input.metrics));
  if (growth <= 1) return undefined;
  const now = servingCapacity(tier) * current.replicas;
  const target = now * Math.min(growth, s.loadGrowth.maxStepFactor);
  if (singleAfter >= target - EPSILON) return undefined;
  let upTier: GpuTier | undefined;
  for (let from = current.tierName; upTier === undefined;) {
    const step = nextTierUp(catalog, s, from, stepOptions(input, current.replicas));
    if (!step.found) break;
    if (servingCapacity(step.tier) * current.replicas >= target - EPSILON) upTier = step.tier;
    from = step.tier.name;
  }
  const wanted = Math.min(s.maxReplicas, Math.ceil(target / servingCapacity(tier) - EPSILON));
  const outReplicas =
    wanted > current.replicas && hasUnitsFor(capacity, tier, wanted - current.replicas) ? wanted : undefined;
  const upCost = upTier === undefined ? Number.POSITIVE_INFINITY : upTier.relativeCost * current.replicas;
  const outCost = outReplicas === undefined ? Number.POSITIVE_INFINITY : tier.relativeCost * outReplicas;
  const grew = `${why}; the load grew ${ratioText(growth)}x in 2 minutes, more than one step adds`;
  if (upTier !== undefined && upCost <= outCost + EPSILON) {
    return upDown(
      'up',
      upTier,
      current,
      'sloPressure',
      `${grew}: up from ${current.tierName} to ${upTier.name} (serving capacity x ${ratioText(servingCapacity(upTier) / servingCapacity(tier))})`,
    );
  }
  if (outReplicas !== undefined) {
    return outIn(
      'out',
      outReplicas,
      current,
      'sloPressure',
      `${grew}: out from ${current.replicas} to ${outReplicas} replicas of ${current.tierName}`,
    );
  }
  return undefined;
}

/**
 * The original moves exactly one ladder step: when the adjacent tier had to be skipped (no capacity, back-off),
 * `ksiss-original` holds instead of jumping further. Returns why, or undefined when the step is adjacent.
 */
function strictStepBlocked(step: TierStep, size: 'larger' | 'smaller'): string | undefined {
  const first = step.skipped[0];
  if (!step.found || first === undefined) return undefined;
  return `the next ${size} tier ${first.tier} is not available (${first.reason}); ksiss-original moves one step only`;
}

/** Marginal cost per marginal serving capacity of moving from `from` to `to` (same replica count). */
function marginalRatio(to: GpuTier, from: GpuTier): number {
  const added = servingCapacity(to) - servingCapacity(from);
  const addedCost = to.relativeCost - from.relativeCost;
  if (added <= EPSILON) return addedCost <= 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return addedCost / added;
}

/**
 * Slack (or idle): down (previous tier with room for every replica) or in (one replica fewer), whichever
 * saves the more cost per unit of serving capacity given up:
 *   down: (cost(cur) - cost(prev)) / (capacity(cur) - capacity(prev))
 *   in:   cost(cur) / capacity(cur)
 * A tie goes to in: replicas leave before the tier shrinks, so with replicas above minReplicas the service
 * first scales in, which needs no migration and keeps the per-replica capacity the load was served with.
 * A step down that gives up no capacity but saves cost comes first.
 *
 * On slack (not idle) each candidate must also pass the step guard: every metric, projected onto the
 * capacity left after the step (`projectAfterStepDown`), must stay short of its up threshold; a step that
 * would land in pressure is dropped. With every candidate dropped the service holds (`withinBand`).
 */
function scaleDownOrIn(
  input: DecideInput,
  current: Current,
  reason: ActReason,
  why: string,
  withReplicas: boolean,
  signals: readonly MetricSignal[] = [],
): Raw {
  const { catalog, config } = input;
  const s = config.settings;
  const tier = current.tier;
  const down = previousTierDown(catalog, s, current.tierName, stepOptions(input, current.replicas));
  if (!withReplicas || tier === undefined) {
    const blocked = strictStepBlocked(down, 'smaller');
    if (!withReplicas && blocked !== undefined)
      return holdRaw(current, 'noCapacity', `${why}, but ${blocked}`);
    if (down.found)
      return upDown(
        'down',
        down.tier,
        current,
        reason,
        `${why}: down from ${current.tierName} to ${down.tier.name}`,
      );
    return holdRaw(current, down.reason, `${why}, but ${down.message}`);
  }
  const guarded = reason === 'slack';
  const inPossible = current.replicas - 1 >= s.minReplicas;
  const inOvershoot =
    guarded && inPossible
      ? stepOvershoot(signals, capacityShrinkFactor(tier, current.replicas, tier, current.replicas - 1))
      : undefined;
  const downOvershoot =
    guarded && down.found
      ? stepOvershoot(signals, capacityShrinkFactor(tier, current.replicas, down.tier, current.replicas))
      : undefined;
  const inAllowed = inPossible && inOvershoot === undefined;
  const downAllowed = down.found && downOvershoot === undefined;
  const inRatio = tier.relativeCost / servingCapacity(tier);
  const downRatio = down.found ? savingRatio(tier, down.tier) : Number.NEGATIVE_INFINITY;
  if (inAllowed && (!downAllowed || inRatio >= downRatio)) {
    const target = current.replicas - 1;
    const compare = downAllowed
      ? ` (cost saved per capacity: in ${ratioText(inRatio)} >= down ${ratioText(downRatio)})`
      : downOvershoot !== undefined && down.found
        ? ` (down to ${down.tier.name} would overshoot: ${downOvershoot})`
        : '';
    return outIn(
      'in',
      target,
      current,
      reason,
      `${why}: in from ${current.replicas} to ${target} replicas of ${current.tierName}${compare}`,
    );
  }
  if (downAllowed && down.found) {
    const compare = inAllowed
      ? ` (cost saved per capacity: down ${ratioText(downRatio)} > in ${ratioText(inRatio)})`
      : inOvershoot !== undefined
        ? ` (in would overshoot: ${inOvershoot})`
        : '';
    return upDown(
      'down',
      down.tier,
      current,
      reason,
      `${why}: down from ${current.tierName} to ${down.tier.name}${compare}`,
    );
  }
  if (!down.found && inOvershoot === undefined) {
    const holdReason: HoldReason = down.reason === 'atLimit' ? 'atLimit' : 'noCapacity';
    return holdRaw(
      current,
      holdReason,
      `${why}, but ${down.message} and already at minReplicas ${s.minReplicas}`,
    );
  }
  // Here a step was possible but every possible one would overshoot.
  const parts = [
    inOvershoot === undefined ? '' : `in to ${current.replicas - 1} replica(s): ${inOvershoot}`,
    downOvershoot === undefined || !down.found ? '' : `down to ${down.tier.name}: ${downOvershoot}`,
  ].filter((p) => p !== '');
  return holdRaw(
    current,
    'withinBand',
    `${why}, but every step down would overshoot into pressure (${parts.join('; ')})`,
  );
}

function savingRatio(from: GpuTier, to: GpuTier): number {
  const removed = servingCapacity(from) - servingCapacity(to);
  const saved = from.relativeCost - to.relativeCost;
  if (removed <= EPSILON) return saved > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return saved / removed;
}

function sortedHistory(recommendations: readonly Recommendation[]): readonly Recommendation[] {
  return [...recommendations].sort((a, b) => a.atMs - b.atMs);
}

/**
 * Recommendations that were in force within the last `windowSeconds`: a recommendation holds from its
 * `atMs` until the next one (or now), so a history that stores only changes (run-length) works too.
 */
export function recommendationsInWindow(
  history: readonly Recommendation[],
  nowMs: number,
  windowSeconds: number,
): readonly Recommendation[] {
  const sorted = sortedHistory(history);
  const cutoffMs = nowMs - windowSeconds * 1000;
  return sorted.filter((rec, index) => (sorted[index + 1]?.atMs ?? nowMs) > cutoffMs);
}

/** Since when the service has been idle without a break (the trailing run of idle recommendations). */
export function idleSinceMs(history: readonly Recommendation[], nowMs: number): number {
  const sorted = sortedHistory(history);
  let since = nowMs;
  for (let index = sorted.length - 1; index >= 0; index -= 1) {
    const rec = sorted[index];
    if (rec === undefined || rec.idle !== true) break;
    since = rec.atMs;
  }
  return since;
}

/** Applies the stabilization window of the action's direction; undefined when the action may go ahead. */
function stabilizationHold(
  input: DecideInput,
  current: Current,
  raw: Raw,
  target: Recommendation,
): Raw | undefined {
  const { catalog, config, observation, nowMs } = input;
  const s = config.settings;
  const action = raw.decision.action;
  const currentCapacity = providedCapacity(catalog, current.tierName, current.replicas);
  const capacityOf = (rec: Recommendation): ProvidedCapacity =>
    providedCapacity(catalog, rec.tier, rec.replicas);
  // The windows are the shared HPA rule (stabilization.ts `windowExtreme`, also behind the policy path),
  // here over the capacity each recommendation provides. Before the history begins (a new service, or one
  // whose state was lost) the service is taken to have recommended its current configuration, as the HPA
  // seeds a new autoscaler: an unobserved window never lets an action through early.
  const extreme = (windowSeconds: number, pick: 'lowest' | 'highest'): ProvidedCapacity => {
    const history = sortedHistory(observation.recommendations);
    const covered = history[0] !== undefined && history[0].atMs <= nowMs - windowSeconds * 1000;
    const points = [
      ...runEnds(
        history.map((rec) => ({ atMs: rec.atMs, value: capacityOf(rec) })),
        nowMs,
      ),
      ...(covered ? [] : [{ atMs: nowMs, value: currentCapacity }]),
    ];
    return windowExtreme(points, nowMs, windowSeconds, capacityOf(target), pick, compareCapacity);
  };
  if (action === 'up' || action === 'out') {
    if (s.scaleUpStabilizationSeconds <= 0) return undefined;
    const lowest = extreme(s.scaleUpStabilizationSeconds, 'lowest');
    if (compareCapacity(lowest, currentCapacity) > 0) return undefined;
    return holdRaw(
      current,
      'stabilizing',
      `scale-up stabilization (${s.scaleUpStabilizationSeconds}s): a recommendation in the window is not above the current configuration; would: ${raw.decision.message}`,
    );
  }
  if (action === 'down' || action === 'in') {
    if (s.scaleDownStabilizationSeconds <= 0) return undefined;
    const highest = extreme(s.scaleDownStabilizationSeconds, 'highest');
    if (compareCapacity(highest, currentCapacity) < 0) return undefined;
    return holdRaw(
      current,
      'stabilizing',
      `scale-down stabilization (${s.scaleDownStabilizationSeconds}s): the window still holds a recommendation at or above the current configuration; would: ${raw.decision.message}`,
    );
  }
  return undefined;
}

/** Decides what one service should do now. Pure: same input, same output. */
export function decideScale(given: DecideInput): DecideOutput {
  // A block without a ladder follows its own tier's family when the tier is not on the default ladder.
  const settings = effectiveSettings(given.config.settings, given.catalog, given.observation.tier);
  const input: DecideInput =
    settings === given.config.settings ? given : { ...given, config: { ...given.config, settings } };
  const { config, catalog, observation, metrics, nowMs } = input;
  const s = config.settings;
  const original = s.policy === 'ksiss-original';
  const withReplicas = !original;
  const current: Current = {
    tierName: observation.tier,
    tier: catalog.get(observation.tier),
    replicas: observation.readyReplicas,
  };
  const signals = evaluateSignals(config.metrics, metrics);
  const sizing = s.policy === 'size';
  const idleRate = s.idle !== undefined && !original && !sizing ? metrics[REQUEST_RATE_METRIC] : undefined;
  const idleNow = idleRate === 0;
  let learned: CapacityFactors | undefined = observation.capacityFactors;
  let fallbackNote = '';
  const finish = (given: Raw, target = given.target): DecideOutput => {
    const raw: Raw =
      fallbackNote === ''
        ? given
        : {
            ...given,
            decision: { ...given.decision, message: `${given.decision.message} (${fallbackNote})` },
          };
    const factors = learned === undefined ? {} : { capacityFactors: learned };
    const recommendation: Recommendation = {
      atMs: nowMs,
      tier: target.tier,
      replicas: target.replicas,
      ...(idleNow ? { idle: true } : {}),
    };
    const decision = raw.decision;
    if (s.dryRun && decision.action !== 'hold') {
      return {
        decision: {
          action: 'hold',
          reason: 'dryRun',
          message: `dry run: would ${describeAction(decision)} (${decision.reason}): ${decision.message}`,
        },
        recommendation,
        signals,
        wouldAct: decision,
        ...factors,
      };
    }
    return { decision, recommendation, signals, ...factors };
  };

  if (observation.migrationInFlight) {
    return finish(
      holdRaw(
        current,
        'migrationInFlight',
        'a tier migration is in flight; nothing else happens until it ends',
      ),
    );
  }
  const bounds = boundsDecision(input, current, withReplicas);
  if (bounds !== undefined) return finish(bounds);

  const band = bandOf(signals);
  if (sizing) {
    const why =
      band === 'pressure'
        ? `sloPressure: ${describeSignals(signals, 'pressure')}`
        : band === 'noData'
          ? `no data: ${describeSignals(signals, 'noData')}`
          : band === 'slack'
            ? `slack: ${describeSignals(signals, 'slack')}`
            : describeBand(signals);
    const sized = decideSize(input, current, band, why);
    learned = Object.keys(sized.factors).length === 0 ? undefined : sized.factors;
    if (sized.kind === 'decided') {
      const raw = sized.raw;
      if (raw.decision.action === 'hold') return finish(raw, sized.recommend);
      const cooldown = readyCooldownRemainingMs(
        observation,
        nowMs,
        s.cooldownSeconds,
        s.migration.readyTimeoutSeconds,
      );
      if (
        cooldown.remainingMs > 0 &&
        !outgrowsPending(observation, raw, s.sizing.headroomFloor, sized.coverage)
      ) {
        const last =
          observation.lastAction === undefined
            ? 'the last action'
            : `the last action (${observation.lastAction})`;
        const wait = cooldown.waiting
          ? `cooldown: waiting for ${last} to be in place (${observation.pendingTarget?.replicas} x ${observation.pendingTarget?.tier})`
          : `cooldown: ${last} in place, ${Math.ceil(cooldown.remainingMs / 1000)}s of ${s.cooldownSeconds}s left`;
        return finish(
          holdRaw(current, 'cooldown', `${wait}; would: ${raw.decision.message}`),
          sized.recommend,
        );
      }
      const windowed = sizeWindows(input, current, raw, sized.plan);
      return finish(windowed ?? raw, sized.recommend);
    }
    fallbackNote = `sizing: ${sized.why}; ladder step instead`;
  }
  const idleFor = nowMs - idleSinceMs(observation.recommendations, nowMs);
  const idle =
    idleNow && s.idle !== undefined && band !== 'pressure' && idleFor >= s.idle.afterSeconds * 1000;

  let raw: Raw;
  if (band === 'pressure') {
    raw = scaleUpOrOut(input, current, `sloPressure: ${describeSignals(signals, 'pressure')}`, withReplicas);
  } else if (band === 'slack') {
    raw = scaleDownOrIn(
      input,
      current,
      'slack',
      `slack: ${describeSignals(signals, 'slack')}`,
      withReplicas,
      signals,
    );
  } else if (idle) {
    raw = scaleDownOrIn(
      input,
      current,
      'idle',
      `idle: request rate 0 for ${Math.round(idleFor / 1000)}s`,
      withReplicas,
    );
  } else {
    const hold =
      band === 'noData'
        ? holdRaw(current, 'noData', `no data (never a scale-down): ${describeSignals(signals, 'noData')}`)
        : holdRaw(current, 'withinBand', describeBand(signals));
    if (!idleNow || s.idle === undefined) return finish(hold);
    // Idle but not for long enough yet: hold, but recommend the step down so that the scale-down window
    // runs alongside the idle time instead of after it.
    const waiting = scaleDownOrIn(input, current, 'idle', 'idle', withReplicas);
    const message = `${hold.decision.message}; idle for ${Math.round(idleFor / 1000)}s of ${s.idle.afterSeconds}s`;
    return finish(
      { ...hold, decision: { action: 'hold', reason: band === 'noData' ? 'noData' : 'withinBand', message } },
      waiting.target,
    );
  }
  if (raw.decision.action === 'hold' || original) return finish(raw);

  // Cooldown and the windows turn an action into a hold, but the raw recommendation is still recorded.
  const target: Recommendation = { atMs: nowMs, tier: raw.target.tier, replicas: raw.target.replicas };
  const cooldownMs = cooldownRemainingMs(observation.lastActionAtMs, nowMs, s.cooldownSeconds);
  if (cooldownMs > 0) {
    const last =
      observation.lastAction === undefined ? 'last action' : `last action (${observation.lastAction})`;
    return finish(
      holdRaw(
        current,
        'cooldown',
        `cooldown: ${last} ${Math.round((nowMs - (observation.lastActionAtMs ?? nowMs)) / 1000)}s ago, ${Math.ceil(cooldownMs / 1000)}s left; would: ${raw.decision.message}`,
      ),
      raw.target,
    );
  }
  const stabilized = stabilizationHold(input, current, raw, target);
  if (stabilized !== undefined) return finish(stabilized, raw.target);
  return finish(raw);
}

function describeBand(signals: readonly MetricSignal[]): string {
  const inBand = describeSignals(signals, 'inBand');
  const slack = describeSignals(signals, 'slack');
  const parts = [inBand === '' ? '' : `in band: ${inBand}`, slack === '' ? '' : `slack: ${slack}`].filter(
    (p) => p !== '',
  );
  return `within band (${parts.join('; ')})`;
}

/** `up to mig-2g.20gb`, `out to 3 replicas`. */
export function describeAction(decision: ActDecision): string {
  if (!('targetTier' in decision)) return `scale ${decision.action} to ${decision.targetReplicas} replicas`;
  return decision.targetReplicas === undefined
    ? `scale ${decision.action} to ${decision.targetTier}`
    : `scale ${decision.action} to ${decision.targetReplicas} x ${decision.targetTier}`;
}

/** How far back the history must reach for these settings: the longest window (and the idle time). */
export function historyHorizonSeconds(settings: ServiceSettings): number {
  return Math.max(
    settings.scaleUpStabilizationSeconds,
    settings.scaleDownStabilizationSeconds,
    settings.idle?.afterSeconds ?? 0,
  );
}

/** At most this many recommendations are kept (they are stored in an annotation). */
export const MAX_RECOMMENDATIONS = 200;

/**
 * Appends this tick's recommendation to the history and drops what no window needs any more. An unchanged
 * recommendation is not appended (run-length: each entry holds until the next), so the stored history stays
 * small; the entry in force at the start of the horizon is kept.
 */
export function recordRecommendation(
  history: readonly Recommendation[],
  recommendation: Recommendation,
  settings: ServiceSettings,
): readonly Recommendation[] {
  const sorted = sortedHistory(history);
  const last = sorted[sorted.length - 1];
  const same =
    last !== undefined &&
    last.tier === recommendation.tier &&
    last.replicas === recommendation.replicas &&
    (last.idle === true) === (recommendation.idle === true);
  const appended = same ? sorted : [...sorted, recommendation];
  const kept = recommendationsInWindow(appended, recommendation.atMs, historyHorizonSeconds(settings) + 1);
  return kept.slice(-MAX_RECOMMENDATIONS);
}
