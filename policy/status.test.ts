import { formatTime } from './behavior.js';
import { evaluatePolicy } from './evaluate.js';
import { parsePolicySpec } from './spec.js';
import type { ReconcileOutcome } from './status.js';
import { eventsFor, mergePatch, nextStatus, setCondition, statusEqual } from './status.js';
import type { MetricReadings, PolicyCondition, PolicySpec, PolicyStatus } from './types.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');

function spec(): PolicySpec {
  const parsed = parsePolicySpec({
    targetRef: { kind: 'Deployment', name: 'llm' },
    maxReplicas: 10,
    cooldownPeriod: 60,
    metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
    scaleUp: { stabilizationWindowSeconds: 0 },
    scaleDown: { stabilizationWindowSeconds: 0 },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

function evaluated(
  status: PolicyStatus | undefined,
  readings: MetricReadings,
  current: number,
  nowMs: number,
  actuation: { ok: true } | { ok: false; message: string } | undefined = { ok: true },
): PolicyStatus {
  const evaluation = evaluatePolicy({ spec: spec(), currentReplicas: current, readings, status, nowMs });
  const outcome: ReconcileOutcome = {
    kind: 'evaluated',
    currentReplicas: current,
    evaluation,
    ...(evaluation.decision.action === 'scale' && actuation !== undefined ? { actuation } : {}),
  };
  return nextStatus(status, outcome, 'MaxRatio', 3, nowMs);
}

const condition = (status: PolicyStatus, type: PolicyCondition['type']): PolicyCondition | undefined =>
  status.conditions?.find((c) => c.type === type);

describe('setCondition', () => {
  const base: PolicyCondition[] = [
    { type: 'Ready', status: 'True', reason: 'Active', message: 'ok', lastTransitionTime: formatTime(T0) },
  ];
  const cases = [
    {
      name: 'same status, new reason: lastTransitionTime stays',
      status: 'True',
      reason: 'Other',
      moved: false,
    },
    { name: 'status flips: lastTransitionTime moves', status: 'False', reason: 'Active', moved: true },
  ] as const;
  it.each(cases)('$name', ({ status, reason, moved }) => {
    const [next] = setCondition(base, 'Ready', { status, reason, message: 'm' }, T0 + 60_000, 4);
    expect(next?.lastTransitionTime).toBe(formatTime(moved ? T0 + 60_000 : T0));
    expect(next).toMatchObject({ status, reason, observedGeneration: 4 });
  });
  it('a new condition gets the current time', () => {
    const next = setCondition(
      [],
      'MetricsAvailable',
      { status: 'True', reason: 'r', message: 'm' },
      T0,
      undefined,
    );
    expect(next).toEqual([
      {
        type: 'MetricsAvailable',
        status: 'True',
        reason: 'r',
        message: 'm',
        lastTransitionTime: formatTime(T0),
      },
    ]);
  });
});

describe('nextStatus', () => {
  it('a scale-up records lastScaleTime, the scale event, the replicas and Ready conditions', () => {
    const status = evaluated(undefined, { gpuUtilization: { kind: 'value', value: 90 } }, 2, T0);
    expect(status).toMatchObject({
      observedGeneration: 3,
      currentReplicas: 3,
      desiredReplicas: 3,
      lastScaleTime: formatTime(T0),
      lastAlgorithm: 'MaxRatio',
      consecutiveMetricFailures: 0,
      currentMetrics: { gpuUtilizationPercentage: 90 },
      scaleEvents: [{ time: formatTime(T0), replicasChange: 1 }],
    });
    expect(status.lastScaleReason).toMatch(/^MetricsAboveTarget: /);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Active'],
      ['MetricsAvailable', 'True', 'AllMetricsAvailable'],
      ['ScalingActive', 'True', 'ScaledUp'],
      ['AlgorithmValid', 'True', 'Valid'],
    ]);
  });

  it('a failed scale keeps lastScaleTime and says FailedUpdateScale', () => {
    const status = evaluated(undefined, { gpuUtilization: { kind: 'value', value: 90 } }, 2, T0, {
      ok: false,
      message: 'forbidden',
    });
    expect(status.lastScaleTime).toBeUndefined();
    expect(status.currentReplicas).toBe(2);
    expect(condition(status, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedUpdateScale',
    });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'FailedUpdateScale' });
  });

  it('NaN: MetricsAvailable=False, Ready=False, the metric absent (never -2147483648)', () => {
    const before = evaluated(undefined, { gpuUtilization: { kind: 'value', value: 60 } }, 2, T0);
    const after = evaluated(before, { gpuUtilization: { kind: 'value', value: Number.NaN } }, 2, T0 + 15_000);
    expect(after.currentMetrics).toEqual({});
    expect(JSON.stringify(after)).not.toContain('-2147483648');
    expect(condition(after, 'MetricsAvailable')).toMatchObject({
      status: 'False',
      reason: 'MetricsUnavailable',
      lastTransitionTime: formatTime(T0 + 15_000),
    });
    expect(condition(after, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'MetricsUnavailable',
    });
    expect(condition(after, 'Ready')).toMatchObject({ status: 'False', reason: 'MetricsUnavailable' });
    expect(after.currentReplicas).toBe(2);
    // The patch removes the stale value instead of leaving it behind.
    expect(mergePatch(before, after)).toMatchObject({ currentMetrics: { gpuUtilizationPercentage: null } });
  });

  it('the same readings a tick later change nothing: no status write, no moved lastTransitionTime', () => {
    const first = evaluated(undefined, { gpuUtilization: { kind: 'value', value: 60 } }, 2, T0);
    const second = evaluated(first, { gpuUtilization: { kind: 'value', value: 60 } }, 2, T0 + 15_000);
    expect(statusEqual(first, second)).toBe(true);
    expect(mergePatch(first, second)).toBeUndefined();
  });

  it('a restart inside the cooldown holds: the cooldown is read from status.lastScaleTime', () => {
    const scaled = evaluated(undefined, { gpuUtilization: { kind: 'value', value: 90 } }, 2, T0);
    const afterRestart = evaluatePolicy({
      spec: spec(),
      currentReplicas: 3,
      readings: { gpuUtilization: { kind: 'value', value: 150 } },
      status: JSON.parse(JSON.stringify(scaled)) as PolicyStatus,
      nowMs: T0 + 30_000,
    });
    expect(afterRestart.decision).toMatchObject({ action: 'hold', reason: 'Cooldown' });
  });

  // The owner scales the target to 0 and back to 2, under the same high load; one read every 15 s.
  const zeroSteps: ReadonlyArray<{
    name: string;
    current: number;
    scalingActive: [string, string];
    ready: [string, string];
    metrics: string;
    replicas: number;
    desired: number;
    written: boolean;
  }> = [
    {
      name: 'at 2 under load: scales up',
      current: 2,
      scalingActive: ['True', 'ScaledUp'],
      ready: ['True', 'Active'],
      metrics: 'True',
      replicas: 3,
      desired: 3,
      written: true,
    },
    {
      name: 'the owner sets 0: ScalingActive=False ScalingDisabled, desired 0, nothing scaled',
      current: 0,
      scalingActive: ['False', 'ScalingDisabled'],
      ready: ['False', 'ScalingDisabled'],
      metrics: 'Unknown',
      replicas: 0,
      desired: 0,
      written: true,
    },
    {
      name: 'still at 0 a read later: the same status, no write',
      current: 0,
      scalingActive: ['False', 'ScalingDisabled'],
      ready: ['False', 'ScalingDisabled'],
      metrics: 'Unknown',
      replicas: 0,
      desired: 0,
      written: false,
    },
    {
      name: 'the owner sets 2: autoscaled again (cooldown 60 s has passed)',
      current: 2,
      scalingActive: ['True', 'ScaledUp'],
      ready: ['True', 'Active'],
      metrics: 'True',
      replicas: 3,
      desired: 3,
      written: true,
    },
  ];
  it('a target scaled to 0 by its owner: the HPA condition while at 0, active again at 2', () => {
    let status: PolicyStatus | undefined;
    zeroSteps.forEach((step, index) => {
      const nowMs = T0 + index * 60_000;
      const evaluation = evaluatePolicy({
        spec: spec(),
        currentReplicas: step.current,
        readings: { gpuUtilization: { kind: 'value', value: 90 } },
        status,
        nowMs,
      });
      const outcome: ReconcileOutcome = {
        kind: 'evaluated',
        currentReplicas: step.current,
        evaluation,
        ...(evaluation.decision.action === 'scale' ? { actuation: { ok: true } } : {}),
      };
      const next = nextStatus(status, outcome, 'MaxRatio', 3, nowMs);
      const scalingActive = condition(next, 'ScalingActive');
      const ready = condition(next, 'Ready');
      expect({
        name: step.name,
        current: step.current,
        scalingActive: [scalingActive?.status, scalingActive?.reason],
        ready: [ready?.status, ready?.reason],
        metrics: condition(next, 'MetricsAvailable')?.status,
        replicas: next.currentReplicas,
        desired: next.desiredReplicas,
        written: mergePatch(status ?? {}, next) !== undefined,
      }).toEqual(step);
      if (step.current === 0) {
        expect(scalingActive?.message).toMatch(/replica count of the target is zero/);
        expect(next.recommendations).toEqual([]);
        // No Warning: the owner chose it (the HPA records no event either).
        expect(eventsFor(status, outcome)).toEqual([]);
      }
      status = next;
    });
  });

  const blocked: ReadonlyArray<{
    name: string;
    outcome: Exclude<ReconcileOutcome, { kind: 'evaluated' }>;
    reason: string;
    algorithm: string;
  }> = [
    {
      name: 'conflicting HPA',
      outcome: {
        kind: 'conflictingAutoscaler',
        autoscaler: 'hpa/llm',
        message: 'HPA llm also targets Deployment llm',
      },
      reason: 'ConflictingAutoscaler',
      algorithm: 'True',
    },
    {
      name: 'target not found',
      outcome: { kind: 'targetNotFound', message: 'Deployment llm not found' },
      reason: 'TargetNotFound',
      algorithm: 'True',
    },
    {
      name: 'invalid spec',
      outcome: { kind: 'invalidSpec', message: 'spec.maxReplicas = undefined: required' },
      reason: 'InvalidSpec',
      algorithm: 'False',
    },
  ];
  it.each(blocked)(
    '$name: Ready and ScalingActive False with the reason',
    ({ outcome, reason, algorithm }) => {
      const status = nextStatus({ currentReplicas: 4 }, outcome, undefined, 1, T0);
      expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason, message: outcome.message });
      expect(condition(status, 'ScalingActive')).toMatchObject({ status: 'False', reason });
      expect(condition(status, 'AlgorithmValid')?.status).toBe(algorithm);
      expect(condition(status, 'MetricsAvailable')?.status).toBe('Unknown');
      expect(status.currentReplicas).toBe(4);
    },
  );
});

