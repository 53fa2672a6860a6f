import { DEFAULT_CATALOG, DEFAULT_LADDER } from '../gpu-registry/index.js';
import { DEFAULT_MODEL, type InferenceRequest } from '../service-model/index.js';
import { ORACLE_DEFAULTS, windowRequirements, type OracleOptions } from './oracle.js';
import { DEFAULT_SLO } from './slo.js';
import { DEFAULT_SIM_TOPOLOGY } from './topology.js';
import type { Trace } from './trace.js';

/** Steady load: one request every `everyMs` for `minutes`, with the ids and sizes varied deterministically. */
function steady(minutes: number, everyMs: number): InferenceRequest[] {
  const requests: InferenceRequest[] = [];
  for (let id = 0, t = 0; t < minutes * 60_000; id += 1, t += everyMs) {
    requests.push({
      id,
      arrivalMs: t,
      promptTokens: 400 + ((id * 7919) % 800),
      outputTokens: 100 + (id % 150),
    });
  }
  return requests;
}

const traceOf = (requests: readonly InferenceRequest[]): Trace => ({
  name: 'oracle-test',
  format: 'mooncake-jsonl',
  requests: [...requests].sort((a, b) => a.arrivalMs - b.arrivalMs),
  durationMs: Math.max(...requests.map((r) => r.arrivalMs)),
});

const optionsOf = (trace: Trace): OracleOptions => ({
  trace,
  catalog: DEFAULT_CATALOG,
  model: DEFAULT_MODEL,
  topology: DEFAULT_SIM_TOPOLOGY,
  slo: DEFAULT_SLO,
  tiers: DEFAULT_LADDER,
  planTiers: DEFAULT_LADDER,
  ...ORACLE_DEFAULTS,
});

describe('oracle window search', () => {
  const base = steady(10, 250);

  it('does not buy capacity for requests that no tier can run', () => {
    // 3% of the requests are longer than the model's context: they fail under every provision. Scored, they
    // would keep every window under 99% whatever the replicas, and the search would end at its largest try.
    const tooLong = base
      .filter((_, i) => i % 33 === 0)
      .map((r, i) => ({
        id: 1_000_000 + i,
        arrivalMs: r.arrivalMs + 1,
        promptTokens: DEFAULT_MODEL.maxContextTokens,
        outputTokens: 10,
      }));
    const clean = windowRequirements(optionsOf(traceOf(base)));
    const withTooLong = windowRequirements(optionsOf(traceOf([...base, ...tooLong])));
    expect(withTooLong.map((w) => w.replicasByTier)).toEqual(clean.map((w) => w.replicasByTier));
    expect(withTooLong.map((w) => w.requests)).toEqual(clean.map((w) => w.requests));
  });

  it('needs more replicas of a tier for more load, and fewer of a bigger tier', () => {
    const light = windowRequirements(optionsOf(traceOf(steady(10, 1000))));
    const heavy = windowRequirements(optionsOf(traceOf(base)));
    const need = (ws: typeof light, tier: string): number => ws[1]?.replicasByTier[tier] ?? Infinity;
    expect(need(heavy, 'mig-1g.10gb')).toBeGreaterThan(need(light, 'mig-1g.10gb'));
    expect(need(heavy, 'mig-7g.80gb')).toBeLessThanOrEqual(need(heavy, 'mig-3g.40gb'));
  });
});
