import type { CapacitySnapshot } from '../gpu-registry/index.js';
import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { DEFAULT_SERVICE_SETTINGS, parseConfig } from './config.js';
import type { DecidePlan, Reservation, ServicePlan } from './controller.js';
import {
  applyReservations,
  configFor,
  liveReservations,
  decideInOrder,
  planServices,
  podsNeeded,
  queriesOf,
  serviceKey,
  watchedNamespaces,
} from './controller.js';
import type { AutoscalerConfig, ObservedService } from './types.js';

const T0 = 1_800_000_000_000;
const MIG1 = 'nvidia.com/mig-1g.10gb';
const MIG2 = 'nvidia.com/mig-2g.20gb';

const metricBlock = `  metrics:
    - name: latency
      query: 'latency{pod="%s"}'
      slo: 1
      scaleUpFactor: 1.2
      scaleDownFactor: 0.5
`;
const block = (settings: string): string => `${metricBlock}  settings:\n${settings}`;

/** A real, validated config (parsed the way the ConfigMap is). */
function config(data: Record<string, string>): AutoscalerConfig {
  const parsed = parseConfig({ _global: 'namespaces: [serving, other]\nignore: [canary]\n', ...data }, {});
  if (parsed.config === undefined || parsed.issues.length > 0) {
    throw new Error(`test config invalid: ${JSON.stringify(parsed.issues)}`);
  }
  return parsed.config;
}

const oneReplicaLadder = block('    ladder: [mig-1g.10gb, mig-2g.20gb]\n    maxReplicas: 1\n');

function observed(name: string, overrides: Partial<ObservedService> = {}): ObservedService {
  return {
    namespace: 'serving',
    name,
    servingRevision: `${name}-00001`,
    readyPods: [`${name}-00001-deployment-x`],
    tier: 'mig-1g.10gb',
    readyReplicas: 1,
    migrationInFlight: false,
    state: { recommendations: [] },
    ...overrides,
  };
}

describe('watchedNamespaces and configFor', () => {
  const cfg = config({
    gpt2: oneReplicaLadder,
    llama: block('    namespace: other\n'),
  });
  test('global namespaces and block namespaces, sorted', () => {
    expect(watchedNamespaces(cfg)).toEqual(['other', 'serving']);
  });
  const cases: ReadonlyArray<{ name: string; service: ObservedService; want: string | undefined }> = [
    { name: 'same name in a watched namespace', service: observed('gpt2'), want: 'gpt2' },
    {
      name: 'same name in another watched namespace',
      service: observed('gpt2', { namespace: 'other' }),
      want: 'gpt2',
    },
    {
      name: 'a block bound to its namespace',
      service: observed('llama', { namespace: 'other' }),
      want: 'llama',
    },
    { name: 'a block bound to another namespace', service: observed('llama'), want: undefined },
    { name: 'no block (names are exact, dashes allowed)', service: observed('gpt2-large'), want: undefined },
  ];
  test.each(cases)('$name', ({ service, want }) => {
    expect(configFor(cfg, service)?.service).toBe(want);
  });
});

describe('planServices', () => {
  const cfg = config({
    a: oneReplicaLadder,
    b: oneReplicaLadder,
    'b-canary': oneReplicaLadder,
    m: oneReplicaLadder,
  });
  const plans = planServices(cfg, [
    observed('m', { migrationInFlight: true }),
    observed('zz'),
    observed('b'),
    observed('b-canary'),
    observed('a', { tier: undefined }),
    observed('a', { namespace: 'other' }),
  ]);
  const summary = (plan: ServicePlan): string =>
    `${plan.key}:${plan.kind === 'skip' ? `skip/${plan.reason}` : plan.kind}`;

  test('every service sorted into skip / resume / decide, in namespace/name order', () => {
    expect(plans.map(summary)).toEqual([
      'other/a:decide',
      'serving/a:skip/unknownTier',
      'serving/b:decide',
      'serving/b-canary:skip/ignored',
      'serving/m:resume',
      'serving/zz:skip/noConfig',
    ]);
  });
  test('a migration in flight is resumed even when the service is ignored or has lost its block', () => {
    const resumed = planServices(cfg, [
      observed('b-canary', { migrationInFlight: true }),
      observed('gone', { migrationInFlight: true }),
    ]);
    expect(resumed.map(summary)).toEqual(['serving/b-canary:resume', 'serving/gone:resume']);
    const gone = resumed[1];
    expect(gone?.kind === 'resume' ? gone.config.settings.migration : undefined).toEqual(
      DEFAULT_SERVICE_SETTINGS.migration,
    );
  });
  test('a decide plan carries the observation and the queries', () => {
    const plan = plans[0] as DecidePlan;
    expect(plan.observation).toEqual({
      tier: 'mig-1g.10gb',
      readyReplicas: 1,
      migrationInFlight: false,
      recommendations: [],
    });
    expect(plan.queries[0]).toEqual({ name: 'latency', query: 'latency{pod="%s"}', aggregate: 'max' });
  });
});

