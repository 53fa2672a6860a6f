/**
 * Decision cost benchmark: one `decideScale` call of the sizing planner over the default 5-tier ladder with
 * maxReplicas 8 (a 5 x 8 search), against the ladder walk (`policy: step`) on the same input in the same run.
 * Prints microseconds per decision and the ratio; writes bench/results/planner.json.
 * Run: `npm run bench:planner`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ARRIVAL_COUNTS,
  DEFAULT_SERVICE_SETTINGS,
  SIZING_METRICS,
  decideScale,
  type DecideInput,
  type PolicyMode,
} from '../autoscaler/index.js';
import { DEFAULT_CATALOG, DEFAULT_LADDER, unlimitedCapacity } from '../gpu-registry/index.js';

const PROFILE = {
  name: 'bench',
  tiers: Object.fromEntries(
    DEFAULT_LADDER.map((t, i) => [t, { promptTokensPerS: 4000 * (i + 1), outputTokensPerS: 300 * (i + 1) }]),
  ),
};

function input(policy: PolicyMode, nowMs: number): DecideInput {
  return {
    config: {
      service: 'bench',
      metrics: [
        {
          name: 'tpot',
          query: 'q',
          slo: 0.1,
          scaleUpFactor: 0.9,
          scaleDownFactor: 0.45,
          direction: 'lowerIsBetter',
          aggregate: 'max',
        },
      ],
      settings: {
        ...DEFAULT_SERVICE_SETTINGS,
        policy,
        maxReplicas: 8,
        sizing: { ...DEFAULT_SERVICE_SETTINGS.sizing, profile: PROFILE },
      },
    },
    catalog: DEFAULT_CATALOG,
    observation: { tier: 'mig-2g.20gb', readyReplicas: 2, migrationInFlight: false, recommendations: [] },
    metrics: {
      tpot: 0.095,
      [ARRIVAL_COUNTS[0].name]: 900,
      [ARRIVAL_COUNTS[1].name]: 700,
      [ARRIVAL_COUNTS[2].name]: 650,
      [ARRIVAL_COUNTS[3].name]: 600,
      [SIZING_METRICS.recentArrivals]: 480,
      [SIZING_METRICS.completions]: 850,
      [SIZING_METRICS.promptTokens]: 850 * 1000,
      [SIZING_METRICS.outputTokens]: 850 * 200,
    },
    capacity: unlimitedCapacity(DEFAULT_CATALOG.values()),
    nowMs,
  };
}

function usPerDecision(policy: PolicyMode, iterations: number): number {
  const inputs = Array.from({ length: 64 }, (_, i) => input(policy, 1_800_000_000_000 + i * 15_000));
  for (let i = 0; i < 2000; i += 1) decideScale(inputs[i % inputs.length] as DecideInput); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) decideScale(inputs[i % inputs.length] as DecideInput);
  return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
}

const ITERATIONS = 20_000;
const size = usPerDecision('size', ITERATIONS);
const step = usPerDecision('step', ITERATIONS);
const result = {
  space: `${DEFAULT_LADDER.length} tiers x 8 replicas`,
  iterations: ITERATIONS,
  sizeUsPerDecision: Number(size.toFixed(1)),
  stepUsPerDecision: Number(step.toFixed(1)),
  sizeOverStep: Number((size / step).toFixed(2)),
  aimUnder1Ms: size < 1000,
};
writeFileSync(
  fileURLToPath(new URL('./results/planner.json', import.meta.url)),
  JSON.stringify(result, null, 2) + '\n',
);
process.stdout.write(
  `one decision over ${result.space}: planner ${result.sizeUsPerDecision} us, ladder walk ${result.stepUsPerDecision} us (x ${result.sizeOverStep}); under 1 ms: ${result.aimUnder1Ms ? 'yes' : 'no'}\n`,
);
