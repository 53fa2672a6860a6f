import type { SizingProfile } from '../autoscaler/index.js';
import {
  DEFAULT_TIMINGS,
  LIGHT_PREFIX,
  POLICY_NAMES,
  runPoliciesWithContext,
  type KsissSimConfig,
  type PlatformTimings,
  type PolicyName,
  type SimulationResult,
  type SimulationSummary,
  type SloTargets,
  type StartMode,
  type Trace,
  type WindowRequirement,
} from '../simulator/index.js';
import { SERIES_EVERY_MS } from '../simulator/simulate.js';

/**
 * The decision benchmark's matrix: every trace x {warm, cold} x model error {0.8, 1, 1.25}, every policy, and
 * the aims of issue 12 checked per cell. Pure but for the time it measures: bench/decisions.ts does the I/O.
 */

/** The model errors of the matrix: the simulated serving 20% slower, as profiled, and 25% faster. */
export const MODEL_ERRORS = [0.8, 1, 1.25] as const;

/** The policies k-siss is compared with for cost: everything but k-siss and the two references. */
export const BASELINES: readonly PolicyName[] = POLICY_NAMES.filter(
  (p) => p !== 'k-siss' && p !== 'oracle' && p !== 'oracle-reactive',
);

/** The aims (issue 12, "Done means"). */
export const AIMS = {
  /** Attainment wherever oracle-reactive reaches it. */
  attainment: 0.99,
  /** Else within this much (0.3 points) of oracle-reactive's. */
  attainmentSlack: 0.003,
  /** GPU-hours at most this times the oracle's. */
  oracleRatio: 1.2,
  /** On a cold cell: the capacity in place within one pod start-up (see coldStartAimMs) plus this. */
  coldExtraMs: 45_000,
  /** ... in this many actions. */
  coldActions: 1,
} as const;

/**
 * One pod start-up of the simulated platform, as the cold-start aim counts it: the longest start (start plus
 * its whole jitter) and the revision's readiness delay, plus the aim's 45 s.
 */
export function coldStartAimMs(timings: PlatformTimings): number {
  return timings.podStartMs + timings.podStartJitterMs + timings.revisionReadyDelayMs + AIMS.coldExtraMs;
}

/** What a cell is. */
export interface CellKey {
  readonly trace: string;
  readonly start: StartMode;
  readonly modelError: number;
}

/** How soon after the load's arrival a policy's configuration in place could carry it (cold cells). */
export interface ColdStartReading {
  /** Time from the load's arrival until the serving configuration meets the oracle's requirement, ms. */
  readonly afterMs: number | undefined;
  /** The configuration then in place. */
  readonly inPlace: { readonly tier: string; readonly readyReplicas: number } | undefined;
  /** Actions the policy took from the load's arrival until then (all of its actions after it, if never). */
  readonly actions: number;
  /** The oracle's plan for the first window of load: its cheapest configuration. */
  readonly oracleNeeds: { readonly tier: string; readonly replicas: number } | undefined;
}

/** An aim's verdict: met or not, and the margin (positive: met by that much; negative: short by that much). */
export interface AimVerdict {
  readonly met: boolean;
  readonly margin: number;
  /** What the margin is in (for the table). */
  readonly text: string;
}

/** The aims of one cell. */
export interface CellAims {
  readonly attainment: AimVerdict;
  readonly oracleRatio: AimVerdict;
  readonly cheapest: AimVerdict;
  /** Cold cells only. */
  readonly coldStart?: AimVerdict;
}

/** One cell's runs and verdicts. */
export interface CellOutcome {
  readonly key: CellKey;
  readonly requests: number;
  readonly durationMin: number;
  readonly results: readonly SimulationResult[];
  /** Per policy: GPU-hours billed beyond the configuration in force (overlapGpuHours). */
  readonly overlapGpuHours: Readonly<Record<string, number>>;
  readonly aims: CellAims | undefined;
  /** k-siss's and oracle-reactive's cold-start readings (cold cells). */
  readonly coldStart?: Readonly<Partial<Record<'k-siss' | 'oracle-reactive', ColdStartReading>>>;
  readonly wallMs: number;
}

