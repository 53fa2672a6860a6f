import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { stabilizeReplicas } from '../autoscaler/index.js';
import { formatTime } from './behavior.js';
import { POLICY_CRD_FILE } from './crd-file.js';
import type { HoldReason } from './evaluate.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicySpec } from './spec.js';
import type { PolicyStatus } from './types.js';

// Pins each row of "Differences from the HPA" (policy/README.md) to what the policy does: the policy as an
// HPA user would write it (no scaleUp, scaleDown or cooldownPeriod), what the HPA does in the same
// situation, and what the setting the row gives changes.

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => formatTime(NOW - seconds * 1000);
const gpu = (percent: number) => ({ gpuUtilization: { kind: 'value', value: percent } }) as const;

/** What an HPA user writes: bounds and a target, nothing else. */
const HPA_LIKE = {
  targetRef: { kind: 'Deployment', name: 'llm' },
  minReplicas: 1,
  maxReplicas: 50,
  metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
};

type Outcome = { readonly scale: number } | { readonly hold: HoldReason };

interface Difference {
  readonly name: string;
  /** The first cell of the README row, and words the row states. */
  readonly row: string;
  readonly says: readonly string[];
  /** The CRD default behind the row (the API server applies it), as field names under spec. */
  readonly crdDefault?: { readonly path: readonly string[]; readonly value: number };
  readonly current: number;
  readonly gpuPercent: number;
  readonly status?: PolicyStatus;
  readonly policy: Outcome;
  readonly hpa: Outcome;
  /** False where the row says both agree (the scale-up cap from 4 replicas). */
  readonly differs: boolean;
  /** The row's last column, and what the policy does with it. */
  readonly setting?: {
    readonly spec: Record<string, unknown>;
    readonly gives: Outcome;
    readonly exact: boolean;
  };
  /** The HPA's outcome from the HPA's own rule where the autoscaler has it (per-read window history). */
  readonly hpaRule?: () => number;
  /** The same load read again `afterSeconds` later, with the status the first read left: how long it lasts. */
  readonly later: ReadonlyArray<{ readonly afterSeconds: number; readonly policy: Outcome }>;
}

const SCALE_UP_CAP: ReadonlyArray<{
  current: number;
  policy: number;
  hpa: number;
  setting: number;
  differs: boolean;
}> = [
  { current: 1, policy: 5, hpa: 4, setting: 4, differs: true },
  { current: 2, policy: 6, hpa: 4, setting: 5, differs: true },
  { current: 3, policy: 7, hpa: 6, setting: 6, differs: true },
  { current: 4, policy: 8, hpa: 8, setting: 8, differs: false },
  { current: 10, policy: 20, hpa: 20, setting: 20, differs: false },
];

const differences: readonly Difference[] = [
  {
    name: 'scale-up window: 60 s by default, where the HPA scales up at once (0 s)',
    row: 'Scale-up window',
    says: [
      '0 s',
      'defaults to 60 s',
      '2 replicas at ratio 2 -> 4',
      '`scaleUp: { stabilizationWindowSeconds: 0 }`',
    ],
    crdDefault: { path: ['scaleUp', 'stabilizationWindowSeconds'], value: 60 },
    // A new policy at 2 replicas, GPU at 120% of a 60% target.
    current: 2,
    gpuPercent: 120,
    policy: { hold: 'Stabilizing' },
    hpa: { scale: 4 },
    differs: true,
    later: [
      { afterSeconds: 59, policy: { hold: 'Stabilizing' } },
      { afterSeconds: 61, policy: { scale: 4 } },
    ],
    setting: { spec: { scaleUp: { stabilizationWindowSeconds: 0 } }, gives: { scale: 4 }, exact: true },
  },
  {
    name: 'cooldownPeriod: 300 s by default, where the HPA has no cooldown',
    row: 'Cooldown',
    says: ['none', 'defaults to 300 s', 'either direction', '`cooldownPeriod: 0`'],
    crdDefault: { path: ['cooldownPeriod'], value: 300 },
    // Scaled 2 -> 3 100 s ago; the load still asks for 6 (the window is past: 6 was recommended 100 s ago).
    current: 3,
    gpuPercent: 120,
    status: { lastScaleTime: ago(100), recommendations: [{ time: ago(100), replicas: 6 }] },
    policy: { hold: 'Cooldown' },
    hpa: { scale: 6 },
    differs: true,
    later: [
      { afterSeconds: 199, policy: { hold: 'Cooldown' } },
      { afterSeconds: 201, policy: { scale: 6 } },
    ],
    setting: { spec: { cooldownPeriod: 0 }, gives: { scale: 6 }, exact: true },
  },
  {
    name: 'run-length history: after a 10-minute metrics outage 6 holds for one more window, the HPA goes to 2',
    row: 'History after a gap',
    says: ['10-minute metrics outage', 'scale to 2 at once', 'hold 6', '300 s by default', 'no setting'],
    crdDefault: { path: ['scaleDown', 'stabilizationWindowSeconds'], value: 300 },
    // 6 recommended from 900 s until 600 s ago (last entry 900 s ago: unchanged since), then no metrics.
    current: 6,
    gpuPercent: 20,
    status: { recommendations: [{ time: ago(900), replicas: 6 }] },
    policy: { hold: 'Stabilizing' },
    hpa: { scale: 2 },
    differs: true,
    // "Up to one more scale-down window": the hold ends 300 s after the first read after the gap.
    later: [
      { afterSeconds: 299, policy: { hold: 'Stabilizing' } },
      { afterSeconds: 301, policy: { scale: 2 } },
    ],
    // The HPA records every read: 6 each 15 s from 900 s to 600 s ago, none since; its window is 300 s.
    hpaRule: () =>
      stabilizeReplicas(
        Array.from({ length: 21 }, (_, i) => ({ atMs: NOW - (900 - i * 15) * 1000, replicas: 6 })),
        NOW,
        2,
        { currentReplicas: 6, scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 },
      ),
  },
  ...SCALE_UP_CAP.map((c): Difference => ({
    name: `scale-up cap without behavior: ${c.current} -> ${c.policy} (HPA max(2 x current, 4): ${c.hpa})`,
    row: 'Scale-up cap without `behavior`',
    says: [
      'max(2 x current, 4)',
      'max(current + 4, 2 x current)',
      '1 -> 5, 2 -> 6, 3 -> 7',
      '1 -> 4, 2 -> 4, 3 -> 6',
      'the same from 4 replicas',
      'no exact setting',
      'except 2 -> 5',
    ],
    // Far above target (raw 20 x current); the scale-up window already saw that recommendation.
    current: c.current,
    gpuPercent: 1200,
    status: { recommendations: [{ time: ago(120), replicas: 20 * c.current }] },
    policy: { scale: c.policy },
    hpa: { scale: c.hpa },
    differs: c.differs,
    later: [],
    setting: {
      spec: {
        scaleUp: {
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Pods', value: 3, periodSeconds: 15 },
          ],
        },
      },
      gives: { scale: c.setting },
      exact: false,
    },
  })),
  {
    name: 'scaled up again from 0: the owner count holds for one scale-down window, the HPA may go below it',
    row: 'Scaled up again from 0',
    says: [
      '2 -> 1 at once',
      "begins with the owner's count",
      '`scaleDown: { stabilizationWindowSeconds: 0 }`',
    ],
    crdDefault: { path: ['scaleDown', 'stabilizationWindowSeconds'], value: 300 },
    // The owner set 2 after a long time at 0 (the history was dropped at 0); the load is low.
    current: 2,
    gpuPercent: 6,
    status: { recommendations: [] },
    policy: { hold: 'Stabilizing' },
    hpa: { scale: 1 },
    differs: true,
    later: [
      { afterSeconds: 299, policy: { hold: 'Stabilizing' } },
      { afterSeconds: 301, policy: { scale: 1 } },
    ],
    setting: { spec: { scaleDown: { stabilizationWindowSeconds: 0 } }, gives: { scale: 1 }, exact: true },
  },
];

