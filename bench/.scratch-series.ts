import { readFileSync } from 'node:fs';
import { DEFAULT_SLO, parseKsissSimConfig, readTraceFile, runPolicies, type PolicyName } from '../simulator/index.js';
const [cfgPath, t] = process.argv.slice(2);
const cfg = parseKsissSimConfig(readFileSync(cfgPath as string, 'utf8'), cfgPath as string, DEFAULT_SLO, { fillSlo: true });
if (!cfg.ok) throw new Error(cfg.message);
const r = await readTraceFile(t as string);
if (!r.ok) throw new Error(r.message);
const res = runPolicies({ trace: r.trace, policies: ['k-siss', 'oracle'] as PolicyName[], slo: DEFAULT_SLO, seed: 1, ksiss: cfg.value });
const [k, o] = res;
for (let i = 0; i < (k?.series.length ?? 0); i += 4) {
  const a = k!.series[i]!; const b = o!.series[i];
  console.log(`${a.atS}s rate=${a.requestRatePerS.toFixed(2)} K:${a.tier}x${a.readyReplicas} tpot=${a.tpotP99Ms.toFixed(0)} ttft=${a.ttftP99Ms.toFixed(0)} | O:${b?.tier}x${b?.readyReplicas} tpot=${b?.tpotP99Ms.toFixed(0)}`);
}