/** What every cell shares. */
export interface MatrixContext {
  readonly ksiss: KsissSimConfig;
  readonly slo: SloTargets;
  readonly seed: number;
  /** The profile k-siss is given (profileOf the unscaled model), computed once for the whole matrix. */
  readonly profile: SizingProfile;
  readonly policies?: readonly PolicyName[];
  readonly timings?: PlatformTimings;
  /** Wall clock for the cell's time (injected: the matrix's results do not depend on it). */
  readonly nowMs?: () => number;
}

/**
 * The requirement of the first window of load on a cold run (the window starting where the light prefix
 * ends), and the cheapest configuration meeting it on the plan tiers.
 */
function firstLoadWindow(
  requirements: readonly WindowRequirement[],
  arrivalMs: number,
  ksiss: KsissSimConfig,
): { window: WindowRequirement; cheapest: { tier: string; replicas: number } | undefined } | undefined {
  const window = requirements.find((w) => w.startMs === arrivalMs);
  if (window === undefined) return undefined;
  let cheapest: { tier: string; replicas: number } | undefined;
  let cost = Number.POSITIVE_INFINITY;
  for (const tier of ksiss.config.settings.ladder) {
    const n = window.replicasByTier[tier];
    const c = (ksiss.catalog.get(tier)?.computeFraction ?? Number.POSITIVE_INFINITY) * (n ?? Infinity);
    if (n !== undefined && c < cost) {
      cost = c;
      cheapest = { tier, replicas: n };
    }
  }
  return { window, cheapest };
}

/**
 * When the configuration a policy had in place first had at least the capacity the oracle plans for the first
 * window of load: its serving tier with at least as many Ready replicas as the oracle's search found that
 * tier needs for the window (99% of the window's requests within the SLOs). Counted from the load's arrival.
 */
export function coldStartReading(
  result: SimulationResult,
  requirements: readonly WindowRequirement[],
  ksiss: KsissSimConfig,
  arrivalMs: number = LIGHT_PREFIX.durationMs,
): ColdStartReading {
  const first = firstLoadWindow(requirements, arrivalMs, ksiss);
  const enough = (p: { tier: string; readyReplicas: number }): boolean => {
    const need = first?.window.replicasByTier[p.tier];
    return need !== undefined && p.readyReplicas >= need;
  };
  const timeline = result.servingTimeline;
  let at: number | undefined;
  let inPlace: { tier: string; readyReplicas: number } | undefined;
  for (let i = 0; i < timeline.length; i += 1) {
    const p = timeline[i];
    const next = timeline[i + 1];
    if (p === undefined || (next !== undefined && next.atMs <= arrivalMs)) continue;
    if (enough(p)) {
      at = Math.max(arrivalMs, p.atMs);
      inPlace = { tier: p.tier, readyReplicas: p.readyReplicas };
      break;
    }
  }
  const actions = result.actions.filter((a) => a.atMs >= arrivalMs && (at === undefined || a.atMs <= at));
  return {
    afterMs: at === undefined ? undefined : at - arrivalMs,
    inPlace,
    actions: actions.length,
    oracleNeeds: first?.cheapest,
  };
}

const points = (share: number): string => `${(share * 100).toFixed(2)} pts`;

