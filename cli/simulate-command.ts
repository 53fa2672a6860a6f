import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadYamlBounded, MAX_CONFIG_FILE_BYTES } from '../autoscaler/index.js';
import { InputTooLargeError, readTextBounded } from './bounded-read.js';
import { decimalFlag } from './flags.js';
import { DEFAULT_MODEL, parseModel, type LlmModel } from '../service-model/index.js';
import {
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  POLICY_NAMES,
  ProfileError,
  START_MODES,
  modelErrorProblem,
  modelFitProblems,
  parseKsissSimConfig,
  parseTopology,
  readTraceFile,
  renderReport,
  runPolicies,
  type PolicyName,
  type SimTopology,
  type SimulationResult,
  type SimulationSummary,
  type StartMode,
} from '../simulator/index.js';

/** Options as commander hands them over (strings; validated here). */
interface RawOptions {
  readonly trace?: string;
  readonly policy: string;
  readonly config?: string;
  readonly model?: string;
  readonly topology?: string;
  readonly sloTtftMs?: string;
  readonly sloTtftPerTokenMs?: string;
  readonly sloTpotMs?: string;
  readonly format: string;
  readonly report?: string;
  readonly seed: string;
  readonly modelError?: string;
  readonly start: string;
}

/** A bad flag or file: printed as `k-siss <command>: message`, exit 2. */
export class UsageError extends Error {}

/** `--model-error F`: a finite number > 0 (default 1). */
export function modelErrorOf(raw: string | undefined): number {
  if (raw === undefined) return 1;
  // Decimal only: Number('0x10') is 16 and Number('') is 0.
  const value = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  const problem = modelErrorProblem(value);
  if (problem !== undefined) throw new UsageError(`--model-error = ${JSON.stringify(raw)}: ${problem}`);
  return value;
}

function startOf(raw: string): StartMode {
  const known: readonly string[] = START_MODES;
  if (!known.includes(raw)) {
    throw new UsageError(`--start = ${JSON.stringify(raw)}: must be ${START_MODES.join(' or ')}`);
  }
  return raw as StartMode;
}

export function positiveNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (raw === undefined) return fallback;
  const value = decimalFlag(raw, {
    integer: false,
    min: 0,
    minExclusive: !allowZero,
    max: Number.MAX_SAFE_INTEGER,
  });
  if (!value.ok) throw new UsageError(`${flag} = ${JSON.stringify(raw)}: ${value.message}`);
  return value.value;
}

