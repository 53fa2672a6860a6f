/**
 * Decision benchmark: every policy on every trace of ../shared/traces (or KSISS_TRACES_DIR), then on
 * the held-out synthetic traces (bench/synthetic-traces.ts, generated into a temporary directory), through
 * the simulator; writes bench/results/<trace>-<policy>.json and bench/results/SUMMARY.md.
 * Run: `npm run bench:decisions`.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultTracesDir,
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  POLICY_NAMES,
  parseKsissSimConfig,
  readTraceFile,
  runPolicies,
  type SimulationResult,
  type KsissSimConfig,
  type SimulationSummary,
} from '../simulator/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { SERIES_EVERY_MS } from '../simulator/simulate.js';
import { HELD_OUT_TRACES, syntheticFileName, syntheticTraceText } from './synthetic-traces.js';

const TRACES_DIR = defaultTracesDir();
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const SEED = 1;
const AIM_ATTAINMENT = 0.99;
const AIM_ORACLE_RATIO = 1.15;
const SERIES_STEP_S = SERIES_EVERY_MS / 1000;

interface TraceOutcome {
  readonly trace: string;
  /** Per policy: GPU-hours billed beyond the configuration in force (migration overlap, draining pods). */
  readonly overlapGpuHours: ReadonlyMap<string, number>;
  readonly requests: number;
  readonly durationMin: number;
  readonly results: readonly SimulationResult[];
  readonly wallMs: number;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(outcome: TraceOutcome): string {
  const oracle = outcome.results.find((r) => r.summary.policy === 'oracle')?.summary;
  const lines = [
    '| policy | SLO attainment | TTFT p50 / p99 ms | TPOT p50 / p99 ms | GPU-hours | of which overlap | x oracle | actions | migrations | oscillations | failed (cut / rejected) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of outcome.results) {
    const s = r.summary;
    const ratio = oracle === undefined ? Number.NaN : s.gpuHours / oracle.gpuHours;
    const failed = `${r.failures.cut + r.failures.unserved} / ${r.failures.tooLong + r.failures.kvTooSmall}`;
    lines.push(
      `| ${s.policy} | ${(s.sloAttainment * 100).toFixed(2)}% | ${fmt(s.ttftP50Ms)} / ${fmt(s.ttftP99Ms)} | ${fmt(s.tpotP50Ms, 1)} / ${fmt(s.tpotP99Ms, 1)} | ${fmt(s.gpuHours, 3)} | ${fmt(outcome.overlapGpuHours.get(s.policy) ?? Number.NaN, 3)} | ${fmt(ratio, 2)} | ${s.actions} | ${s.migrations} | ${s.oscillations} | ${failed} |`,
    );
  }
  return lines.join('\n');
}

interface AimCheck {
  readonly k: SimulationSummary;
  readonly oracle: SimulationSummary;
  readonly attainmentMet: boolean;
  readonly oracleRatio: number;
  readonly oracleMet: boolean;
  readonly cheapestMet: boolean;
  /** Baselines reaching 99% at no more GPU-hours than k-siss. */
  readonly beaten: readonly SimulationSummary[];
}

function checkAims(outcome: TraceOutcome): AimCheck | undefined {
  const by = (name: string): SimulationSummary | undefined =>
    outcome.results.find((r) => r.summary.policy === name)?.summary;
  const k = by('k-siss');
  const oracle = by('oracle');
  if (k === undefined || oracle === undefined) return undefined;
  const baselines = outcome.results
    .map((r) => r.summary)
    .filter((s) => s.policy !== 'k-siss' && s.policy !== 'oracle' && s.sloAttainment >= AIM_ATTAINMENT);
  const beaten = baselines.filter((s) => s.gpuHours <= k.gpuHours);
  const oracleRatio = k.gpuHours / oracle.gpuHours;
  return {
    k,
    oracle,
    attainmentMet: k.sloAttainment >= AIM_ATTAINMENT,
    oracleRatio,
    oracleMet: oracleRatio <= AIM_ORACLE_RATIO,
    cheapestMet: beaten.length === 0,
    beaten,
  };
}

const yes = (ok: boolean): string => (ok ? 'met' : '**not met**');

