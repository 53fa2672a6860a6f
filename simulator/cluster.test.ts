import type { MigrationSettings } from '../autoscaler/index.js';
import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import {
  MIGRATION_ANNOTATION,
  isRevisionReady,
  readMigrationRecord,
  trafficSum,
  type KnativeRevision,
} from '../knative/index.js';
import { DEFAULT_MODEL, type InferenceRequest } from '../service-model/index.js';
import { DEFAULT_TIMINGS, SimCluster, type FailedRequest } from './cluster.js';
import type { MigrationStyle } from './policy.js';
import { seededRandom } from './simulate.js';
import { DEFAULT_SIM_TOPOLOGY, type SimTopology } from './topology.js';

const STEPPED: MigrationSettings = {
  readyTimeoutSeconds: 300,
  drainSeconds: 30,
  trafficSteps: [25, 50, 100],
  stepPauseSeconds: 30,
  tierBackoffSeconds: 600,
};

/** Only 1g slices: a migration to 2g can never become Ready. */
const ONLY_1G: SimTopology = { nodes: [{ name: 'gpu-mig-1g', resources: { 'nvidia.com/mig-1g.10gb': 7 } }] };

interface Tick {
  readonly atMs: number;
  readonly phase: string | undefined;
  readonly specSum: number;
  readonly statusSum: number;
  /** Revisions the route sends traffic to, and whether each was Ready. */
  readonly routed: readonly { name: string; percent: number; ready: boolean }[];
  readonly servingTier: string;
}

function newCluster(style: MigrationStyle, topology: SimTopology = DEFAULT_SIM_TOPOLOGY) {
  const failed: FailedRequest[] = [];
  let served = 0;
  const cluster = new SimCluster(
    topology,
    DEFAULT_CATALOG,
    DEFAULT_MODEL,
    DEFAULT_TIMINGS,
    seededRandom(3),
    {
      served() {
        served += 1;
      },
      failed(f) {
        failed.push(f);
      },
    },
    {
      initial: { tier: 'mig-1g.10gb', replicas: 2 },
      migrationStyle: style,
      ...(style === 'planned' ? { migration: STEPPED } : {}),
    },
  );
  return { cluster, failed, served: () => served };
}

function snapshot(cluster: SimCluster, atMs: number): Tick {
  const { service, revisions } = cluster.knative;
  const record = readMigrationRecord(service.metadata.annotations?.[MIGRATION_ANNOTATION]);
  const byName = new Map<string, KnativeRevision>(revisions.map((r) => [r.metadata.name, r]));
  return {
    atMs,
    phase: record.ok ? record.value?.phase : 'invalid',
    specSum: trafficSum(service.spec.traffic ?? []),
    statusSum: trafficSum(service.status?.traffic ?? []),
    routed: (service.status?.traffic ?? []).map((t) => ({
      name: t.revisionName ?? '',
      percent: t.percent ?? 0,
      ready: isRevisionReady(byName.get(t.revisionName ?? '')),
    })),
    servingTier: cluster.servingTier,
  };
}

/** Runs the cluster second by second (a request per second), resuming on 15 s control ticks, until `endMs`. */
function run(cluster: SimCluster, fromMs: number, endMs: number, resumeEveryMs = 15_000): Tick[] {
  const ticks: Tick[] = [];
  for (let t = fromMs; t <= endMs; t += 1000) {
    const request: InferenceRequest = { id: t, arrivalMs: t, promptTokens: 500, outputTokens: 100 };
    cluster.advance(t);
    cluster.route(request);
    cluster.tick(t);
    if (t % resumeEveryMs === 0) cluster.resumeMigration(t);
    ticks.push(snapshot(cluster, t));
  }
  return ticks;
}

/** Consecutive distinct values. */
function runs<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

