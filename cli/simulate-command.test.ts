import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { formatSummaryTable, registerSimulateCommand } from './simulate-command.js';

const dir = mkdtempSync(join(tmpdir(), 'ksiss-simulate-'));
const traceFile = join(dir, 'tiny.jsonl');
writeFileSync(
  traceFile,
  Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({ timestamp: i * 1000, input_length: 400, output_length: 60 }),
  ).join('\n'),
);

const defaultConfigText = readFileSync(
  new URL('../simulator/k-siss-sim-config.yaml', import.meta.url),
  'utf8',
);
const smallTierConfig = join(dir, 'small-tier.yaml');
writeFileSync(
  smallTierConfig,
  defaultConfigText.replace('ladder: [mig-1g.10gb, mig-2g.20gb,', 'ladder: [mig-1g.5gb, mig-2g.20gb,'),
);
const copiedConfig = join(dir, 'copy.yaml');
writeFileSync(copiedConfig, defaultConfigText);
const hugeModel = join(dir, 'huge.json');
writeFileSync(hugeModel, JSON.stringify({ name: 'huge', parameters: 140e9 }));

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => (err.push(String(chunk)), true));
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    registerSimulateCommand(program);
    await program.parseAsync(['node', 'k-siss', 'simulate', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('k-siss simulate', () => {
  const bad = [
    {
      name: 'a non-numeric SLO',
      args: ['--trace', traceFile, '--slo-tpot-ms', 'abc'],
      message: '--slo-tpot-ms = "abc": must be a number > 0',
    },
    {
      name: 'a zero TTFT SLO',
      args: ['--trace', traceFile, '--slo-ttft-ms', '0'],
      message: '--slo-ttft-ms = "0": must be a number > 0',
    },
    {
      name: 'an unknown policy',
      args: ['--trace', traceFile, '--policy', 'k-sis'],
      message: '--policy = "k-sis": unknown policy "k-sis"',
    },
    {
      name: 'an unknown format',
      args: ['--trace', traceFile, '--format', 'xml'],
      message: '--format = "xml": must be table or json',
    },
    {
      name: 'a bad seed',
      args: ['--trace', traceFile, '--seed', '-1'],
      message: '--seed = "-1": must be a whole number >= 0',
    },
    { name: 'a missing trace', args: [], message: '--trace FILE is required' },
    {
      name: 'a hex model error (Number reads 0x10 as 16)',
      args: ['--trace', traceFile, '--model-error', '0x10'],
      message: '--model-error = "0x10": must be a finite number > 0',
    },
    {
      name: 'a hex seed',
      args: ['--trace', traceFile, '--seed', '0x10'],
      message: '--seed = "0x10": must be a whole number >= 0 and <= 4294967295, in decimal',
    },
    {
      name: 'a zero model error',
      args: ['--trace', traceFile, '--model-error', '0'],
      message: '--model-error = "0": must be a finite number > 0',
    },
    {
      name: 'a negative model error',
      args: ['--trace', traceFile, '--model-error', '-1.2'],
      message: '--model-error = "-1.2": must be a finite number > 0',
    },
    {
      name: 'an infinite model error',
      args: ['--trace', traceFile, '--model-error', 'Infinity'],
      message: '--model-error = "Infinity": must be a finite number > 0',
    },
    {
      name: 'a non-numeric model error',
      args: ['--trace', traceFile, '--model-error', 'abc'],
      message: '--model-error = "abc": must be a finite number > 0',
    },
    {
      name: 'an unknown start mode',
      args: ['--trace', traceFile, '--start', 'lukewarm'],
      message: '--start = "lukewarm": must be warm or cold',
    },
    {
      name: 'an unreadable trace',
      args: ['--trace', join(dir, 'nope.csv')],
      message: `cannot read ${join(dir, 'nope.csv')}`,
    },
    {
      name: 'a ladder tier too small for the model',
      args: ['--trace', traceFile, '--policy', 'k-siss', '--config', smallTierConfig],
      message: `--config ${smallTierConfig}: the model llama-3.1-8b-fp8 cannot run on every tier: llm.settings.ladder[0] = "mig-1g.5gb": tier mig-1g.5gb (5 GB)`,
    },
    {
      name: 'a model too big for a whole GPU',
      args: ['--trace', traceFile, '--policy', 'hpa', '--model', hugeModel],
      message: `with --model ${hugeModel}: the model huge cannot run on every tier: whole GPU tier = "gpu": tier gpu (80 GB): huge needs`,
    },
  ];
  it.each(bad)('rejects $name with exit 2, naming the flag and value', async ({ args, message }) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('prints the JSON summaries and writes the report', async () => {
    const report = join(dir, 'report');
    const r = await run([
      '--trace',
      traceFile,
      '--policy',
      'k-siss,hpa',
      '--format',
      'json',
      '--report',
      report,
    ]);
    expect(r.code).toBe(0);
    const summaries = JSON.parse(r.stdout) as { policy: string; trace: string; requests: number }[];
    expect(summaries.map((s) => [s.policy, s.trace, s.requests])).toEqual([
      ['k-siss', 'tiny', 120],
      ['hpa', 'tiny', 120],
    ]);
    for (const file of [
      'index.html',
      'load.svg',
      'gpus.svg',
      'tiers.svg',
      'tpot.svg',
      'ttft.svg',
      'tiny-k-siss.json',
    ]) {
      expect(existsSync(join(report, file))).toBe(true);
    }
    expect(readFileSync(join(report, 'index.html'), 'utf8')).toContain('<svg');
  });

  it('runs a cold start with a model error: the light prefix is replayed before the trace', async () => {
    const r = await run([
      '--trace',
      traceFile,
      '--policy',
      'oracle-reactive,hpa',
      '--start',
      'cold',
      '--model-error',
      '1.25',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const summaries = JSON.parse(r.stdout) as { policy: string; requests: number }[];
    expect(summaries.map((s) => s.policy)).toEqual(['oracle-reactive', 'hpa']);
    // 120 trace requests plus about 60 of the light prefix (0.2 req/s for 5 minutes).
    expect(summaries[0]?.requests).toBeGreaterThan(150);
  });

  it('fills the SLO placeholders of a --config file, so a copy of the default config runs', async () => {
    const r = await run([
      '--trace',
      traceFile,
      '--policy',
      'k-siss',
      '--config',
      copiedConfig,
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('formats a table with one row per policy', () => {
    const table = formatSummaryTable([
      {
        policy: 'k-siss',
        trace: 't',
        requests: 10,
        sloAttainment: 0.995,
        ttftP50Ms: 100,
        ttftP99Ms: 900,
        tpotP50Ms: 20,
        tpotP99Ms: 60,
        gpuHours: 0.5,
        actions: 3,
        migrations: 1,
        oscillations: 0,
      },
    ]);
    expect(table.split('\n')[1]).toMatch(
      /^k-siss\s+99\.50%\s+100\s+900\s+20\.0\s+60\.0\s+0\.500\s+3\s+1\s+0$/,
    );
  });
});