describe('queriesOf', () => {
  const cases: ReadonlyArray<{ name: string; settings: string; want: string[] }> = [
    { name: 'step: metrics only', settings: '    policy: step\n    maxReplicas: 2\n', want: ['latency'] },
    {
      name: 'size (the default): the arrivals now and 1, 2, 3 minutes ago, completions and tokens',
      settings: '    maxReplicas: 2\n',
      want: [
        'latency',
        '__arrivals0m',
        '__arrivals1m',
        '__arrivals2m',
        '__arrivals3m',
        '__arrivals30s',
        '__completions1m',
        '__promptTokens1m',
        '__outputTokens1m',
      ],
    },
    {
      name: 'size has no idle step and no load growth (the target covers both)',
      settings: "    idle: {requestRateQuery: 'r', afterSeconds: 60}\n    loadGrowth: {arrivalsQuery: 'a'}\n",
      want: [
        'latency',
        '__arrivals0m',
        '__arrivals1m',
        '__arrivals2m',
        '__arrivals3m',
        '__arrivals30s',
        '__completions1m',
        '__promptTokens1m',
        '__outputTokens1m',
      ],
    },
    {
      name: 'step: the idle policy adds the request rate',
      settings: "    policy: step\n    idle: {requestRateQuery: 'sum(rate(r[1m]))', afterSeconds: 60}\n",
      want: ['latency', '__requestRate'],
    },
    {
      name: 'step: load growth adds its arrivals query, evaluated now and 1, 2, 3 minutes ago',
      settings: "    policy: step\n    loadGrowth: {arrivalsQuery: 'a'}\n",
      want: ['latency', '__arrivals0m', '__arrivals1m', '__arrivals2m', '__arrivals3m'],
    },
    {
      name: 'the original policy has no idle step',
      settings:
        "    policy: ksiss-original\n    idle: {requestRateQuery: 'sum(rate(r[1m]))', afterSeconds: 60}\n",
      want: ['latency'],
    },
  ];
  test.each(cases)('$name', ({ settings, want }) => {
    const service = config({ s: block(settings) }).services.get('s');
    if (service === undefined) throw new Error('no service');
    expect(queriesOf(service).map((query) => query.name)).toEqual(want);
  });
  test('the arrivals queries carry their offsets and sum over pods', () => {
    const service = config({
      s: block("    policy: step\n    loadGrowth: {arrivalsQuery: 'a'}\n"),
    }).services.get('s');
    if (service === undefined) throw new Error('no service');
    expect(queriesOf(service).slice(1)).toEqual([
      { name: '__arrivals0m', query: 'a', aggregate: 'sum', offsetSeconds: 0 },
      { name: '__arrivals1m', query: 'a', aggregate: 'sum', offsetSeconds: 60 },
      { name: '__arrivals2m', query: 'a', aggregate: 'sum', offsetSeconds: 120 },
      { name: '__arrivals3m', query: 'a', aggregate: 'sum', offsetSeconds: 180 },
    ]);
  });
});