function aims(outcome: TraceOutcome): string {
  const c = checkAims(outcome);
  if (c === undefined) return '- (k-siss or oracle missing)';
  const beaten = c.beaten.map((s) => `${s.policy} (${fmt(s.gpuHours, 3)})`);
  return [
    `- SLO attainment >= 99%: ${yes(c.attainmentMet)} (${(c.k.sloAttainment * 100).toFixed(2)}%; the oracle reaches ${(c.oracle.sloAttainment * 100).toFixed(2)}%).`,
    `- GPU-hours <= 1.15 x oracle: ${yes(c.oracleMet)} (${fmt(c.oracleRatio, 2)} x).`,
    `- fewer GPU-hours than every baseline that reaches 99%: ${yes(c.cheapestMet)}${beaten.length > 0 ? ` (as cheap or cheaper: ${beaten.join(', ')})` : ''}.`,
  ].join('\n');
}

/** One line per trace: k-siss against the three aims. */
function overview(outcomes: readonly TraceOutcome[], heldOut: ReadonlySet<string>): string {
  const lines = [
    '| trace | set | k-siss SLO attainment | k-siss GPU-h / oracle | same, migration overlap left out | >= 99% | <= 1.15 x oracle | cheaper than every baseline at 99% |',
    '|---|---|---:|---:|---:|---|---|---|',
  ];
  for (const o of outcomes) {
    const c = checkAims(o);
    if (c === undefined) continue;
    lines.push(
      `| ${o.trace} | ${heldOut.has(o.trace) ? 'held-out' : 'real'} | ${(c.k.sloAttainment * 100).toFixed(2)}% | ${fmt(c.oracleRatio, 2)} | ${fmt((c.k.gpuHours - (o.overlapGpuHours.get('k-siss') ?? 0)) / c.oracle.gpuHours, 2)} | ${yes(c.attainmentMet)} | ${yes(c.oracleMet)} | ${yes(c.cheapestMet)} |`,
    );
  }
  return lines.join('\n');
}

async function runTrace(path: string, ksiss: KsissSimConfig): Promise<TraceOutcome> {
  const t0 = Date.now();
  const read = await readTraceFile(path);
  if (!read.ok) throw new Error(read.message);
  const parsed = read.trace;
  const results = runPolicies({ trace: parsed, policies: POLICY_NAMES, slo: DEFAULT_SLO, seed: SEED, ksiss });
  const overlapGpuHours = new Map(
    results.map((r) => [r.summary.policy, overlapOf(r, ksiss.catalog)] as const),
  );
  for (const r of results) {
    writeFileSync(
      join(RESULTS_DIR, `${r.summary.trace}-${r.summary.policy}.json`),
      JSON.stringify(r.summary, null, 2) + '\n',
    );
  }
  const wallMs = Date.now() - t0;
  process.stderr.write(
    `${parsed.name}: ${POLICY_NAMES.length} policies in ${(wallMs / 1000).toFixed(1)} s\n`,
  );
  return {
    trace: parsed.name,
    overlapGpuHours,
    requests: parsed.requests.length,
    durationMin: parsed.durationMs / 60_000,
    results,
    wallMs,
  };
}

/**
 * GPU-hours billed beyond the configuration in force (its tier's compute fraction x desired replicas), from
 * the run's 15-second series: old and new revision both billed during a migration, pods finishing their
 * requests after a scale-in. The oracle and static-peak switch instantly and pay none.
 */
function overlapOf(result: SimulationResult, catalog: TierCatalog): number {
  let gpuS = 0;
  const series = result.series;
  for (let i = 0; i < series.length; i += 1) {
    const p = series[i];
    if (p === undefined) continue;
    const stepS = ((series[i + 1]?.atS ?? p.atS + SERIES_STEP_S) - p.atS) as number;
    const configured = (catalog.get(p.tier)?.computeFraction ?? 0) * p.desiredReplicas;
    gpuS += Math.max(0, p.gpus - configured) * stepS;
  }
  return gpuS / 3600;
}

const section = (o: TraceOutcome): string =>
  `### ${o.trace} (${o.requests} requests, ${o.durationMin.toFixed(1)} min; ${(o.wallMs / 1000).toFixed(1)} s wall)\n\n${table(o)}\n\nAims for k-siss:\n${aims(o)}\n`;

