import { readFileSync } from 'node:fs';
import type { InferenceRequest } from '../service-model/index.js';
import {
  DEFAULT_KSISS_CONFIG_URL,
  DEFAULT_SLO,
  POLICY_NAMES,
  countOscillations,
  histogramQuantile,
  parseKsissSimConfig,
  percentile,
  renderReport,
  runPolicies,
  type KsissSimConfig,
  type Trace,
} from './index.js';

/** A step of load: `minutes` at `lowRate`, then `minutes` at `highRate`; sizes vary deterministically. */
function stepTrace(minutes: number, lowRate: number, highRate: number): Trace {
  const requests: InferenceRequest[] = [];
  let t = 0;
  const end = 2 * minutes * 60_000;
  for (let id = 0; t < end; id += 1) {
    requests.push({
      id,
      arrivalMs: t,
      promptTokens: 300 + ((id * 7919) % 1500),
      outputTokens: 50 + ((id * 104729) % 250),
    });
    t += 1000 / (t < end / 2 ? lowRate : highRate);
  }
  return {
    name: 'step',
    format: 'mooncake-jsonl',
    requests,
    durationMs: requests[requests.length - 1]?.arrivalMs ?? 0,
  };
}

function defaultConfig(): KsissSimConfig {
  const parsed = parseKsissSimConfig(readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8'), 'default', DEFAULT_SLO, {
    fillSlo: true,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const trace = stepTrace(6, 1.5, 6);
const ksiss = defaultConfig();
const results = runPolicies({ trace, policies: POLICY_NAMES, slo: DEFAULT_SLO, seed: 7, ksiss });
const byName = Object.fromEntries(results.map((r) => [r.summary.policy, r]));

describe('simulate', () => {
  it('reports exactly the summary fields of the contract for every policy', () => {
    for (const r of results) {
      expect(Object.keys(r.summary).sort()).toEqual(
        [
          'policy',
          'trace',
          'requests',
          'sloAttainment',
          'ttftP50Ms',
          'ttftP99Ms',
          'tpotP50Ms',
          'tpotP99Ms',
          'gpuHours',
          'actions',
          'migrations',
          'oscillations',
        ].sort(),
      );
      expect(r.summary.requests).toBe(trace.requests.length);
      expect(r.summary.sloAttainment).toBeGreaterThanOrEqual(0);
      expect(r.summary.sloAttainment).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic for a seed', () => {
    const again = runPolicies({ trace, policies: ['k-siss', 'kpa'], slo: DEFAULT_SLO, seed: 7, ksiss });
    expect(again.map((r) => r.summary)).toEqual([byName['k-siss']?.summary, byName['kpa']?.summary]);
    expect(again[0]?.actions).toEqual(byName['k-siss']?.actions);
  });

  it('the oracle meets the SLOs and never costs more than static peak provisioning', () => {
    const oracle = byName['oracle']?.summary;
    const peak = byName['static-peak']?.summary;
    expect(oracle?.sloAttainment).toBeGreaterThanOrEqual(0.99);
    expect(peak?.sloAttainment).toBeGreaterThanOrEqual(0.99);
    expect(oracle?.gpuHours).toBeLessThanOrEqual(peak?.gpuHours ?? 0);
  });

  it('k-siss (the core decideScale) adds capacity within a minute of the load quadrupling', () => {
    const k = byName['k-siss'];
    const firstUp = k?.actions.find((a) => a.direction === 1 && a.atMs >= 6 * 60_000);
    expect(firstUp?.atMs).toBeLessThanOrEqual(7 * 60_000);
    // A 4x step on a right-sized service: the backlog built while the new tier starts costs attainment.
    expect(k?.summary.sloAttainment).toBeGreaterThanOrEqual(0.8);
  });

  it('the original policy cuts in-flight requests when it deletes a revision', () => {
    const original = byName['ksiss-original'];
    const migrations = original?.summary.migrations ?? 0;
    expect(migrations).toBeGreaterThan(0);
    expect(original?.failures.cut).toBeGreaterThan(0);
    expect(original?.actions.every((a) => a.kind === 'migrate' && a.toReplicas === 1)).toBe(true);
  });

  it('whole-GPU baselines never leave the whole-GPU tier', () => {
    for (const name of ['hpa', 'kpa', 'kubeai-maxratio', 'aibrix-apa']) {
      expect(byName[name]?.series.every((p) => p.tier === 'gpu')).toBe(true);
    }
  });
});

describe('metrics arithmetic', () => {
  it('oscillations are direction reversals within 5 minutes', () => {
    const at = (min: number, direction: 1 | -1) => ({ atMs: min * 60_000, direction });
    expect(countOscillations([at(0, 1), at(2, -1), at(4, 1), at(20, -1), at(21, -1)])).toBe(2);
  });
  it('percentile is nearest-rank', () => {
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.99)).toBe(5);
    expect(Number.isNaN(percentile([], 0.5))).toBe(true);
  });
  it('histogramQuantile interpolates inside the bucket like PromQL', () => {
    // 10 values in (0, 1], 10 in (1, 2]: the median is the upper edge of the first bucket, p75 half-way into the second.
    const values = [...Array<number>(10).fill(0.5), ...Array<number>(10).fill(1.5)];
    expect(histogramQuantile(0.5, values, [1, 2, 4])).toBeCloseTo(1);
    expect(histogramQuantile(0.75, values, [1, 2, 4])).toBeCloseTo(1.5);
    expect(Number.isNaN(histogramQuantile(0.99, [], [1]))).toBe(true);
  });
});

describe('report', () => {
  it('renders the charts as SVG and the HTML page with the summary table', async () => {
    const report = await renderReport(results.slice(0, 2), DEFAULT_SLO);
    expect(report.charts.map((c) => c.file)).toEqual([
      'load.svg',
      'gpus.svg',
      'tiers.svg',
      'tpot.svg',
      'ttft.svg',
    ]);
    for (const chart of report.charts) expect(chart.svg.startsWith('<svg')).toBe(true);
    expect(report.html).toContain('<td>k-siss</td>');
    expect(report.html).not.toMatch(/<script/);
  });
});