describe('SimCluster tier migrations go through the knative planner', () => {
  it('a stepped migration passes the planner phases in order, traffic always summing to 100', () => {
    const { cluster, failed } = newCluster('planned');
    const fromRevision = cluster.knative.revisions[0]?.metadata.name;
    expect(cluster.migrate('mig-2g.20gb', 2, 15_000, 'test')).toBe(true);
    const ticks = [snapshot(cluster, 15_000), ...run(cluster, 16_000, 20 * 60_000)];

    expect(cluster.plannedSteps.map((s) => [s.kind, s.reason, s.nextPhase])).toEqual([
      ['patchService', 'migrationStarted', 'creating'],
      ['annotateRevision', 'replicaBoundsCopied', undefined],
      ['patchService', 'trafficShifted', 'shifting'],
      ['patchService', 'trafficShifted', 'shifting'],
      ['patchService', 'trafficShifted', 'draining'],
      ['deleteRevision', 'oldRevisionDrained', undefined],
      ['patchService', 'migrationCompleted', 'finished'],
    ]);
    expect(runs(ticks.map((t) => t.phase))).toEqual(['creating', 'shifting', 'draining', undefined]);
    for (const tick of ticks) {
      expect([tick.atMs, tick.specSum, tick.statusSum]).toEqual([tick.atMs, 100, 100]);
      // The route never names a revision that is not Ready.
      expect(tick.routed.filter((r) => !r.ready)).toEqual([]);
    }
    // The new revision gets 25%, then 50%, then all of the traffic; the old one is gone at the end.
    const toNew = runs(ticks.map((t) => t.routed.find((r) => r.name !== fromRevision)?.percent ?? 0));
    expect(toNew).toEqual([0, 25, 50, 100]);
    const shiftedAt = (p: number) =>
      ticks.find((t) => t.routed.some((r) => r.percent === p && r.name !== fromRevision))?.atMs ?? 0;
    expect(shiftedAt(50) - shiftedAt(25)).toBeGreaterThanOrEqual(STEPPED.stepPauseSeconds * 1000);
    const deleted = cluster.plannedSteps.find((s) => s.reason === 'oldRevisionDrained');
    expect((deleted?.atMs ?? 0) - shiftedAt(100)).toBeGreaterThanOrEqual(STEPPED.drainSeconds * 1000);
    expect(cluster.knative.revisions.map((r) => r.metadata.name)).not.toContain(fromRevision);
    expect(cluster.servingTier).toBe('mig-2g.20gb');
    expect(cluster.desiredReplicas).toBe(2);
    expect(cluster.knative.service.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
    expect(cluster.actions).toEqual([
      expect.objectContaining({
        kind: 'migrate',
        fromTier: 'mig-1g.10gb',
        toTier: 'mig-2g.20gb',
        toReplicas: 2,
      }),
    ]);
    expect(failed.filter((f) => f.reason === 'cut')).toEqual([]);
  });

  it('rolls back when the next tier has no capacity: traffic stays on the old revision, the tier backs off', () => {
    const { cluster, failed } = newCluster('planned', ONLY_1G);
    const fromRevision = cluster.knative.revisions[0]?.metadata.name ?? '';
    expect(cluster.migrate('mig-2g.20gb', 2, 15_000, 'test')).toBe(true);
    const ticks = run(cluster, 16_000, 10 * 60_000);

    expect(cluster.plannedSteps.map((s) => [s.reason, s.nextPhase])).toEqual([
      ['migrationStarted', 'creating'],
      ['replicaBoundsCopied', undefined],
      ['readyTimeout', 'rollingBack'],
      ['failedRevisionDeleted', undefined],
      ['readyTimeout', 'rolledBack'],
    ]);
    const rolledBack = cluster.plannedSteps.find((s) => s.nextPhase === 'rolledBack')?.atMs ?? 0;
    expect(rolledBack - 15_000).toBeGreaterThanOrEqual(STEPPED.readyTimeoutSeconds * 1000);
    for (const tick of ticks) {
      expect([tick.atMs, tick.specSum, tick.statusSum]).toEqual([tick.atMs, 100, 100]);
      expect(tick.routed).toEqual([{ name: fromRevision, percent: 100, ready: true }]);
      expect(tick.servingTier).toBe('mig-1g.10gb');
    }
    expect(cluster.migrationInFlight).toBe(false);
    expect(cluster.knative.revisions.map((r) => r.metadata.name)).toEqual([fromRevision]);
    expect(cluster.tierBackoffUntilMs['mig-2g.20gb']).toBe(rolledBack + STEPPED.tierBackoffSeconds * 1000);
    // The planner refuses the tier while it backs off.
    expect(cluster.migrate('mig-2g.20gb', 2, rolledBack + 60_000, 'again')).toBe(false);
    expect(cluster.plannedSteps.at(-1)?.reason).toBe('tierBackoff');
    expect(cluster.desiredReplicas).toBe(2);
    expect(failed.filter((f) => f.reason === 'cut')).toEqual([]);
  });

  it.each([
    {
      name: 'original: all at once when Ready, the old revision deleted in the same tick',
      style: 'original' as const,
      resumeEveryMs: 1000,
    },
    {
      name: 'instant: done within the tick, sized by the caller',
      style: 'instant' as const,
      resumeEveryMs: 1000,
    },
  ])('$name', ({ style, resumeEveryMs }) => {
    const { cluster } = newCluster(style);
    run(cluster, 1000, 14_000, resumeEveryMs);
    expect(cluster.migrate('mig-3g.40gb', 3, 15_000, 'test')).toBe(true);
    if (style === 'instant') {
      expect(cluster.migrationInFlight).toBe(false);
      expect(cluster.desiredReplicas).toBe(3);
    }
    const ticks = run(cluster, 16_000, 5 * 60_000, resumeEveryMs);
    for (const tick of ticks) expect([tick.atMs, tick.statusSum]).toEqual([tick.atMs, 100]);
    expect(cluster.plannedSteps.map((s) => s.reason)).toEqual([
      'migrationStarted',
      ...(style === 'instant' ? [] : ['replicaBoundsCopied']),
      'trafficShifted',
      'oldRevisionDrained',
      'migrationCompleted',
    ]);
    // All at once: the steps after the start happen in one tick.
    const after = cluster.plannedSteps.filter(
      (s) => s.reason !== 'migrationStarted' && s.reason !== 'replicaBoundsCopied',
    );
    expect(new Set(after.map((s) => s.atMs)).size).toBe(1);
    expect(cluster.servingTier).toBe('mig-3g.40gb');
  });
});
