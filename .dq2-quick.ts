import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KSISS_CONFIG_URL, DEFAULT_SLO, parseKsissSimConfig, readTraceFile, runPolicies } from './simulator/index.js';
import { HELD_OUT_TRACES, syntheticFileName, syntheticTraceText } from './bench/synthetic-traces.js';

if (process.env['D'] === '1') (globalThis as unknown as { dq2: (t: number, m: string) => void }).dq2 = (t, m) => console.log('  D', (t/1000).toFixed(0), m.slice(0, 260));
const verbose = process.env['V'] === '1';
const only = process.env['ONLY'];
const configText = readFileSync(process.env['CFG'] ?? DEFAULT_KSISS_CONFIG_URL, 'utf8');
const ksiss = parseKsissSimConfig(configText, 'cfg', DEFAULT_SLO, { fillSlo: true });
if (!ksiss.ok) throw new Error(ksiss.message);
const dir = mkdtempSync(join(tmpdir(), 'dq2-'));
const paths = ['/work/shared/traces/azure-llm-2023-conv.csv', '/work/shared/traces/mooncake-synthetic.jsonl'];
for (const spec of HELD_OUT_TRACES) {
  const p = join(dir, syntheticFileName(spec));
  writeFileSync(p, syntheticTraceText(spec));
  paths.push(p);
}
for (const p of paths) {
  if (only !== undefined && !p.includes(only)) continue;
  const read = await readTraceFile(p);
  if (!read.ok) throw new Error(read.message);
  const [r] = runPolicies({ trace: read.trace, policies: ['k-siss'], slo: DEFAULT_SLO, seed: 1, ksiss: ksiss.value });
  if (r === undefined) continue;
  const s = r.summary;
  const oracle = JSON.parse(readFileSync(`bench/results/${s.trace}-oracle.json`, 'utf8')).gpuHours as number;
  console.log(`${s.trace.padEnd(32)} ${(s.sloAttainment * 100).toFixed(2)}% ${(s.gpuHours / oracle).toFixed(2)}x  act=${s.actions} mig=${s.migrations} osc=${s.oscillations}`);
  if (process.env['S'] === '1') for (const pt of r.series) if (pt.atS >= Number(process.env['S0'] ?? 0) && pt.atS <= Number(process.env['S1'] ?? 1e9)) console.log('   S', JSON.stringify(pt));
  if (verbose) for (const a of r.actions) console.log('   ', JSON.stringify(a).slice(0, 400));
}