describe('podsNeeded', () => {
  const observation = {
    tier: 'mig-1g.10gb',
    readyReplicas: 2,
    migrationInFlight: false,
    recommendations: [],
  };
  const cases = [
    {
      name: 'a tier move needs every replica of the new tier (both revisions run for a while)',
      decision: { action: 'up', targetTier: 'mig-2g.20gb', reason: 'sloPressure', message: '' } as const,
      want: { tier: 'mig-2g.20gb', pods: 2 },
    },
    {
      name: 'a move down too',
      decision: { action: 'down', targetTier: 'mig-1g.10gb', reason: 'slack', message: '' } as const,
      want: { tier: 'mig-1g.10gb', pods: 2 },
    },
    {
      name: 'scale out needs the added replicas of the current tier',
      decision: { action: 'out', targetReplicas: 4, reason: 'sloPressure', message: '' } as const,
      want: { tier: 'mig-1g.10gb', pods: 2 },
    },
    {
      name: 'scale in needs nothing',
      decision: { action: 'in', targetReplicas: 1, reason: 'slack', message: '' } as const,
      want: undefined,
    },
  ];
  test.each(cases)('$name', ({ decision, want }) => {
    const needed = podsNeeded(decision, observation, DEFAULT_CATALOG);
    expect(needed === undefined ? undefined : { tier: needed.tier.name, pods: needed.pods }).toEqual(want);
  });
});

describe('decideInOrder: capacity claiming', () => {
  const onlyOne2g: CapacitySnapshot = { nodes: [{ name: 'gpu-0', free: { [MIG1]: 0, [MIG2]: 1 } }] };
  const pressure = { values: { latency: 2 }, failures: [] };

  function decidePlans(cfg: AutoscalerConfig, services: ObservedService[]): DecidePlan[] {
    return planServices(cfg, services).filter((plan): plan is DecidePlan => plan.kind === 'decide');
  }
  const summary = (decisions: ReturnType<typeof decideInOrder>['decisions']) =>
    decisions.map(({ plan, decision, act }) => ({
      service: plan.key,
      action: decision.action,
      reason: decision.reason,
      acts: act !== undefined,
    }));

  test('two services under pressure, one free slice: the first in order gets it, the second holds', () => {
    const cfg = config({ a: oneReplicaLadder, b: oneReplicaLadder });
    const plans = decidePlans(cfg, [observed('b'), observed('a')]);
    const result = decideInOrder(
      plans.map((plan) => ({ plan, metrics: pressure })),
      cfg.catalog,
      onlyOne2g,
      T0,
    );
    expect(summary(result.decisions)).toEqual([
      { service: 'serving/a', action: 'up', reason: 'sloPressure', acts: true },
      { service: 'serving/b', action: 'hold', reason: 'noCapacity', acts: false },
    ]);
    expect(result.capacity.nodes[0]?.free[MIG2]).toBe(0);
  });

  test('a dry-run service claims nothing: the next one gets the slice', () => {
    const cfg = config({
      a: block('    ladder: [mig-1g.10gb, mig-2g.20gb]\n    maxReplicas: 1\n    dryRun: true\n'),
      b: oneReplicaLadder,
    });
    const plans = decidePlans(cfg, [observed('a'), observed('b')]);
    const result = decideInOrder(
      plans.map((plan) => ({ plan, metrics: pressure })),
      cfg.catalog,
      onlyOne2g,
      T0,
    );
    expect(summary(result.decisions)).toEqual([
      { service: 'serving/a', action: 'hold', reason: 'dryRun', acts: false },
      { service: 'serving/b', action: 'up', reason: 'sloPressure', acts: true },
    ]);
    expect(result.decisions[0]?.output.wouldAct).toEqual(
      expect.objectContaining({ action: 'up', targetTier: 'mig-2g.20gb' }),
    );
  });

  test('a failed metric query is "no data": it holds, never scales down', () => {
    const cfg = config({ a: oneReplicaLadder });
    const plans = decidePlans(cfg, [observed('a')]);
    const failed = {
      values: {},
      failures: [
        { metric: 'latency', errorClass: 'transient' as const, reason: 'timeout' as const, message: 'slow' },
      ],
    };
    const result = decideInOrder(
      [{ plan: plans[0] as DecidePlan, metrics: failed }],
      cfg.catalog,
      onlyOne2g,
      T0,
    );
    expect(summary(result.decisions)).toEqual([
      { service: 'serving/a', action: 'hold', reason: 'noData', acts: false },
    ]);
    expect(result.capacity).toEqual(onlyOne2g);
  });

  test('scale-outs claim replicas one by one until the tier runs out', () => {
    const outOnly = block('    ladder: [mig-1g.10gb]\n    maxReplicas: 3\n');
    const cfg = config({ a: outOnly, b: outOnly, c: outOnly });
    const twoFree1g: CapacitySnapshot = {
      nodes: [
        { name: 'gpu-0', free: { [MIG1]: 1 } },
        { name: 'gpu-1', free: { [MIG1]: 1 } },
      ],
    };
    const plans = decidePlans(cfg, [observed('c'), observed('b'), observed('a')]);
    const result = decideInOrder(
      plans.map((plan) => ({ plan, metrics: pressure })),
      cfg.catalog,
      twoFree1g,
      T0,
    );
    expect(summary(result.decisions)).toEqual([
      { service: 'serving/a', action: 'out', reason: 'sloPressure', acts: true },
      { service: 'serving/b', action: 'out', reason: 'sloPressure', acts: true },
      { service: 'serving/c', action: 'hold', reason: 'noCapacity', acts: false },
    ]);
    expect(result.capacity.nodes.map((node) => node.free[MIG1])).toEqual([0, 0]);
  });
});

