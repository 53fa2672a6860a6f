/**
 * Decision benchmark: every policy on every trace of /work/shared/traces (or KSISS_TRACES_DIR) through
 * the simulator; writes bench/results/<trace>-<policy>.json and bench/results/SUMMARY.md.
 * Run: `npm run bench:decisions`.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  POLICY_NAMES,
  parseKsissSimConfig,
  readTraceFile,
  runPolicies,
  type SimulationResult,
  type SimulationSummary,
} from '../simulator/index.js';

const TRACES_DIR = process.env['KSISS_TRACES_DIR'] ?? '/work/shared/traces';
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const SEED = 1;
const AIM_ATTAINMENT = 0.99;
const AIM_ORACLE_RATIO = 1.15;

interface TraceOutcome {
  readonly trace: string;
  readonly requests: number;
  readonly durationMin: number;
  readonly results: readonly SimulationResult[];
  readonly wallMs: number;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(outcome: TraceOutcome): string {
  const oracle = outcome.results.find((r) => r.summary.policy === 'oracle')?.summary;
  const lines = [
    '| policy | SLO attainment | TTFT p50 / p99 ms | TPOT p50 / p99 ms | GPU-hours | x oracle | actions | migrations | oscillations | failed (cut / rejected) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of outcome.results) {
    const s = r.summary;
    const ratio = oracle === undefined ? Number.NaN : s.gpuHours / oracle.gpuHours;
    const failed = `${r.failures.cut + r.failures.unserved} / ${r.failures.tooLong + r.failures.kvTooSmall}`;
    lines.push(
      `| ${s.policy} | ${(s.sloAttainment * 100).toFixed(2)}% | ${fmt(s.ttftP50Ms)} / ${fmt(s.ttftP99Ms)} | ${fmt(s.tpotP50Ms, 1)} / ${fmt(s.tpotP99Ms, 1)} | ${fmt(s.gpuHours, 3)} | ${fmt(ratio, 2)} | ${s.actions} | ${s.migrations} | ${s.oscillations} | ${failed} |`,
    );
  }
  return lines.join('\n');
}

function aims(outcome: TraceOutcome): string {
  const by = (name: string): SimulationSummary | undefined =>
    outcome.results.find((r) => r.summary.policy === name)?.summary;
  const k = by('k-siss');
  const oracle = by('oracle');
  if (k === undefined || oracle === undefined) return '- (k-siss or oracle missing)';
  const baselines = outcome.results
    .map((r) => r.summary)
    .filter((s) => s.policy !== 'k-siss' && s.policy !== 'oracle' && s.sloAttainment >= AIM_ATTAINMENT);
  const cheaperThanAll = baselines.every((s) => k.gpuHours < s.gpuHours);
  const beaten = baselines
    .filter((s) => s.gpuHours <= k.gpuHours)
    .map((s) => `${s.policy} (${fmt(s.gpuHours, 3)})`);
  const yes = (ok: boolean): string => (ok ? 'met' : '**not met**');
  return [
    `- SLO attainment >= 99%: ${yes(k.sloAttainment >= AIM_ATTAINMENT)} (${(k.sloAttainment * 100).toFixed(2)}%; the oracle reaches ${(oracle.sloAttainment * 100).toFixed(2)}%).`,
    `- GPU-hours <= 1.15 x oracle: ${yes(k.gpuHours <= AIM_ORACLE_RATIO * oracle.gpuHours)} (${fmt(k.gpuHours / oracle.gpuHours, 2)} x).`,
    `- fewer GPU-hours than every baseline that reaches 99%: ${yes(cheaperThanAll)}${beaten.length > 0 ? ` (as cheap or cheaper: ${beaten.join(', ')})` : ''}.`,
  ].join('\n');
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
  const outcomes: TraceOutcome[] = [];
  for (const file of files) {
    const t0 = Date.now();
    const read = await readTraceFile(join(TRACES_DIR, file));
    if (!read.ok) throw new Error(read.message);
    const parsed = read.trace;
    const results = runPolicies({
      trace: parsed,
      policies: POLICY_NAMES,
      slo: DEFAULT_SLO,
      seed: SEED,
      ksiss: ksiss.value,
    });
    for (const r of results) {
      writeFileSync(
        join(RESULTS_DIR, `${r.summary.trace}-${r.summary.policy}.json`),
        JSON.stringify(r.summary, null, 2) + '\n',
      );
    }
    const wallMs = Date.now() - t0;
    outcomes.push({
      trace: parsed.name,
      requests: parsed.requests.length,
      durationMin: parsed.durationMs / 60_000,
      results,
      wallMs,
    });
    process.stderr.write(
      `${parsed.name}: ${POLICY_NAMES.length} policies in ${(wallMs / 1000).toFixed(1)} s\n`,
    );
  }
  const totalS = (Date.now() - started) / 1000;
  const sections = outcomes.map(
    (o) =>
      `## ${o.trace} (${o.requests} requests, ${o.durationMin.toFixed(1)} min; ${(o.wallMs / 1000).toFixed(1)} s wall)\n\n${table(o)}\n\nAims for k-siss:\n${aims(o)}\n`,
  );
  const summary = `# Decision benchmark

Generated by \`npm run bench:decisions\` (bench/decisions.ts): every policy on every trace in \`${TRACES_DIR}\`,
seed ${SEED}, on the simulated cluster (simulator/topology.ts), model \`llama-3.1-8b-fp8\` (service-model/MODEL.md),
SLOs TTFT <= ${DEFAULT_SLO.ttftMs} ms + ${DEFAULT_SLO.ttftPerPromptTokenMs} ms per prompt token and TPOT <= ${DEFAULT_SLO.tpotMs} ms.
k-siss runs the core's \`decideScale\` with simulator/k-siss-sim-config.yaml. GPU-hours count a MIG slice by its
compute fraction, from scheduling to deletion, old and new revision both billed during a migration.
"x oracle" is GPU-hours relative to the oracle of the same run. Total wall time: ${totalS.toFixed(1)} s.

${sections.join('\n')}
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
