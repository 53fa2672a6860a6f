import { planMigration } from './migration-planner.js';
import { readMigrationRecord, readPersistedState } from './annotations.js';
import { isRevisionReady, trafficSum } from './traffic.js';
import {
  CATALOG,
  GPU_RESOURCES,
  NEW,
  OLD,
  SETTINGS,
  T0,
  TIERS,
  applyPatch,
  record,
  revision,
  service,
  specOn,
  steady,
} from './test-fixtures.js';
import {
  MIGRATION_ANNOTATION,
  STATE_ANNOTATION,
  type DesiredTier,
  type MigrationStep,
  type ObservedKnative,
} from './types.js';
import { tierOfSpec } from './template.js';

const desired: DesiredTier = {
  toTier: TIERS.mig2g,
  fromTier: TIERS.mig1g,
  revisionName: NEW,
  gpuResources: GPU_RESOURCES,
};

const oldSpec = specOn('nvidia.com/mig-1g.10gb');
const newSpec = specOn('nvidia.com/mig-2g.20gb');
const pinnedOld = [{ revisionName: OLD, percent: 100 }];
const notReady = [{ type: 'Ready', status: 'Unknown' as const, reason: 'Deploying' }];

/** The Service as it looks after the start patch (phase creating), with the new revision in a given state. */
function creating(newRevision: 'absent' | 'pending' | 'ready' | 'failed', overrides = {}): ObservedKnative {
  const revisions = [revision(OLD, oldSpec)];
  if (newRevision === 'pending') revisions.push(revision(NEW, newSpec, notReady));
  if (newRevision === 'ready') revisions.push(revision(NEW, newSpec));
  if (newRevision === 'failed') {
    revisions.push(
      revision(NEW, newSpec, [{ type: 'Ready', status: 'False', reason: 'ProgressDeadlineExceeded' }]),
    );
  }
  return {
    service: service({
      templateName: NEW,
      templateSpec: newSpec,
      specTraffic: pinnedOld,
      statusTraffic: [{ revisionName: OLD, percent: 100 }],
      latestReady: newRevision === 'ready' ? NEW : OLD,
      record: record(overrides),
    }),
    revisions,
    pods:
      newRevision === 'pending'
        ? [
            {
              name: `${NEW}-deployment-abc`,
              revision: NEW,
              ready: false,
              phase: 'Pending',
              unschedulableMessage: '0/6 nodes are available: 6 Insufficient nvidia.com/mig-2g.20gb.',
            },
          ]
        : [],
  };
}

function shifting(stepIndex: number, percentOnNew: number, newReady = true, overrides = {}): ObservedKnative {
  const traffic = [
    { revisionName: OLD, percent: 100 - percentOnNew },
    { revisionName: NEW, percent: percentOnNew },
  ];
  return {
    service: service({
      templateName: NEW,
      templateSpec: newSpec,
      specTraffic: traffic,
      statusTraffic: traffic,
      latestReady: NEW,
      record: record({
        phase: 'shifting',
        stepIndex,
        trafficSteps: [25, 50, 100],
        phaseSinceMs: T0 + 10_000,
        ...overrides,
      }),
    }),
    revisions: [revision(OLD, oldSpec), revision(NEW, newSpec, newReady ? undefined : notReady)],
  };
}

function draining(oldExists: boolean, statusOnOld = 0, overrides = {}): ObservedKnative {
  return {
    service: service({
      templateName: NEW,
      templateSpec: newSpec,
      specTraffic: [{ revisionName: NEW, percent: 100 }],
      statusTraffic:
        statusOnOld > 0
          ? [
              { revisionName: OLD, percent: statusOnOld },
              { revisionName: NEW, percent: 100 - statusOnOld },
            ]
          : [{ revisionName: NEW, percent: 100 }],
      latestReady: NEW,
      record: record({ phase: 'draining', phaseSinceMs: T0 + 10_000, ...overrides }),
    }),
    revisions: oldExists ? [revision(OLD, oldSpec), revision(NEW, newSpec)] : [revision(NEW, newSpec)],
  };
}

