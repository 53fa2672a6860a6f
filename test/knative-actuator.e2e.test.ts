import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { DEFAULT_SIZING_SETTINGS } from '../autoscaler/index.js';
import type {
  ActDecision,
  ActuationResult,
  ObservedService,
  ServiceActuator,
  ServiceConfig,
} from '../autoscaler/index.js';
import {
  createKnativeActuator,
  readPersistedState,
  STATE_ANNOTATION,
  MIGRATION_ANNOTATION,
} from '../knative/index.js';
import {
  createService,
  getService,
  gpuResourcesOf,
  gpuServiceManifest,
  listRevisions,
  serviceEvents,
  waitForFreeUnits,
  waitServiceReady,
  watchInvariants,
} from '../local-cluster/knative-e2e-support.js';
import { createTestNamespace, deleteNamespace, eventually, kubeConfig } from './cluster-state.js';

// The Knative actuator driven directly against the local cluster's real Knative Serving (webhook, controller,
// autoscaler; kwok as kubelet; topology.yaml has exactly one mig-2g.20gb and one mig-3g.40gb on gpu-mig-a and
// no mig-7g.80gb at all). The control loop is not involved here (see knative-controller.e2e.test.ts).

const TEST_TIMEOUT_MS = 300_000;
const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

function config(
  service: string,
  overrides: Partial<ServiceConfig['settings']['migration']> = {},
): ServiceConfig {
  return {
    service,
    metrics: [],
    settings: {
      policy: 'step',
      ladder: ['mig-1g.10gb', 'mig-2g.20gb', 'mig-3g.40gb', 'mig-4g.40gb', 'mig-7g.80gb'],
      minReplicas: 1,
      maxReplicas: 4,
      scaleUpStabilizationSeconds: 0,
      scaleDownStabilizationSeconds: 0,
      cooldownSeconds: 0,
      sizing: DEFAULT_SIZING_SETTINGS,
      dryRun: false,
      migration: {
        readyTimeoutSeconds: 60,
        drainSeconds: 2,
        trafficSteps: [100],
        stepPauseSeconds: 1,
        tierBackoffSeconds: 120,
        ...overrides,
      },
    },
  };
}

async function observed(
  actuator: ServiceActuator,
  namespace: string,
  name: string,
): Promise<ObservedService> {
  const found = (await actuator.list(namespace)).find((s) => s.name === name);
  if (found === undefined) throw new Error(`${namespace}/${name} not listed`);
  return found;
}

/** Acts once, then resumes every 500 ms until the actuator reports done or failed. */
async function drive(
  actuator: ServiceActuator,
  namespace: string,
  name: string,
  decision: ActDecision,
  cfg: ServiceConfig,
  timeoutMs = 150_000,
): Promise<{ result: ActuationResult; results: ActuationResult[] }> {
  const results: ActuationResult[] = [
    await actuator.act(await observed(actuator, namespace, name), decision, cfg),
  ];
  const deadline = Date.now() + timeoutMs;
  while (results[results.length - 1]?.outcome === 'inProgress' && Date.now() < deadline) {
    await clock.sleep(500);
    results.push(await actuator.resume(await observed(actuator, namespace, name), cfg));
  }
  const result = results[results.length - 1];
  if (result === undefined) throw new Error('no result');
  return { result, results };
}

