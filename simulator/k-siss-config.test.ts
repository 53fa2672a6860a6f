import { readFileSync } from 'node:fs';
import { aliasBomb } from '../test/hostile-inputs.js';
import { DEFAULT_KSISS_CONFIG_URL, DEFAULT_SLO, parseKsissSimConfig, parseTopology } from './index.js';

const block = (metricName: string, slo = '0.1') => `apiVersion: v1
kind: ConfigMap
data:
  llm: |
    - name: ${metricName}
      query: q
      slo: ${slo}
      scaleUpFactor: 0.9
      scaleDownFactor: 0.4
`;

describe('parseKsissSimConfig', () => {
  it('parses the shipped default with the SLOs filled in, through the core parseConfig', () => {
    const r = parseKsissSimConfig(
      readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8'),
      'default',
      { ...DEFAULT_SLO, tpotMs: 50 },
      { fillSlo: true },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.config.service).toBe('llm');
    expect(r.value.config.metrics.find((m) => m.name === 'tpot_p99_seconds')?.slo).toBe(0.05);
    expect(r.value.intervalSeconds).toBe(15);
    // No `_tiers` override any more: the catalog's default price of a 3g.40gb, max(3/7, 4/8).
    expect(r.value.catalog.get('mig-3g.40gb')?.relativeCost).toBe(0.5);
  });

  const cases = [
    {
      name: 'a metric the simulator cannot observe',
      text: block('p95_latency'),
      message: 'llm: metric name = "p95_latency": the simulator has no such series',
    },
    {
      name: 'an invalid block (core issue text)',
      text: block('tpot_p99_seconds', '-1'),
      message: 'llm[0].slo = -1: must be > 0',
    },
    { name: 'not YAML', text: 'data: [', message: 'f: invalid YAML' },
    { name: 'not a ConfigMap', text: '- a', message: 'f: not a ConfigMap manifest nor a data map' },
    {
      name: 'a Secret',
      text: 'apiVersion: v1\nkind: Secret\ndata: {a: b}\n',
      message: 'f: kind = "Secret": not a ConfigMap',
    },
    {
      name: 'an alias bomb',
      text: aliasBomb(),
      message: 'f: YAML aliases expand the document to more than 100000 values',
    },
  ];
  it.each(cases)('rejects $name', ({ text, message }) => {
    const r = parseKsissSimConfig(text, 'f', DEFAULT_SLO, { fillSlo: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});

describe('parseTopology', () => {
  it('refuses a recursive alias', () => {
    expect(parseTopology('&n {nodes: [*n]}\n', 't.yaml')).toEqual({
      ok: false,
      message: 't.yaml: recursive YAML alias: a value contains itself',
    });
  });

  it('reads the local cluster topology shape, keeping extended resources only', () => {
    const r = parseTopology(
      readFileSync(new URL('../local-cluster/topology.yaml', import.meta.url), 'utf8'),
      'topology.yaml',
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.topology.nodes.find((n) => n.name === 'gpu-whole')?.resources).toEqual({
        'nvidia.com/gpu': 8,
      });
  });
  it('names the bad field', () => {
    const r = parseTopology('nodes:\n  - name: a\n    resources: {nvidia.com/gpu: -1}\n', 't.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('t.yaml: nodes.0.resources.nvidia.com/gpu');
  });
});
