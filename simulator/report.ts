import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SimulationResult } from './simulate.js';
import { ttftTargetMs, type SloTargets } from './slo.js';

/** One chart of the report: a file name and its rendered SVG. */
export interface ReportChart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

/** The rendered report: the HTML page and the charts it embeds (also written as .svg files). */
export interface RenderedReport {
  readonly html: string;
  readonly charts: readonly ReportChart[];
}

const WIDTH = 820;

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function rows(results: readonly SimulationResult[]) {
  return results.flatMap((r) =>
    r.series.map((p) => ({
      policy: r.summary.policy,
      minute: p.atS / 60,
      requestRatePerS: p.requestRatePerS,
      tier: p.tier,
      replicas: p.desiredReplicas,
      gpus: p.gpus,
      tpotP99Ms: Number.isFinite(p.tpotP99Ms) ? p.tpotP99Ms : null,
      ttftP99Ms: Number.isFinite(p.ttftP99Ms) ? p.ttftP99Ms : null,
    })),
  );
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/**
 * Renders the report of one trace: load, GPUs, tier and replicas per policy, and p99 latencies against
 * the SLOs over time, with vega-lite compiled and rendered to SVG here (no network, no browser script).
 */
export async function renderReport(
  results: readonly SimulationResult[],
  slo: SloTargets,
): Promise<RenderedReport> {
  const data = rows(results);
  const first = results[0];
  const trace = first?.summary.trace ?? 'trace';
  const load = first === undefined ? [] : rows([first]);
  const x = { field: 'minute', type: 'quantitative', title: 'minutes from the start' } as const;
  const color = { field: 'policy', type: 'nominal', title: 'policy' } as const;
  const specs: { file: string; title: string; spec: TopLevelSpec }[] = [
    {
      file: 'load.svg',
      title: 'Load (arrivals per second over 1 minute)',
      spec: {
        width: WIDTH,
        height: 180,
        data: { values: load },
        mark: { type: 'line' },
        encoding: { x, y: { field: 'requestRatePerS', type: 'quantitative', title: 'requests/s' } },
      },
    },
    {
      file: 'gpus.svg',
      title: 'GPUs billed (sum of compute fractions, overlap included)',
      spec: {
        width: WIDTH,
        height: 240,
        data: { values: data },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: { x, y: { field: 'gpus', type: 'quantitative', title: 'GPUs' }, color },
      },
    },
    {
      file: 'tiers.svg',
      title: 'Tier and replicas of the serving revision, per policy',
      spec: {
        data: { values: data },
        facet: { row: { field: 'policy', type: 'nominal', title: null } },
        spec: {
          width: WIDTH,
          height: 70,
          mark: { type: 'point', filled: true, size: 18 },
          encoding: {
            x,
            y: { field: 'replicas', type: 'quantitative', title: 'replicas' },
            color: { field: 'tier', type: 'nominal', title: 'tier' },
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    },
    {
      file: 'tpot.svg',
      title: `TPOT p99 over 1 minute vs the ${slo.tpotMs} ms SLO`,
      spec: {
        width: WIDTH,
        height: 240,
        layer: [
          {
            data: { values: data },
            mark: { type: 'line' },
            encoding: {
              x,
              y: { field: 'tpotP99Ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
              color,
            },
          },
          {
            data: { values: [{ slo: slo.tpotMs }] },
            mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
            encoding: { y: { field: 'slo', type: 'quantitative' } },
          },
        ],
      },
    },
    {
      file: 'ttft.svg',
      title: `TTFT p99 over 1 minute vs the SLO (${slo.ttftMs} ms + ${slo.ttftPerPromptTokenMs} ms per prompt token; line: a 1,000-token prompt)`,
      spec: {
        width: WIDTH,
        height: 240,
        layer: [
          {
            data: { values: data },
            mark: { type: 'line' },
            encoding: {
              x,
              y: { field: 'ttftP99Ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
              color,
            },
          },
          {
            data: { values: [{ slo: ttftTargetMs(slo, 1000) }] },
            mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
            encoding: { y: { field: 'slo', type: 'quantitative' } },
          },
        ],
      },
    },
  ];
  const charts: ReportChart[] = [];
  for (const s of specs) charts.push({ file: s.file, title: s.title, svg: await renderSvg(s.spec) });
  const header = [
    'policy',
    'SLO attainment',
    'TTFT p50 / p99 ms',
    'TPOT p50 / p99 ms',
    'GPU-hours',
    'actions',
    'migrations',
    'oscillations',
  ];
  const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const tableRows = results
    .map((r) => {
      const s = r.summary;
      const cells = [
        s.policy,
        `${(s.sloAttainment * 100).toFixed(2)}%`,
        `${fmt(s.ttftP50Ms)} / ${fmt(s.ttftP99Ms)}`,
        `${fmt(s.tpotP50Ms, 1)} / ${fmt(s.tpotP99Ms, 1)}`,
        fmt(s.gpuHours, 3),
        String(s.actions),
        String(s.migrations),
        String(s.oscillations),
      ];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>k-siss simulation: ${escapeHtml(trace)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style>
</head><body>
<h1>k-siss simulation: ${escapeHtml(trace)}</h1>
<p>SLOs: TTFT &le; ${slo.ttftMs} ms + ${slo.ttftPerPromptTokenMs} ms per prompt token, TPOT &le; ${slo.tpotMs} ms.
GPU-hours count a MIG slice by its compute fraction, from scheduling to deletion, overlap included.</p>
<table><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${tableRows}
</tbody></table>
${charts.map((c) => `<h2>${escapeHtml(c.title)}</h2>\n<figure>${c.svg}</figure>`).join('\n')}
</body></html>
`;
  return { html, charts };
}
