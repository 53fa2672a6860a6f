import { readFileSync } from 'node:fs';
import { DEFAULT_SLO, parseKsissSimConfig, readTraceFile, runPolicies, type PolicyName } from '../simulator/index.js';
const [cfgPath, ...traces] = process.argv.slice(2);
const cfg = parseKsissSimConfig(readFileSync(cfgPath as string, 'utf8'), cfgPath as string, DEFAULT_SLO, { fillSlo: true });
if (!cfg.ok) throw new Error(cfg.message);
const pols = (process.env['POLS'] ?? 'k-siss,oracle').split(',') as PolicyName[];
for (const t of traces) {
  const r = await readTraceFile(t);
  if (!r.ok) throw new Error(r.message);
  const res = runPolicies({ trace: r.trace, policies: pols, slo: DEFAULT_SLO, seed: 1, ksiss: cfg.value });
  const o = res.find((x) => x.summary.policy === 'oracle')?.summary.gpuHours ?? NaN;
  for (const x of res) {
    const s = x.summary;
    console.log(`${r.trace.name.padEnd(28)} ${s.policy.padEnd(16)} ${(s.sloAttainment * 100).toFixed(2)}% gpuh=${s.gpuHours.toFixed(3)} x=${(s.gpuHours / o).toFixed(2)} act=${s.actions} osc=${s.oscillations}`);
    if (process.env['V'] && s.policy === 'k-siss') for (const a of x.actions) console.log(`   ${(a.atMs/1000).toFixed(0)}s ${a.kind} ${a.fromTier}x${a.fromReplicas} -> ${a.toTier}x${a.toReplicas} ${a.reason}`);
  }
}