/** The aims for k-siss in one cell. */
export function cellAims(
  results: readonly SimulationResult[],
  coldStart: ColdStartReading | undefined,
  timings: PlatformTimings,
): CellAims | undefined {
  const by = (name: string): SimulationSummary | undefined =>
    results.find((r) => r.summary.policy === name)?.summary;
  const k = by('k-siss');
  const oracle = by('oracle');
  const reactive = by('oracle-reactive');
  if (k === undefined || oracle === undefined || reactive === undefined) return undefined;
  const needed =
    reactive.sloAttainment >= AIMS.attainment
      ? AIMS.attainment
      : reactive.sloAttainment - AIMS.attainmentSlack;
  const attainmentMargin = k.sloAttainment - needed;
  const ratio = k.gpuHours / oracle.gpuHours;
  const rivals = results
    .map((r) => r.summary)
    .filter((s) => BASELINES.includes(s.policy as PolicyName) && s.sloAttainment >= k.sloAttainment);
  const cheaper = rivals.filter((s) => s.gpuHours <= k.gpuHours);
  const cheapestRival = [...rivals].sort((a, b) => a.gpuHours - b.gpuHours)[0];
  const cheapestMargin =
    cheapestRival === undefined ? Number.POSITIVE_INFINITY : cheapestRival.gpuHours / k.gpuHours - 1;
  const aims: CellAims = {
    attainment: {
      met: attainmentMargin >= 0,
      margin: attainmentMargin,
      text: `${(k.sloAttainment * 100).toFixed(2)}% vs ${(needed * 100).toFixed(2)}% (${attainmentMargin >= 0 ? '+' : ''}${points(attainmentMargin)})`,
    },
    oracleRatio: {
      met: ratio <= AIMS.oracleRatio,
      margin: AIMS.oracleRatio - ratio,
      text: `${ratio.toFixed(2)} x`,
    },
    cheapest: {
      met: cheaper.length === 0,
      margin: cheapestMargin,
      text:
        cheapestRival === undefined
          ? 'no baseline as good'
          : cheaper.length === 0
            ? `next ${cheapestRival.policy} +${(cheapestMargin * 100).toFixed(0)}%`
            : `${cheaper.map((s) => s.policy).join(', ')} cheaper (${cheapestRival.policy} ${(cheapestMargin * 100).toFixed(0)}%)`,
    },
  };
  if (coldStart === undefined) return aims;
  const limitMs = coldStartAimMs(timings);
  const after = coldStart.afterMs;
  return {
    ...aims,
    coldStart: {
      met: after !== undefined && after <= limitMs && coldStart.actions <= AIMS.coldActions,
      margin: after === undefined ? Number.NEGATIVE_INFINITY : (limitMs - after) / 1000,
      text:
        after === undefined
          ? `never (${coldStart.actions} actions)`
          : `${(after / 1000).toFixed(0)} s of ${(limitMs / 1000).toFixed(0)} s, ${coldStart.actions} action${coldStart.actions === 1 ? '' : 's'}`,
    },
  };
}

/** Runs one cell: every policy on the trace, with the start and model error of the cell. */
export function runCell(trace: Trace, start: StartMode, modelError: number, ctx: MatrixContext): CellOutcome {
  const now = ctx.nowMs ?? (() => 0);
  const t0 = now();
  const timings = ctx.timings ?? DEFAULT_TIMINGS;
  const run = runPoliciesWithContext({
    trace,
    policies: ctx.policies ?? POLICY_NAMES,
    slo: ctx.slo,
    seed: ctx.seed,
    ksiss: ctx.ksiss,
    start,
    modelError,
    profile: ctx.profile,
    timings,
  });
  const reading = (name: 'k-siss' | 'oracle-reactive'): ColdStartReading | undefined => {
    const r = run.results.find((x) => x.summary.policy === name);
    return r === undefined ? undefined : coldStartReading(r, run.requirements, ctx.ksiss);
  };
  const coldStart =
    start === 'cold'
      ? Object.fromEntries(
          (['k-siss', 'oracle-reactive'] as const)
            .map((name) => [name, reading(name)] as const)
            .filter(([, r]) => r !== undefined),
        )
      : undefined;
  return {
    key: { trace: trace.name, start, modelError },
    requests: run.trace.requests.length,
    durationMin: run.trace.durationMs / 60_000,
    results: run.results,
    overlapGpuHours: Object.fromEntries(
      run.results.map((r) => [r.summary.policy, overlapGpuHours(r, ctx.ksiss.catalog)]),
    ),
    aims: cellAims(run.results, coldStart?.['k-siss'], timings),
    ...(coldStart === undefined ? {} : { coldStart }),
    wallMs: now() - t0,
  };
}

/** A cell's file name stem: `<trace>.<start>.error-<F>`. */
export function cellFileStem(key: CellKey): string {
  return `${key.trace}.${key.start}.error-${key.modelError}`;
}

/** The JSON written per cell: the key, every policy's summary and failures, the aims and cold-start readings. */
export function cellJson(cell: CellOutcome): unknown {
  return {
    ...cell.key,
    requests: cell.requests,
    durationMin: Number(cell.durationMin.toFixed(2)),
    summaries: cell.results.map((r) => ({
      ...r.summary,
      overlapGpuHours: Number((cell.overlapGpuHours[r.summary.policy] ?? 0).toFixed(4)),
      failures: r.failures,
    })),
    aims: cell.aims ?? null,
    coldStart: cell.coldStart ?? null,
  };
}