function rollingBack(newExists: boolean, routeOnNew = 0, latestReady = OLD, overrides = {}): ObservedKnative {
  return {
    service: service({
      templateName: OLD,
      templateSpec: oldSpec,
      specTraffic: pinnedOld,
      statusTraffic:
        routeOnNew > 0
          ? [
              { revisionName: OLD, percent: 100 - routeOnNew },
              { revisionName: NEW, percent: routeOnNew },
            ]
          : [{ revisionName: OLD, percent: 100 }],
      latestReady,
      record: record({
        phase: 'rollingBack',
        phaseSinceMs: T0 + 130_000,
        rollbackReason: 'readyTimeout',
        rollbackMessage: 'new revision not Ready within 120 s',
        ...overrides,
      }),
    }),
    revisions: newExists
      ? [revision(OLD, oldSpec), revision(NEW, newSpec, notReady)]
      : [revision(OLD, oldSpec)],
  };
}

interface Case {
  readonly name: string;
  readonly observed: ObservedKnative;
  readonly desired?: DesiredTier;
  readonly nowMs: number;
  readonly sloHealthy?: boolean;
  readonly expect: {
    readonly kind: MigrationStep['kind'];
    readonly reason: string;
    readonly nextPhase?: string;
    readonly deletes?: string;
    readonly traffic?: ReadonlyArray<{ revisionName?: string; latestRevision?: boolean; percent: number }>;
    readonly messageContains?: string;
  };
}