describe('mergePatch', () => {
  const cases = [
    {
      name: 'equal (key order ignored)',
      from: { a: 1, b: { c: 2 } },
      to: { b: { c: 2 }, a: 1 },
      patch: undefined,
    },
    { name: 'changed field', from: { a: 1, b: 2 }, to: { a: 1, b: 3 }, patch: { b: 3 } },
    {
      name: 'removed field is null',
      from: { m: { x: 1, y: 2 } },
      to: { m: { x: 1 } },
      patch: { m: { y: null } },
    },
    { name: 'new nested object', from: {}, to: { m: { x: 1 } }, patch: { m: { x: 1 } } },
    { name: 'arrays replaced whole', from: { l: [1, 2] }, to: { l: [1] }, patch: { l: [1] } },
  ];
  it.each(cases)('$name', ({ from, to, patch }) => {
    expect(mergePatch(from, to)).toEqual(patch);
  });
});

describe('eventsFor', () => {
  const readyPrev: PolicyStatus = {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Active', message: '', lastTransitionTime: formatTime(T0) },
      {
        type: 'MetricsAvailable',
        status: 'True',
        reason: 'All',
        message: '',
        lastTransitionTime: formatTime(T0),
      },
    ],
  };
  const blockedPrev = (reason: string): PolicyStatus => ({
    conditions: [{ type: 'Ready', status: 'False', reason, message: '', lastTransitionTime: formatTime(T0) }],
  });
  const scaleUp = evaluatePolicy({
    spec: spec(),
    currentReplicas: 2,
    readings: { gpuUtilization: { kind: 'value', value: 90 } },
    status: undefined,
    nowMs: T0,
  });
  const noData = evaluatePolicy({
    spec: spec(),
    currentReplicas: 2,
    readings: {},
    status: undefined,
    nowMs: T0,
  });
  const cases: ReadonlyArray<{
    name: string;
    prev: PolicyStatus | undefined;
    outcome: ReconcileOutcome;
    reasons: string[];
  }> = [
    {
      name: 'a scale-up is a Normal ScaledUp event',
      prev: readyPrev,
      outcome: { kind: 'evaluated', currentReplicas: 2, evaluation: scaleUp, actuation: { ok: true } },
      reasons: ['ScaledUp'],
    },
    {
      name: 'a failed scale is a FailedUpdateScale warning, no ScaledUp',
      prev: readyPrev,
      outcome: {
        kind: 'evaluated',
        currentReplicas: 2,
        evaluation: scaleUp,
        actuation: { ok: false, message: 'x' },
      },
      reasons: ['FailedUpdateScale'],
    },
    {
      name: 'metrics lost: one MetricsUnavailable warning',
      prev: readyPrev,
      outcome: { kind: 'evaluated', currentReplicas: 2, evaluation: noData },
      reasons: ['MetricsUnavailable'],
    },
    {
      name: 'metrics still lost: no repeated warning',
      prev: {
        conditions: [
          {
            type: 'MetricsAvailable',
            status: 'False',
            reason: 'MetricsUnavailable',
            message: '',
            lastTransitionTime: formatTime(T0),
          },
        ],
      },
      outcome: { kind: 'evaluated', currentReplicas: 2, evaluation: noData },
      reasons: [],
    },
    {
      name: 'HPA found: ConflictingAutoscaler warning',
      prev: readyPrev,
      outcome: { kind: 'conflictingAutoscaler', autoscaler: 'h', message: 'm' },
      reasons: ['ConflictingAutoscaler'],
    },
    {
      name: 'HPA still there: no repeated warning',
      prev: blockedPrev('ConflictingAutoscaler'),
      outcome: { kind: 'conflictingAutoscaler', autoscaler: 'h', message: 'm' },
      reasons: [],
    },
    {
      name: 'target missing on a new policy: TargetNotFound warning',
      prev: undefined,
      outcome: { kind: 'targetNotFound', message: 'm' },
      reasons: ['TargetNotFound'],
    },
    {
      name: 'invalid spec: InvalidSpec warning once',
      prev: blockedPrev('TargetNotFound'),
      outcome: { kind: 'invalidSpec', message: 'm' },
      reasons: ['InvalidSpec'],
    },
  ];
  it.each(cases)('$name', ({ prev, outcome, reasons }) => {
    expect(eventsFor(prev, outcome).map((e) => e.reason)).toEqual(reasons);
  });
});