const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const verdict = (v: AimVerdict | undefined): string =>
  v === undefined ? '-' : `${v.met ? 'met' : '**not met**'}: ${v.text}`;

/** The one table of all cells: k-siss against the references and the aims. */
export function cellsTable(cells: readonly CellOutcome[]): string {
  const lines = [
    '| trace | start | model error | k-siss attainment | oracle-reactive | oracle | k-siss GPU-h | oracle GPU-h | attainment aim | GPU-h <= 1.2 x oracle | cheaper than every baseline at its attainment | cold: capacity in place (aim <= start-up + 45 s, 1 action) | oracle-reactive: capacity in place |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---|',
  ];
  for (const c of cells) {
    const s = (name: string): SimulationSummary | undefined =>
      c.results.find((r) => r.summary.policy === name)?.summary;
    const reactive = c.coldStart?.['oracle-reactive'];
    lines.push(
      [
        c.key.trace,
        c.key.start,
        String(c.key.modelError),
        pct(s('k-siss')?.sloAttainment),
        pct(s('oracle-reactive')?.sloAttainment),
        pct(s('oracle')?.sloAttainment),
        s('k-siss')?.gpuHours.toFixed(3) ?? '-',
        s('oracle')?.gpuHours.toFixed(3) ?? '-',
        verdict(c.aims?.attainment),
        verdict(c.aims?.oracleRatio),
        verdict(c.aims?.cheapest),
        c.key.start === 'cold' ? verdict(c.aims?.coldStart) : '-',
        reactive === undefined
          ? '-'
          : reactive.afterMs === undefined
            ? 'never'
            : `${(reactive.afterMs / 1000).toFixed(0)} s`,
      ]
        .join(' | ')
        .replace(/^/, '| ') + ' |',
    );
  }
  return lines.join('\n');
}

/** Every policy in every cell: attainment and GPU-hours. */
export function policiesTable(
  cells: readonly CellOutcome[],
  policies: readonly string[] = POLICY_NAMES,
): string {
  const lines = [
    `| trace | start | error | ${policies.join(' | ')} |`,
    `|---|---|---:|${policies.map(() => '---:').join('|')}|`,
  ];
  for (const c of cells) {
    const cellsText = policies.map((p) => {
      const s = c.results.find((r) => r.summary.policy === p)?.summary;
      return s === undefined ? '-' : `${pct(s.sloAttainment)} / ${s.gpuHours.toFixed(3)}`;
    });
    lines.push(`| ${c.key.trace} | ${c.key.start} | ${c.key.modelError} | ${cellsText.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Counts of met aims over the cells, for the summary's first lines. */
export function aimCounts(
  cells: readonly CellOutcome[],
): Record<keyof CellAims, { met: number; of: number }> {
  const count = (pick: (a: CellAims) => AimVerdict | undefined) => {
    const verdicts = cells
      .map((c) => (c.aims === undefined ? undefined : pick(c.aims)))
      .filter((v) => v !== undefined);
    return { met: verdicts.filter((v) => v.met).length, of: verdicts.length };
  };
  return {
    attainment: count((a) => a.attainment),
    oracleRatio: count((a) => a.oracleRatio),
    cheapest: count((a) => a.cheapest),
    coldStart: count((a) => a.coldStart),
  };
}

/**
 * GPU-hours billed beyond the configuration in force (its tier's compute fraction x desired replicas), from
 * the run's 15-second series: old and new revision both billed during a migration, pods finishing their
 * requests after a scale-in. The oracle and static-peak switch instantly and pay none.
 */
export function overlapGpuHours(result: SimulationResult, catalog: KsissSimConfig['catalog']): number {
  let gpuS = 0;
  const series = result.series;
  for (let i = 0; i < series.length; i += 1) {
    const p = series[i];
    if (p === undefined) continue;
    const stepS = (series[i + 1]?.atS ?? p.atS + SERIES_EVERY_MS / 1000) - p.atS;
    const configured = (catalog.get(p.tier)?.computeFraction ?? 0) * p.desiredReplicas;
    gpuS += Math.max(0, p.gpus - configured) * stepS;
  }
  return gpuS / 3600;
}
