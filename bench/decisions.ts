/**
 * Decision benchmark (issue 12): every trace of ../shared/traces (or KSISS_TRACES_DIR) and the held-out
 * synthetic traces (bench/synthetic-traces.ts, generated into a temporary directory) x {warm, cold} x model
 * error {0.8, 1, 1.25}, every policy, through the simulator; writes bench/results/cells/<cell>.json and
 * bench/results/SUMMARY.md (bench/matrix.ts has the cells and the aims). Run: `npm run bench:decisions`.
 * For iterating on one trace: KSISS_BENCH_TRACES=name[,name] (a subset, written to KSISS_BENCH_OUT or a
 * temporary directory, never over bench/results).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultTracesDir,
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  DEFAULT_TIMINGS,
  PROFILE_DEFAULTS,
  START_MODES,
  parseKsissSimConfig,
  profileOf,
  profileYaml,
  readTraceFile,
  type Trace,
} from '../simulator/index.js';
import {
  AIMS,
  MODEL_ERRORS,
  aimCounts,
  cellFileStem,
  cellJson,
  cellsTable,
  coldStartAimMs,
  policiesTable,
  runCell,
  type CellOutcome,
  type MatrixContext,
} from './matrix.js';
import { DEFAULT_MODEL } from '../service-model/index.js';
import { HELD_OUT_TRACES, syntheticFileName, syntheticTraceText } from './synthetic-traces.js';

const TRACES_DIR = defaultTracesDir();
const SEED = 1;
const ONLY = process.env['KSISS_BENCH_TRACES']
  ?.split(',')
  .map((t) => t.trim())
  .filter((t) => t !== '');
const RESULTS_DIR =
  ONLY === undefined
    ? fileURLToPath(new URL('./results/', import.meta.url))
    : (process.env['KSISS_BENCH_OUT'] ?? mkdtempSync(join(tmpdir(), 'ksiss-bench-')));

async function loadTrace(path: string): Promise<Trace> {
  const read = await readTraceFile(path);
  if (!read.ok) throw new Error(read.message);
  return read.trace;
}

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
  const configText = readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8');
  const ksiss = parseKsissSimConfig(configText, 'simulator/k-siss-sim-config.yaml', DEFAULT_SLO, {
    fillSlo: true,
  });
  if (!ksiss.ok) throw new Error(ksiss.message);
  const profileStarted = Date.now();
  const profiled = profileOf(
    ksiss.value.catalog,
    DEFAULT_MODEL,
    DEFAULT_SLO,
    ksiss.value.config.settings.ladder,
  );
  const profileS = (Date.now() - profileStarted) / 1000;
  process.stderr.write(`profile of ${profiled.tiers.length} tiers in ${profileS.toFixed(1)} s\n`);
  const ctx: MatrixContext = {
    ksiss: ksiss.value,
    slo: DEFAULT_SLO,
    seed: SEED,
    profile: profiled.profile,
    timings: DEFAULT_TIMINGS,
    nowMs: () => Date.now(),
  };
  mkdirSync(join(RESULTS_DIR, 'cells'), { recursive: true });
  const cells: CellOutcome[] = [];
  const runTrace = (trace: Trace): void => {
    if (ONLY !== undefined && !ONLY.includes(trace.name)) return;
    for (const start of START_MODES) {
      for (const modelError of MODEL_ERRORS) {
        const cell = runCell(trace, start, modelError, ctx);
        writeFileSync(
          join(RESULTS_DIR, 'cells', `${cellFileStem(cell.key)}.json`),
          JSON.stringify(cellJson(cell), null, 2) + '\n',
        );
        process.stderr.write(
          `${cellFileStem(cell.key)}: ${cell.results.length} policies in ${(cell.wallMs / 1000).toFixed(1)} s\n`,
        );
        cells.push(cell);
      }
    }
  };
  const files = readdirSync(TRACES_DIR)
    .filter((f) => /\.(csv|jsonl)$/i.test(f))
    .sort();
  for (const file of files) runTrace(await loadTrace(join(TRACES_DIR, file)));
  // Held-out traces: generated now into a temporary directory (never committed), removed afterwards.
  const heldOutDir = mkdtempSync(join(tmpdir(), 'ksiss-held-out-'));
  try {
    for (const spec of HELD_OUT_TRACES) {
      const path = join(heldOutDir, syntheticFileName(spec));
      writeFileSync(path, syntheticTraceText(spec));
      runTrace(await loadTrace(path));
    }
  } finally {
    rmSync(heldOutDir, { recursive: true, force: true });
  }
  const totalS = (Date.now() - started) / 1000;
  const counts = aimCounts(cells);
  const count = (c: { met: number; of: number }): string => `${c.met} of ${c.of}`;
  const heldOutSpecs = HELD_OUT_TRACES.map(
    (spec) =>
      `- \`${spec.name}\` (${spec.format}, ${spec.durationS / 60} min, seed ${spec.seed}): ${describeRate(spec.rate)}; prompt median ${spec.promptTokens.median} tokens (log-sigma ${spec.promptTokens.sigma}), output median ${spec.outputTokens.median} (log-sigma ${spec.outputTokens.sigma}).`,
  ).join('\n');
  const [m1, m2] = profiled.mixes;
  const summary = `# Decision benchmark

Generated by \`npm run bench:decisions\` (bench/decisions.ts, bench/matrix.ts): every trace in \`${TRACES_DIR}\` and the
held-out synthetic traces x start {warm, cold} x model error {${MODEL_ERRORS.join(', ')}}, every policy, seed ${SEED}, on the
simulated cluster (simulator/topology.ts), model \`llama-3.1-8b-fp8\` (service-model/MODEL.md), SLOs TTFT <= ${DEFAULT_SLO.ttftMs} ms +
${DEFAULT_SLO.ttftPerPromptTokenMs} ms per prompt token and TPOT <= ${DEFAULT_SLO.tpotMs} ms. k-siss runs simulator/k-siss-sim-config.yaml with the
profile below. ${cells.length} cells; total wall time ${totalS.toFixed(1)} s (${(totalS / 60).toFixed(1)} min) on this machine, of which
${profileS.toFixed(1)} s profiling.

- **warm**: every dynamic policy starts right-sized for the first window (as if it had run before the trace).
  **cold**: the trace is preceded by 5 minutes of light load (0.2 req/s Poisson, 200-token prompts, 20-token
  answers, seeded) and every policy starts at its minimum; the prefix's requests are scored too, and its
  GPU-hours billed.
- **model error F**: the simulated replicas run F times as fast as the model k-siss's profile was measured on
  (every engine iteration takes 1/F of its time); the oracle and oracle-reactive know the true speed; the
  profile (and KPA's containerConcurrency) come from the unscaled model.
- **oracle-reactive**: the oracle's plan with each change made at the first control-loop tick at or after one
  scrape after the window's start, then real pod start-up and readiness (no migration overlap billed).
- GPU-hours count a MIG slice by its compute fraction, from scheduling to deletion.

Aims for k-siss per cell (bench/matrix.ts, AIMS): attainment >= ${AIMS.attainment * 100}% wherever oracle-reactive reaches it,
else within ${AIMS.attainmentSlack * 100} points of oracle-reactive; GPU-hours <= ${AIMS.oracleRatio} x the oracle's; fewer GPU-hours than every
baseline (${'`'}ksiss-original${'`'}, ${'`'}hpa${'`'}, ${'`'}kpa${'`'}, ${'`'}kubeai-maxratio${'`'}, ${'`'}aibrix-apa${'`'}, ${'`'}static-peak${'`'}) whose attainment is at least
k-siss's; on cold cells, the configuration in place carries the oracle's requirement for the first window of
load (its serving tier with at least the replicas the oracle's search found that tier needs) within one pod
start-up (${DEFAULT_TIMINGS.podStartMs / 1000} s + up to ${DEFAULT_TIMINGS.podStartJitterMs / 1000} s jitter + ${DEFAULT_TIMINGS.revisionReadyDelayMs / 1000} s readiness) + 45 s = ${coldStartAimMs(DEFAULT_TIMINGS) / 1000} s of the load's
arrival, in ${AIMS.coldActions} action.

Met: attainment ${count(counts.attainment)}; GPU-hours ${count(counts.oracleRatio)}; cheaper than the baselines ${count(counts.cheapest)};
cold start ${count(counts.coldStart)}.

## All cells

${cellsTable(cells)}

## Every policy: attainment / GPU-hours

${policiesTable(cells)}

## The profile k-siss was given

\`k-siss profile\` (simulator/profile.ts) on the unscaled model: per tier the highest Poisson arrival rate at
which one replica keeps ${PROFILE_DEFAULTS.targetAttainment * 100}% of the requests within the SLOs, for ${m1.name} (${m1.promptTokens} prompt / ${m1.outputTokens}
output tokens) and ${m2.name} (${m2.promptTokens} / ${m2.outputTokens}); rates ${profiled.tiers.map((t) => `${t.tier} ${t.ratesPerS[0].toFixed(2)} / ${t.ratesPerS[1].toFixed(2)} req/s`).join(', ')}.

\`\`\`yaml
${profileYaml(profiled.profile)}\`\`\`

## Held-out synthetic traces

Generated at bench time by bench/synthetic-traces.ts (seeded, both formats) into a temporary directory that is
removed afterwards; the k-siss defaults were not chosen on them:

${heldOutSpecs}

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