describe('reservations of actions whose pods may not be visible yet', () => {
  const cfg = config({ a: oneReplicaLadder, b: oneReplicaLadder, m: oneReplicaLadder });
  const tier2g = cfg.catalog.get('mig-2g.20gb');
  const tier1g = cfg.catalog.get('mig-1g.10gb');
  if (tier2g === undefined || tier1g === undefined) throw new Error('catalog');
  const up = (key: string, untilMs = T0 + 60_000): Reservation => ({
    key,
    action: 'up',
    tier: tier2g,
    pods: 1,
    untilMs,
  });
  const out = (key: string, targetReplicas: number): Reservation => ({
    key,
    action: 'out',
    tier: tier1g,
    pods: 1,
    targetReplicas,
    untilMs: T0 + 60_000,
  });
  const plans = planServices(cfg, [
    observed('m', { migrationInFlight: true }),
    observed('a'),
    observed('b', { readyReplicas: 2 }),
  ]);
  const cases: ReadonlyArray<{ name: string; reservations: Reservation[]; want: string[] }> = [
    {
      name: 'a tier move is held while its migration is in flight',
      reservations: [up('serving/m')],
      want: ['serving/m'],
    },
    { name: 'a tier move ends with its migration', reservations: [up('serving/a')], want: [] },
    { name: 'a deadline ends it anyway', reservations: [up('serving/m', T0)], want: [] },
    { name: 'a service that disappeared', reservations: [up('serving/gone')], want: [] },
    {
      name: 'scale-out held until the replicas are ready',
      reservations: [out('serving/b', 3)],
      want: ['serving/b'],
    },
    { name: 'scale-out done', reservations: [out('serving/b', 2)], want: [] },
  ];
  test.each(cases)('$name', ({ reservations, want }) => {
    expect(liveReservations(reservations, plans, T0).map((r) => r.key)).toEqual(want);
  });

  test('reserved pods are taken out of the snapshot before anyone is decided', () => {
    const snapshot: CapacitySnapshot = { nodes: [{ name: 'gpu-0', free: { [MIG1]: 2, [MIG2]: 1 } }] };
    const left = applyReservations(snapshot, [up('serving/m'), out('serving/b', 3)]);
    expect(left.nodes[0]?.free).toEqual({ [MIG1]: 1, [MIG2]: 0 });
    // With the slice reserved, the next service under pressure holds instead of being promised it.
    const decidePlan = plans.find(
      (plan): plan is DecidePlan => plan.kind === 'decide' && plan.key === 'serving/a',
    );
    if (decidePlan === undefined) throw new Error('no plan');
    const result = decideInOrder(
      [{ plan: decidePlan, metrics: { values: { latency: 2 }, failures: [] } }],
      cfg.catalog,
      left,
      T0,
    );
    expect(result.decisions[0]?.decision).toEqual(
      expect.objectContaining({ action: 'hold', reason: 'noCapacity' }),
    );
  });

  test('a reservation that no longer fits is already counted by the cache', () => {
    const full: CapacitySnapshot = { nodes: [{ name: 'gpu-0', free: { [MIG2]: 0 } }] };
    expect(applyReservations(full, [up('serving/m')])).toEqual(full);
  });
});

test('serviceKey', () => {
  expect(serviceKey('ns', 'svc')).toBe('ns/svc');
});