const cases: Case[] = [
  {
    name: 'idle without record or wish',
    observed: steady(),
    nowMs: T0,
    expect: { kind: 'idle', reason: 'noMigration' },
  },
  {
    name: 'start: pins traffic to the serving revision and creates the named revision',
    observed: steady(),
    desired,
    nowMs: T0,
    expect: {
      kind: 'patchService',
      reason: 'migrationStarted',
      nextPhase: 'creating',
      traffic: [{ revisionName: OLD, percent: 100 }],
    },
  },
  {
    name: 'start refused: tier in backoff',
    observed: {
      ...steady(),
      service: {
        ...steady().service,
        metadata: {
          ...steady().service.metadata,
          annotations: {
            [STATE_ANNOTATION]: JSON.stringify({
              recommendations: [],
              tierBackoffUntilMs: { 'mig-2g.20gb': T0 + 1 },
            }),
          },
        },
      },
    },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'tierBackoff' },
  },
  {
    name: 'start allowed once the backoff expired',
    observed: {
      ...steady(),
      service: {
        ...steady().service,
        metadata: {
          ...steady().service.metadata,
          annotations: {
            [STATE_ANNOTATION]: JSON.stringify({
              recommendations: [],
              tierBackoffUntilMs: { 'mig-2g.20gb': T0 },
            }),
          },
        },
      },
    },
    desired,
    nowMs: T0,
    expect: { kind: 'patchService', reason: 'migrationStarted', nextPhase: 'creating' },
  },
  {
    name: 'start refused: a tagged traffic entry would be lost',
    observed: {
      ...steady(),
      service: {
        ...steady().service,
        spec: {
          ...steady().service.spec,
          traffic: [
            { latestRevision: true, percent: 100 },
            { revisionName: OLD, percent: 0, tag: 'stable' },
          ],
        },
      },
    },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'userTraffic' },
  },
  {
    name: 'start refused: a user split over two revisions',
    observed: {
      ...steady(),
      service: {
        ...steady().service,
        spec: {
          ...steady().service.spec,
          traffic: [
            { revisionName: OLD, percent: 90 },
            { latestRevision: true, percent: 10 },
          ],
        },
      },
    },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'userTraffic' },
  },
  {
    name: 'start refused: already on tier',
    observed: steady(),
    desired: { ...desired, toTier: TIERS.mig1g },
    nowMs: T0,
    expect: { kind: 'refused', reason: 'alreadyOnTier' },
  },
  {
    name: 'start refused: bad revision name',
    observed: steady(),
    desired: { ...desired, revisionName: 'other-x' },
    nowMs: T0,
    expect: { kind: 'refused', reason: 'invalidRevisionName' },
  },
  {
    name: 'start refused: serving revision not ready',
    observed: { ...steady(), revisions: [revision(OLD, oldSpec, notReady)] },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'servingRevisionNotReady' },
  },
  {
    name: 'start refused: Knative has not reconciled the last change',
    observed: {
      ...steady(),
      service: { ...steady().service, status: { ...steady().service.status, observedGeneration: 2 } },
    },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'serviceNotSettled' },
  },
  {
    name: 'start refused: revision name taken',
    observed: { ...steady(), revisions: [revision(OLD, oldSpec), revision(NEW, newSpec)] },
    desired,
    nowMs: T0,
    expect: { kind: 'refused', reason: 'revisionNameTaken' },
  },
  {
    name: 'a record wins over a new wish (resume, not restart)',
    observed: creating('pending'),
    desired: { ...desired, toTier: TIERS.gpu, revisionName: 'gpt2-gpu-x' },
    nowMs: T0 + 5_000,
    expect: { kind: 'wait', reason: 'waitingForNewRevision' },
  },
  {
    name: 'creating: revision not created yet',
    observed: creating('absent'),
    nowMs: T0 + 1_000,
    expect: { kind: 'wait', reason: 'waitingForNewRevision' },
  },
  {
    name: 'creating: pending pod, message says why',
    observed: creating('pending'),
    nowMs: T0 + 1_000,
    expect: {
      kind: 'wait',
      reason: 'waitingForNewRevision',
      messageContains: 'Insufficient nvidia.com/mig-2g.20gb',
    },
  },
  {
    name: 'creating: ready -> all traffic at once, draining',
    observed: creating('ready'),
    nowMs: T0 + 9_000,
    expect: {
      kind: 'patchService',
      reason: 'trafficShifted',
      nextPhase: 'draining',
      traffic: [{ revisionName: NEW, percent: 100 }],
    },
  },
  {
    name: 'creating: ready -> first of several steps',
    observed: creating('ready', { trafficSteps: [25, 50, 100] }),
    nowMs: T0 + 9_000,
    expect: {
      kind: 'patchService',
      reason: 'trafficShifted',
      nextPhase: 'shifting',
      traffic: [
        { revisionName: OLD, percent: 75 },
        { revisionName: NEW, percent: 25 },
      ],
    },
  },
  {
    name: 'creating: new revision lacks the out/in bounds of the old one -> copy them first',
    observed: (() => {
      const o = creating('pending');
      const bounded = {
        ...o.revisions[0]!,
        metadata: {
          ...o.revisions[0]!.metadata,
          annotations: { 'autoscaling.knative.dev/min-scale': '3', 'autoscaling.knative.dev/max-scale': '3' },
        },
      };
      return { ...o, revisions: [bounded, ...o.revisions.slice(1)] };
    })(),
    nowMs: T0 + 1_000,
    expect: { kind: 'annotateRevision', reason: 'replicaBoundsCopied' },
  },
  {
    name: 'creating: deadline passed -> rollback, message names the unschedulable pod',
    observed: creating('pending'),
    nowMs: T0 + 120_000,
    expect: {
      kind: 'patchService',
      reason: 'readyTimeout',
      nextPhase: 'rollingBack',
      traffic: [{ revisionName: OLD, percent: 100 }],
      messageContains: 'Insufficient',
    },
  },
  {
    name: 'creating: revision failed for good -> rollback before the deadline',
    observed: creating('failed'),
    nowMs: T0 + 1_000,
    expect: { kind: 'patchService', reason: 'newRevisionFailed', nextPhase: 'rollingBack' },
  },
  {
    name: 'creating: template changed by someone else -> abandon, unpin',
    observed: (() => {
      const o = creating('absent');
      return {
        ...o,
        service: {
          ...o.service,
          spec: {
            ...o.service.spec,
            template: { ...o.service.spec.template, metadata: { name: 'gpt2-user' } },
          },
        },
      };
    })(),
    nowMs: T0 + 1_000,
    expect: {
      kind: 'patchService',
      reason: 'supersededByUser',
      nextPhase: 'abandoned',
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  },
  {
    name: 'creating: old revision gone and new one never came -> give up, traffic untouched',
    observed: { ...creating('pending'), revisions: [revision(NEW, newSpec, notReady)] },
    nowMs: T0 + 200_000,
    expect: { kind: 'patchService', reason: 'rollbackImpossible', nextPhase: 'abandoned' },
  },
  {
    name: 'shifting: pause not over',
    observed: shifting(0, 25),
    nowMs: T0 + 20_000,
    expect: { kind: 'wait', reason: 'stepPause' },
  },
  {
    name: 'shifting: pause over -> next step',
    observed: shifting(0, 25),
    nowMs: T0 + 30_000,
    expect: {
      kind: 'patchService',
      reason: 'trafficShifted',
      nextPhase: 'shifting',
      traffic: [
        { revisionName: OLD, percent: 50 },
        { revisionName: NEW, percent: 50 },
      ],
    },
  },
  {
    name: 'shifting: last step -> 100% and draining',
    observed: shifting(1, 50),
    nowMs: T0 + 30_000,
    sloHealthy: true,
    expect: {
      kind: 'patchService',
      reason: 'trafficShifted',
      nextPhase: 'draining',
      traffic: [{ revisionName: NEW, percent: 100 }],
    },
  },
  {
    name: 'shifting: SLO check failed -> rollback',
    observed: shifting(0, 25),
    nowMs: T0 + 30_000,
    sloHealthy: false,
    expect: {
      kind: 'patchService',
      reason: 'sloCheckFailed',
      nextPhase: 'rollingBack',
      traffic: [{ revisionName: OLD, percent: 100 }],
    },
  },
  {
    name: 'shifting: new revision lost readiness -> rollback',
    observed: shifting(0, 25, false),
    nowMs: T0 + 30_000,
    expect: {
      kind: 'patchService',
      reason: 'newRevisionNotReady',
      nextPhase: 'rollingBack',
      traffic: [{ revisionName: OLD, percent: 100 }],
    },
  },
  {
    name: 'draining: drain not over',
    observed: draining(true),
    nowMs: T0 + 20_000,
    expect: { kind: 'wait', reason: 'draining' },
  },
  {
    name: 'draining: route still on old',
    observed: draining(true, 10),
    nowMs: T0 + 50_000,
    expect: { kind: 'wait', reason: 'routeNotUpdated' },
  },
  {
    name: 'draining: over -> delete old',
    observed: draining(true),
    nowMs: T0 + 50_000,
    expect: { kind: 'deleteRevision', reason: 'oldRevisionDrained', deletes: OLD },
  },
  {
    name: 'draining: old gone -> finish, follow latest again',
    observed: draining(false),
    nowMs: T0 + 50_000,
    expect: {
      kind: 'patchService',
      reason: 'migrationCompleted',
      nextPhase: 'finished',
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  },
  {
    name: 'draining: old gone, traffic was pinned before -> finish pinned to new',
    observed: draining(false, 0, { restoreLatestRevision: false }),
    nowMs: T0 + 50_000,
    expect: {
      kind: 'patchService',
      reason: 'migrationCompleted',
      nextPhase: 'finished',
      traffic: [{ revisionName: NEW, percent: 100 }],
    },
  },
  {
    name: 'rollingBack: route still on new',
    observed: rollingBack(true, 100),
    nowMs: T0 + 131_000,
    expect: { kind: 'wait', reason: 'routeNotUpdated' },
  },
  {
    name: 'rollingBack: delete the failed revision',
    observed: rollingBack(true),
    nowMs: T0 + 131_000,
    expect: { kind: 'deleteRevision', reason: 'failedRevisionDeleted', deletes: NEW },
  },
  {
    name: 'rollingBack: wait for Knative to name the old one latest',
    observed: rollingBack(false, 0, NEW),
    nowMs: T0 + 131_000,
    expect: { kind: 'wait', reason: 'configurationNotUpdated' },
  },
  {
    name: 'rollingBack: done -> record removed, backoff written',
    observed: rollingBack(false),
    nowMs: T0 + 132_000,
    expect: {
      kind: 'patchService',
      reason: 'readyTimeout',
      nextPhase: 'rolledBack',
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  },
  {
    name: 'rollingBack: someone re-pinned traffic -> re-assert the rollback',
    observed: (() => {
      const o = rollingBack(true);
      return {
        ...o,
        service: {
          ...o.service,
          spec: { ...o.service.spec, traffic: [{ revisionName: NEW, percent: 100 }] },
        },
      };
    })(),
    nowMs: T0 + 131_000,
    expect: {
      kind: 'patchService',
      reason: 'readyTimeout',
      nextPhase: 'rollingBack',
      traffic: [{ revisionName: OLD, percent: 100 }],
    },
  },
  {
    name: 'corrupt record -> dropped with a warning',
    observed: {
      ...steady(),
      service: {
        ...steady().service,
        metadata: {
          ...steady().service.metadata,
          annotations: { [MIGRATION_ANNOTATION]: '{"phase":"flying"}' },
        },
      },
    },
    nowMs: T0,
    expect: { kind: 'patchService', reason: 'invalidAnnotation', nextPhase: 'abandoned' },
  },
];

/** Invariants every planned step keeps: traffic sums to 100 and never names a revision that is not ready. */
function checkInvariants(observed: ObservedKnative, step: MigrationStep): void {
  if (step.kind !== 'patchService') return;
  const traffic = step.patch.spec?.traffic;
  expect(step.patch.metadata.resourceVersion).toBe(observed.service.metadata.resourceVersion);
  if (traffic === undefined) return;
  expect(trafficSum(traffic)).toBe(100);
  for (const target of traffic) {
    if (target.revisionName === undefined) continue;
    const rev = observed.revisions.find((r) => r.metadata.name === target.revisionName);
    expect({ revision: target.revisionName, ready: isRevisionReady(rev) }).toEqual({
      revision: target.revisionName,
      ready: true,
    });
  }
}

describe('planMigration', () => {
  it.each(cases)('$name', (c) => {
    const step = planMigration(
      c.observed,
      c.desired,
      SETTINGS,
      c.nowMs,
      c.sloHealthy === undefined ? {} : { sloHealthy: c.sloHealthy },
    );
    expect({ kind: step.kind, reason: step.reason }).toEqual({
      kind: c.expect.kind,
      reason: c.expect.reason,
    });
    if (c.expect.nextPhase !== undefined && step.kind === 'patchService')
      expect(step.nextPhase).toBe(c.expect.nextPhase);
    if (c.expect.deletes !== undefined && step.kind === 'deleteRevision')
      expect(step.revisionName).toBe(c.expect.deletes);
    if (c.expect.traffic !== undefined && step.kind === 'patchService')
      expect(step.patch.spec?.traffic).toEqual(c.expect.traffic);
    if (c.expect.messageContains !== undefined) expect(step.message).toContain(c.expect.messageContains);
    checkInvariants(c.observed, step);
    // Crash before the step was carried out: planning again from the same observation gives the same step.
    expect(
      planMigration(
        c.observed,
        c.desired,
        SETTINGS,
        c.nowMs,
        c.sloHealthy === undefined ? {} : { sloHealthy: c.sloHealthy },
      ),
    ).toEqual(step);
  });

  it('start patch: new template on the GPU container only, everything else kept, record says creating', () => {
    const step = planMigration(steady(), desired, SETTINGS, T0);
    if (step.kind !== 'patchService') throw new Error(`expected a patch, got ${step.kind}`);
    const template = step.patch.spec?.template;
    expect(template?.metadata?.name).toBe(NEW);
    expect(template?.metadata?.annotations).toEqual({ 'autoscaling.knative.dev/target': '10' });
    expect(template?.spec.containers[1]).toEqual(steady().service.spec.template.spec.containers[1]);
    expect(template?.spec.containers[0]?.resources).toEqual({
      requests: { cpu: '1', memory: '10Gi', 'nvidia.com/mig-2g.20gb': '1' },
      limits: { memory: '10Gi', 'nvidia.com/mig-2g.20gb': '1' },
    });
    expect(template?.spec.timeoutSeconds).toBe(300);
    expect(tierOfSpec(template?.spec ?? { containers: [] }, CATALOG)?.name).toBe('mig-2g.20gb');
    const rec = readMigrationRecord(step.patch.metadata.annotations?.[MIGRATION_ANNOTATION] ?? undefined);
    expect(rec.ok && rec.value).toMatchObject({
      phase: 'creating',
      fromRevision: OLD,
      toRevision: NEW,
      deadlineMs: T0 + 120_000,
      restoreLatestRevision: true,
    });
  });

  it('rollback patch reverts the template to the old revision by name and spec', () => {
    const step = planMigration(creating('pending'), undefined, SETTINGS, T0 + 120_000);
    if (step.kind !== 'patchService') throw new Error(`expected a patch, got ${step.kind}`);
    expect(step.patch.spec?.template?.metadata?.name).toBe(OLD);
    expect(step.patch.spec?.template?.spec).toEqual(oldSpec);
    expect(step.event.type).toBe('Warning');
  });

  it('finished rollback marks the tier unavailable for tierBackoffSeconds', () => {
    const step = planMigration(rollingBack(false), undefined, SETTINGS, T0 + 132_000);
    if (step.kind !== 'patchService') throw new Error(`expected a patch, got ${step.kind}`);
    const state = readPersistedState(step.patch.metadata.annotations?.[STATE_ANNOTATION] ?? undefined).state;
    expect(state.tierBackoffUntilMs).toEqual({ 'mig-2g.20gb': T0 + 132_000 + 300_000 });
    expect(step.patch.metadata.annotations?.[MIGRATION_ANNOTATION]).toBeNull();
  });

  it('walks start -> creating -> steps -> draining -> finished, every intermediate state resumable', () => {
    const settings = { ...SETTINGS, trafficSteps: [25, 50, 100] };
    let observed = steady();
    let now = T0;
    const phases: string[] = [];
    const patchAndRecord = (step: MigrationStep) => {
      checkInvariants(observed, step);
      if (step.kind === 'patchService') {
        observed = applyPatch(observed, step.patch);
        phases.push(step.nextPhase);
      }
    };
    patchAndRecord(planMigration(observed, desired, settings, now));
    // Knative creates the revision and it becomes ready.
    observed = { ...observed, revisions: [...observed.revisions, revision(NEW, newSpec)] };
    for (let i = 0; i < 12; i += 1) {
      now += 25_000;
      const step = planMigration(observed, undefined, settings, now);
      if (step.kind === 'deleteRevision') {
        observed = {
          ...observed,
          revisions: observed.revisions.filter((r) => r.metadata.name !== step.revisionName),
        };
        phases.push(`delete ${step.revisionName}`);
        continue;
      }
      if (step.kind === 'wait') {
        // The route catches up with spec.traffic.
        observed = {
          ...observed,
          service: {
            ...observed.service,
            status: {
              ...observed.service.status,
              traffic: observed.service.spec.traffic?.map((t) =>
                t.latestRevision ? { ...t, revisionName: NEW } : t,
              ),
              latestReadyRevisionName: NEW,
            },
          },
        };
        continue;
      }
      if (step.kind === 'idle') break;
      patchAndRecord(step);
      observed = {
        ...observed,
        service: {
          ...observed.service,
          status: {
            ...observed.service.status,
            traffic: observed.service.spec.traffic,
            latestReadyRevisionName: NEW,
          },
        },
      };
    }
    expect(phases).toEqual(['creating', 'shifting', 'shifting', 'draining', `delete ${OLD}`, 'finished']);
    expect(observed.service.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
    expect(observed.service.metadata.annotations?.[MIGRATION_ANNOTATION]).toBeUndefined();
  });
});