describe('Knative actuator on real Knative Serving', () => {
  const kc = kubeConfig();
  const actuator = createKnativeActuator(kc, { catalog: DEFAULT_CATALOG, clock, component: 'k-siss-e2e' });
  let namespace = '';

  beforeAll(async () => {
    namespace = await createTestNamespace('kn-act');
  });
  afterAll(async () => {
    await deleteNamespace(namespace);
  }, TEST_TIMEOUT_MS);

  it(
    'lists a Knative Service with its serving revision, tier and Ready pods',
    async () => {
      await createService(kc, gpuServiceManifest('lister', namespace, 'nvidia.com/mig-1g.10gb'));
      const svc = await waitServiceReady(kc, namespace, 'lister');
      const seen = await eventually('lister has a Ready pod', async () => {
        const o = await observed(actuator, namespace, 'lister');
        return o.readyPods.length > 0 ? o : undefined;
      });
      expect(seen).toMatchObject({
        servingRevision: svc.status?.latestReadyRevisionName,
        tier: 'mig-1g.10gb',
        readyReplicas: 1,
        migrationInFlight: false,
        state: { recommendations: [] },
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'migrates mig-1g.10gb -> mig-2g.20gb make-before-break: new revision serves 100%, old deleted, events recorded',
    async () => {
      const name = 'ramp';
      await waitForFreeUnits(kc, 'nvidia.com/mig-2g.20gb');
      await createService(kc, gpuServiceManifest(name, namespace, 'nvidia.com/mig-1g.10gb'));
      const before = await waitServiceReady(kc, namespace, name);
      const oldRevision = before.status?.latestReadyRevisionName;
      const watch = watchInvariants(kc, namespace, name);
      const started = Date.now();
      const { result, results } = await drive(
        actuator,
        namespace,
        name,
        {
          action: 'up',
          targetTier: 'mig-2g.20gb',
          reason: 'sloPressure',
          message: 'e2e: time per token above the SLO',
        },
        config(name),
      );
      const migrationSeconds = (Date.now() - started) / 1000;
      const invariants = await watch.stop();
      process.stdout.write(
        `[knative-actuator] migration mig-1g.10gb -> mig-2g.20gb took ${migrationSeconds.toFixed(1)} s (${results.length} actuator calls, ${invariants.observations} observations)\n`,
      );

      expect(result).toMatchObject({ outcome: 'done', reason: 'migrationCompleted' });
      expect(invariants.violations).toEqual([]);
      const after = await getService(kc, namespace, name);
      const revisions = await listRevisions(kc, namespace, name);
      expect(revisions.map((r) => r.metadata.name)).toEqual([after.status?.latestReadyRevisionName]);
      expect(revisions[0]?.metadata.name).not.toBe(oldRevision);
      expect(revisions[0]?.metadata.name.startsWith(`${name}-mig-2g-20gb-`)).toBe(true);
      expect(gpuResourcesOf(revisions[0] ?? { spec: { containers: [] } })).toEqual([
        'nvidia.com/mig-2g.20gb',
      ]);
      expect(after.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
      expect(after.status?.traffic?.map((t) => [t.revisionName, t.percent])).toEqual([
        [revisions[0]?.metadata.name, 100],
      ]);
      expect(after.metadata.annotations?.[MIGRATION_ANNOTATION]).toBeUndefined();
      const reasons = (await serviceEvents(kc, namespace, name)).map((e) => e.reason);
      expect(reasons).toEqual(
        expect.arrayContaining([
          'DecisionUp',
          'TierMigrationStarted',
          'TierMigrationTrafficShifted',
          'TierMigrationOldRevisionDeleted',
          'TierMigrationCompleted',
        ]),
      );
      expect((await observed(actuator, namespace, name)).tier).toBe('mig-2g.20gb');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'rolls back when the new tier has no free slice: traffic stays on the old revision, failed revision deleted, tier backed off',
    async () => {
      const name = 'nocap';
      await createService(kc, gpuServiceManifest(name, namespace, 'nvidia.com/mig-1g.10gb'));
      const before = await waitServiceReady(kc, namespace, name);
      const oldRevision = before.status?.latestReadyRevisionName;
      const watch = watchInvariants(kc, namespace, name);
      const { result } = await drive(
        actuator,
        namespace,
        name,
        {
          action: 'up',
          targetTier: 'mig-7g.80gb',
          reason: 'sloPressure',
          message: 'e2e: no mig-7g.80gb exists in the topology',
        },
        config(name, { readyTimeoutSeconds: 15 }),
      );
      const invariants = await watch.stop();

      expect(result).toMatchObject({ outcome: 'failed', reason: 'readyTimeout', errorClass: 'transient' });
      expect(invariants.violations).toEqual([]);
      const after = await getService(kc, namespace, name);
      expect((await listRevisions(kc, namespace, name)).map((r) => r.metadata.name)).toEqual([oldRevision]);
      expect(after.spec.template.metadata?.name).toBe(oldRevision);
      expect(after.status?.latestCreatedRevisionName).toBe(oldRevision);
      expect(after.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
      const state = readPersistedState(after.metadata.annotations?.[STATE_ANNOTATION]).state;
      expect(Object.keys(state.tierBackoffUntilMs ?? {})).toEqual(['mig-7g.80gb']);
      const warnings = (await serviceEvents(kc, namespace, name)).filter((e) => e.type === 'Warning');
      expect(warnings.map((e) => e.reason)).toEqual(
        expect.arrayContaining(['TierMigrationRollingBack', 'TierMigrationRolledBack']),
      );
      expect(warnings.some((e) => e.message.includes('Insufficient nvidia.com/mig-7g.80gb'))).toBe(true);
      // While backed off, the tier is refused at once.
      const again = await actuator.act(
        await observed(actuator, namespace, name),
        {
          action: 'up',
          targetTier: 'mig-7g.80gb',
          reason: 'sloPressure',
          message: 'e2e: again',
        },
        config(name),
      );
      expect(again).toMatchObject({ outcome: 'failed', reason: 'tierBackoff' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'scales out and in through the revision scale bounds, without a new revision',
    async () => {
      const name = 'outin';
      await createService(
        kc,
        gpuServiceManifest(name, namespace, 'nvidia.com/gpu.shared', {
          extraEnv: { CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '25' },
        }),
      );
      const before = await waitServiceReady(kc, namespace, name);
      const out = await actuator.act(
        await observed(actuator, namespace, name),
        { action: 'out', targetReplicas: 3, reason: 'sloPressure', message: 'e2e: out' },
        config(name),
      );
      expect(out).toMatchObject({ outcome: 'done', reason: 'scaled' });
      await eventually(
        '3 Ready pods',
        async () => ((await observed(actuator, namespace, name)).readyReplicas === 3 ? true : undefined),
        90_000,
      );
      const inResult = await actuator.act(
        await observed(actuator, namespace, name),
        { action: 'in', targetReplicas: 1, reason: 'slack', message: 'e2e: in' },
        config(name),
      );
      expect(inResult).toMatchObject({ outcome: 'done' });
      await eventually(
        '1 Ready pod',
        async () => ((await observed(actuator, namespace, name)).readyReplicas === 1 ? true : undefined),
        90_000,
      );
      const revisions = await listRevisions(kc, namespace, name);
      expect(revisions.map((r) => r.metadata.name)).toEqual([before.status?.latestReadyRevisionName]);
      expect((await getService(kc, namespace, name)).metadata.generation).toBe(before.metadata.generation);
      expect((await observed(actuator, namespace, name)).tier).toBe('gpu.shared');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'resumes a migration from the record alone: a fresh actuator at every step finishes it',
    async () => {
      const name = 'resume';
      await waitForFreeUnits(kc, 'nvidia.com/mig-3g.40gb');
      await createService(kc, gpuServiceManifest(name, namespace, 'nvidia.com/mig-1g.10gb'));
      await waitServiceReady(kc, namespace, name);
      const watch = watchInvariants(kc, namespace, name);
      const cfg = config(name, { trafficSteps: [30, 100], stepPauseSeconds: 1 });
      const first = await actuator.act(
        await observed(actuator, namespace, name),
        { action: 'up', targetTier: 'mig-3g.40gb', reason: 'sloPressure', message: 'e2e' },
        cfg,
      );
      expect(first.outcome).toBe('inProgress');
      const phases = new Set<string>();
      let last: ActuationResult = first;
      const deadline = Date.now() + 150_000;
      while (last.outcome === 'inProgress' && Date.now() < deadline) {
        const svc = await getService(kc, namespace, name);
        const raw = svc.metadata.annotations?.[MIGRATION_ANNOTATION];
        if (raw !== undefined) phases.add((JSON.parse(raw) as { phase: string }).phase);
        // A new actuator each time: nothing survives but what the API server holds ("crash" between steps).
        const fresh = createKnativeActuator(kc, { catalog: DEFAULT_CATALOG, clock });
        last = await fresh.resume(await observed(fresh, namespace, name), cfg);
        await clock.sleep(300);
      }
      const invariants = await watch.stop();
      expect(last).toMatchObject({ outcome: 'done' });
      expect([...phases].sort()).toEqual(expect.arrayContaining(['creating', 'draining']));
      expect(invariants.violations).toEqual([]);
      expect((await listRevisions(kc, namespace, name)).length).toBe(1);
      expect((await observed(actuator, namespace, name)).tier).toBe('mig-3g.40gb');
    },
    TEST_TIMEOUT_MS,
  );
});