function run(
  overrides: Record<string, unknown>,
  d: Difference,
  status = d.status,
  nowMs = NOW,
): { outcome: Outcome; status: PolicyStatus } {
  const parsed = parsePolicySpec({ ...HPA_LIKE, ...overrides });
  if (!parsed.ok) throw new Error(parsed.message);
  const evaluation = evaluatePolicy({
    spec: parsed.spec,
    currentReplicas: d.current,
    readings: gpu(d.gpuPercent),
    status,
    nowMs,
  });
  const { decision } = evaluation;
  return {
    outcome: decision.action === 'scale' ? { scale: decision.targetReplicas } : { hold: decision.reason },
    status: { ...status, recommendations: evaluation.recommendations },
  };
}

function tableRows(): ReadonlyMap<string, string> {
  const text = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const section = text.split('## Differences from the HPA')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (line.startsWith('|') && cells[1] !== undefined && !/^-+$/.test(cells[1])) rows.set(cells[1], line);
  }
  return rows;
}

interface SchemaNode {
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

function crdSpecSchema(): SchemaNode | undefined {
  const crd = load(readFileSync(POLICY_CRD_FILE, 'utf8')) as {
    spec: { versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> };
  };
  return crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
}

describe('Differences from the HPA (policy/README.md)', () => {
  const rows = tableRows();

  it('the table has exactly the rows pinned here', () => {
    expect([...rows.keys()].slice(1)).toEqual([...new Set(differences.map((d) => d.row))]);
  });

  it.each(differences)('$name', (d) => {
    const row = rows.get(d.row);
    expect(row).toBeDefined();
    for (const words of d.says) expect(row).toContain(words);
    if (d.crdDefault !== undefined) {
      let node: SchemaNode | undefined = crdSpecSchema();
      for (const key of d.crdDefault.path) node = node?.properties?.[key];
      expect(node?.default).toBe(d.crdDefault.value);
    }

    // The policy as an HPA user writes it differs from the HPA (or agrees, where the row says so)...
    const first = run({}, d);
    expect(first.outcome).toEqual(d.policy);
    for (const later of d.later) {
      const nowMs = NOW + later.afterSeconds * 1000;
      expect([later.afterSeconds, run({}, d, first.status, nowMs).outcome]).toEqual([
        later.afterSeconds,
        later.policy,
      ]);
    }
    if (d.differs) expect(d.policy).not.toEqual(d.hpa);
    else expect(d.policy).toEqual(d.hpa);
    if (d.hpaRule !== undefined) expect({ scale: d.hpaRule() }).toEqual(d.hpa);
    // ...and the row's setting gives the HPA's outcome, or says how close it comes.
    if (d.setting !== undefined) {
      expect(run(d.setting.spec, d).outcome).toEqual(d.setting.gives);
      if (d.setting.exact) expect(d.setting.gives).toEqual(d.hpa);
    }
  });
});