export function readText(flag: string, path: string | URL): string {
  try {
    return readTextBounded(path, MAX_CONFIG_FILE_BYTES);
  } catch (error) {
    if (error instanceof InputTooLargeError)
      throw new UsageError(`${flag} ${String(path)}: ${error.message}`);
    throw new UsageError(
      `${flag} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function policiesOf(raw: string): PolicyName[] {
  if (raw === 'all') return [...POLICY_NAMES];
  const names = raw.split(',').map((n) => n.trim());
  const known: readonly string[] = POLICY_NAMES;
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new UsageError(
      `--policy = ${JSON.stringify(raw)}: unknown policy ${bad.map((b) => JSON.stringify(b)).join(', ')} (known: ${POLICY_NAMES.join(', ')}, or all)`,
    );
  }
  return names as PolicyName[];
}

export function modelOf(path: string | undefined): LlmModel | undefined {
  if (path === undefined) return undefined;
  const loaded = loadYamlBounded(readText('--model', path));
  if (!loaded.ok) throw new UsageError(`--model ${path}: ${loaded.message}`);
  const parsed = parseModel(loaded.value);
  if (!parsed.ok) throw new UsageError(`--model ${path}: ${parsed.message}`);
  return parsed.model;
}

function topologyOf(path: string | undefined): SimTopology | undefined {
  if (path === undefined) return undefined;
  const parsed = parseTopology(readText('--topology', path), `--topology ${path}`);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.topology;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A plain-text table of summaries. */
export function formatSummaryTable(summaries: readonly SimulationSummary[]): string {
  const header = [
    'policy',
    'SLO att.',
    'TTFT p50',
    'TTFT p99',
    'TPOT p50',
    'TPOT p99',
    'GPU-h',
    'actions',
    'migr.',
    'osc.',
  ];
  const rows = summaries.map((s) => [
    s.policy,
    `${(s.sloAttainment * 100).toFixed(2)}%`,
    fmt(s.ttftP50Ms),
    fmt(s.ttftP99Ms),
    fmt(s.tpotP50Ms, 1),
    fmt(s.tpotP99Ms, 1),
    fmt(s.gpuHours, 3),
    String(s.actions),
    String(s.migrations),
    String(s.oscillations),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

async function simulateAction(raw: RawOptions): Promise<void> {
  if (raw.trace === undefined) throw new UsageError('--trace FILE is required');
  if (raw.format !== 'table' && raw.format !== 'json') {
    throw new UsageError(`--format = ${JSON.stringify(raw.format)}: must be table or json`);
  }
  const seed = decimalFlag(raw.seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
  if (!seed.ok) throw new UsageError(`--seed = ${JSON.stringify(raw.seed)}: ${seed.message}`);
  const policies = policiesOf(raw.policy);
  const modelError = modelErrorOf(raw.modelError);
  const start = startOf(raw.start);
  const slo = {
    ttftMs: positiveNumber('--slo-ttft-ms', raw.sloTtftMs, DEFAULT_SLO.ttftMs),
    ttftPerPromptTokenMs: positiveNumber(
      '--slo-ttft-per-token-ms',
      raw.sloTtftPerTokenMs,
      DEFAULT_SLO.ttftPerPromptTokenMs,
      true,
    ),
    tpotMs: positiveNumber('--slo-tpot-ms', raw.sloTpotMs, DEFAULT_SLO.tpotMs),
  };
  const model = modelOf(raw.model);
  const topology = topologyOf(raw.topology);
  const configText =
    raw.config === undefined
      ? readText('default k-siss config', DEFAULT_KSISS_CONFIG_URL)
      : readText('--config', raw.config);
  const ksiss = parseKsissSimConfig(
    configText,
    raw.config === undefined ? 'default k-siss config' : `--config ${raw.config}`,
    slo,
    { fillSlo: true },
  );
  if (!ksiss.ok) throw new UsageError(ksiss.message);
  const unfit = modelFitProblems(ksiss.value, model ?? DEFAULT_MODEL, policies);
  if (unfit.length > 0) {
    const source = raw.config === undefined ? 'default k-siss config' : `--config ${raw.config}`;
    const modelName = (model ?? DEFAULT_MODEL).name;
    throw new UsageError(
      `${source}${raw.model === undefined ? '' : ` with --model ${raw.model}`}: the model ${modelName} cannot run on every tier: ${unfit.join('; ')} (remove such tiers from the ladder, or simulate a smaller model)`,
    );
  }
  const trace = await readTraceFile(raw.trace);
  if (!trace.ok) throw new UsageError(`--trace ${raw.trace}: ${trace.message}`);

  const bar = process.stderr.isTTY
    ? new SingleBar(
        { format: 'simulate {policy} [{bar}] {percentage}%', stream: process.stderr, hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  // The oracle's window search runs first (every policy starts right-sized from it): one share of the bar.
  bar?.start((policies.length + 1) * 100, 0, { policy: 'oracle search' });
  let results: SimulationResult[];
  try {
    results = runPolicies({
      trace: trace.trace,
      policies,
      slo,
      seed: seed.value,
      ksiss: ksiss.value,
      start,
      modelError,
      ...(model === undefined ? {} : { model }),
      ...(topology === undefined ? {} : { topology }),
      onSearchProgress: (fraction) => bar?.update(Math.round(fraction * 100), { policy: 'oracle search' }),
      onProgress: (policy, fraction) =>
        bar?.update((policies.indexOf(policy) + 1) * 100 + Math.round(fraction * 100), { policy }),
    });
  } catch (error) {
    bar?.stop();
    // The k-siss profile is measured on the ladder before the runs: a tier that cannot be profiled is a
    // problem of the config (or --model), said as such.
    if (error instanceof ProfileError) throw new UsageError(`profiling the k-siss ladder: ${error.message}`);
    throw error;
  }
  bar?.update((policies.length + 1) * 100);
  bar?.stop();
  const summaries = results.map((r) => r.summary);
  process.stdout.write(
    raw.format === 'json' ? JSON.stringify(summaries, null, 2) + '\n' : formatSummaryTable(summaries),
  );
  if (raw.report !== undefined) {
    const report = await renderReport(results, slo);
    try {
      mkdirSync(raw.report, { recursive: true });
      for (const chart of report.charts) writeFileSync(join(raw.report, chart.file), chart.svg);
      writeFileSync(join(raw.report, 'index.html'), report.html);
      for (const r of results) {
        writeFileSync(
          join(raw.report, `${r.summary.trace}-${r.summary.policy}.json`),
          JSON.stringify(r.summary, null, 2) + '\n',
        );
      }
    } catch (error) {
      throw new UsageError(
        `--report ${raw.report}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    process.stderr.write(`report: ${join(raw.report, 'index.html')}\n`);
  }
}

/** Registers `k-siss simulate`: replays a trace through k-siss and the baselines on the simulated cluster. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'replay an LLM request trace (Azure CSV or Mooncake JSONL) through k-siss and baseline autoscalers',
    )
    .option('--trace <file>', 'trace file (format detected)')
    .option('--policy <name>', `policy, comma-separated list, or all (${POLICY_NAMES.join(', ')})`, 'all')
    .option(
      '--config <file>',
      'k-siss ConfigMap (default: simulator/k-siss-sim-config.yaml); ${TPOT_SLO_S} and ${QUEUE_SLO_S} in it are filled from the SLOs',
    )
    .option('--model <file>', 'LLM model overrides (JSON/YAML; see service-model/MODEL.md)')
    .option('--topology <file>', 'simulated cluster nodes (local-cluster topology.yaml shape)')
    .option(
      '--slo-ttft-ms <n>',
      `TTFT target base, ms (default ${DEFAULT_SLO.ttftMs}); the target is this plus --slo-ttft-per-token-ms x prompt tokens`,
    )
    .option(
      '--slo-ttft-per-token-ms <n>',
      `TTFT allowance per prompt token, ms (default ${DEFAULT_SLO.ttftPerPromptTokenMs})`,
    )
    .option('--slo-tpot-ms <n>', `TPOT target, ms (default ${DEFAULT_SLO.tpotMs})`)
    .option('--format <format>', 'table or json', 'table')
    .option('--report <dir>', 'write an HTML report with SVG charts to this directory')
    .option(
      '--seed <n>',
      "seed of the simulated randomness (pod start times, the cold start's light load)",
      '1',
    )
    .option(
      '--model-error <F>',
      'the simulated replicas run F times as fast as the model the k-siss profile was measured on (every engine iteration takes 1/F of its time; default 1)',
    )
    .option(
      '--start <mode>',
      'warm: every policy starts right-sized for the first window; cold: the trace is preceded by 5 minutes of light load (0.2 req/s, 200-token prompts, 20-token answers) and every policy starts at its minimum',
      'warm',
    )
    .action(async (options: RawOptions) => {
      try {
        await simulateAction(options);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`k-siss simulate: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