function describeRate(rate: (typeof HELD_OUT_TRACES)[number]['rate']): string {
  switch (rate.kind) {
    case 'diurnal':
      return `one cycle ${rate.lowPerS} -> ${rate.highPerS} -> ${rate.lowPerS} req/s`;
    case 'onOff':
      return `bursts of ${rate.onS} s at ${rate.highPerS} req/s, then ${rate.offS} s at ${rate.lowPerS} req/s`;
    case 'steps':
      return `steps of ${rate.steps.map((st) => `${st.perS} req/s until ${st.untilS / 60} min`).join(', ')}`;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const files = readdirSync(TRACES_DIR)
    .filter((f) => /\.(csv|jsonl)$/i.test(f))
    .sort();
  const configText = readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8');
  const ksiss = parseKsissSimConfig(configText, 'simulator/k-siss-sim-config.yaml', DEFAULT_SLO, {
    fillSlo: true,
  });
  if (!ksiss.ok) throw new Error(ksiss.message);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const real: TraceOutcome[] = [];
  for (const file of files) real.push(await runTrace(join(TRACES_DIR, file), ksiss.value));
  // Held-out traces: generated now into a temporary directory (never committed), removed afterwards.
  const heldOutDir = mkdtempSync(join(tmpdir(), 'ksiss-held-out-'));
  const heldOut: TraceOutcome[] = [];
  try {
    for (const spec of HELD_OUT_TRACES) {
      const path = join(heldOutDir, syntheticFileName(spec));
      writeFileSync(path, syntheticTraceText(spec));
      heldOut.push(await runTrace(path, ksiss.value));
    }
  } finally {
    rmSync(heldOutDir, { recursive: true, force: true });
  }
  const totalS = (Date.now() - started) / 1000;
  const heldOutNames = new Set(heldOut.map((o) => o.trace));
  const heldOutSpecs = HELD_OUT_TRACES.map(
    (spec) =>
      `- \`${spec.name}\` (${spec.format}, ${spec.durationS / 60} min, seed ${spec.seed}): ${describeRate(spec.rate)}; prompt median ${spec.promptTokens.median} tokens (log-sigma ${spec.promptTokens.sigma}), output median ${spec.outputTokens.median} (log-sigma ${spec.outputTokens.sigma}).`,
  ).join('\n');
  const summary = `# Decision benchmark

Generated by \`npm run bench:decisions\` (bench/decisions.ts): every policy on every trace in \`${TRACES_DIR}\`,
seed ${SEED}, on the simulated cluster (simulator/topology.ts), model \`llama-3.1-8b-fp8\` (service-model/MODEL.md),
SLOs TTFT <= ${DEFAULT_SLO.ttftMs} ms + ${DEFAULT_SLO.ttftPerPromptTokenMs} ms per prompt token and TPOT <= ${DEFAULT_SLO.tpotMs} ms.
k-siss runs the core's \`decideScale\` with simulator/k-siss-sim-config.yaml. GPU-hours count a MIG slice by its
compute fraction, from scheduling to deletion, old and new revision both billed during a migration.
"x oracle" is GPU-hours relative to the oracle of the same run. Total wall time: ${totalS.toFixed(1)} s.

## Overview: k-siss against the aims

${overview([...real, ...heldOut], heldOutNames)}

## Real traces

${real.map(section).join('\n')}
## Held-out synthetic traces

Generated at bench time by bench/synthetic-traces.ts (seeded, both formats) into a temporary directory that is
removed afterwards; the k-siss defaults were not chosen on them. They differ from the real traces in rate,
request sizes and burstiness:

${heldOutSpecs}

${heldOut.map(section).join('\n')}
${COMMENTARY}
`;

  writeFileSync(join(RESULTS_DIR, 'SUMMARY.md'), summary);
  process.stderr.write(`wrote ${join(RESULTS_DIR, 'SUMMARY.md')} (${totalS.toFixed(1)} s)\n`);
}

const COMMENTARY = readCommentary();

/** Hand-written commentary (bench/decisions-commentary.md), appended after the generated tables. */
function readCommentary(): string {
  try {
    return readFileSync(new URL('./decisions-commentary.md', import.meta.url), 'utf8');
  } catch {
    return '';
  }
}

await main();
