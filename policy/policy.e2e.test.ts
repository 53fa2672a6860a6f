import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type CoreV1Event,
} from '@kubernetes/client-node';
import { jest } from '@jest/globals';
import { SYSTEM_CLOCK } from '../local-cluster/index.js';
import { createPrometheusMetricsSource } from '../prometheus/index.js';
import {
  clearLoad,
  clusterState,
  createTestNamespace,
  deleteNamespace,
  eventually,
  kubeConfig,
  setLoad,
  startPrometheus,
  stopPrometheus,
  emulatedPodTemplate,
} from '../test/cluster-state.js';
import type { PolicyReconcileRecord, PolicyStatus } from './index.js';
import {
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  installPolicyCrd,
  runPolicyController,
} from './index.js';

/**
 * The policy controller against the real local cluster: kube-apiserver + controller-manager (the real
 * Deployment/StatefulSet controllers), kwok nodes, Prometheus scraping the emulated inference pods.
 * Load is set through the emulator; every wait polls with a deadline, no timing is asserted.
 */

// The project-level testTimeout of jest.config.js is not applied per project; each case waits with deadlines.
jest.setTimeout(900_000);

const WAIT_MS = 240_000;

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const autoscaling = kc.makeApiClient(AutoscalingV2Api);

let namespace = '';
const records: PolicyReconcileRecord[] = [];
let stopController: (() => Promise<void>) | undefined;

function startController(): () => Promise<void> {
  const abort = new AbortController();
  const done = runPolicyController({
    kubeConfig: kc,
    metricsSource: createPrometheusMetricsSource({
      url: clusterState().prometheusUrl,
      timeoutMs: 3000,
      maxConcurrentQueries: 4,
    }),
    signal: abort.signal,
    namespaces: [namespace],
    intervalSeconds: 2,
    clock: SYSTEM_CLOCK,
    logger: {
      info: () => undefined,
      warn: (message, meta) => process.stderr.write(`${message} ${JSON.stringify(meta)}\n`),
    },
    onReconciled: (record) => records.push(record),
  });
  return async () => {
    abort.abort();
    await done;
  };
}

async function createDeployment(name: string, replicas: number): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: emulatedPodTemplate(name) },
    },
  });
}

async function createStatefulSet(name: string, replicas: number): Promise<void> {
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        serviceName: name,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: name } },
        template: emulatedPodTemplate(name),
      },
    },
  });
}

async function createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: POLICY_GROUP,
    version: POLICY_VERSION,
    namespace,
    plural: POLICY_PLURAL,
    body: { apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind: POLICY_KIND, metadata: { name }, spec },
  });
}

async function deletePolicy(name: string): Promise<void> {
  await custom.deleteNamespacedCustomObject({
    group: POLICY_GROUP,
    version: POLICY_VERSION,
    namespace,
    plural: POLICY_PLURAL,
    name,
  });
}

async function policyStatus(name: string): Promise<PolicyStatus> {
  const object = (await custom.getNamespacedCustomObject({
    group: POLICY_GROUP,
    version: POLICY_VERSION,
    namespace,
    plural: POLICY_PLURAL,
    name,
  })) as { status?: PolicyStatus };
  return object.status ?? {};
}

async function replicas(kind: 'Deployment' | 'StatefulSet', name: string): Promise<number> {
  const scale =
    kind === 'Deployment'
      ? await apps.readNamespacedDeploymentScale({ namespace, name })
      : await apps.readNamespacedStatefulSetScale({ namespace, name });
  return scale.spec?.replicas ?? 0;
}

async function readyReplicas(kind: 'Deployment' | 'StatefulSet', name: string): Promise<number> {
  const object =
    kind === 'Deployment'
      ? await apps.readNamespacedDeployment({ namespace, name })
      : await apps.readNamespacedStatefulSet({ namespace, name });
  return object.status?.readyReplicas ?? 0;
}

async function policyEvents(policy: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${policy}` });
  return list.items;
}

const condition = (status: PolicyStatus, type: string) => status.conditions?.find((c) => c.type === type);

/** Waits until `count` more reconciles of `policy` have finished (instead of sleeping). */
async function reconciles(policy: string, count: number): Promise<PolicyReconcileRecord[]> {
  const start = records.length;
  return eventually(
    `${count} reconciles of ${policy}`,
    async () => {
      const seen = records.slice(start).filter((r) => r.name === policy);
      return seen.length >= count ? seen : undefined;
    },
    WAIT_MS,
  );
}

// Short windows so a test sees a scale-down: up 0 s, down 10 s, cooldown 5 s.
const fastSpec = (kind: 'Deployment' | 'StatefulSet', name: string, extra: Record<string, unknown> = {}) => ({
  targetRef: { apiVersion: 'apps/v1', kind, name },
  minReplicas: 1,
  maxReplicas: 3,
  cooldownPeriod: 5,
  metrics: { gpuUtilization: { enabled: true, targetPercentage: 40 } },
  algorithm: { name: 'MaxRatio', tolerance: 0.1 },
  scaleUp: { stabilizationWindowSeconds: 0 },
  scaleDown: { stabilizationWindowSeconds: 10 },
  ...extra,
});

const HIGH_LOAD = { kind: 'constant', requestsPerSecond: 40, promptTokens: 512, outputTokens: 256 };
const LOW_LOAD = { kind: 'constant', requestsPerSecond: 0.2, promptTokens: 128, outputTokens: 16 };

beforeAll(async () => {
  await installPolicyCrd(kc, {
    fieldManager: 'k-siss-tests',
    now: () => SYSTEM_CLOCK.now(),
    sleep: (ms) => SYSTEM_CLOCK.sleep(ms),
  });
  namespace = await createTestNamespace('policy-e2e');
  stopController = startController();
});

afterAll(async () => {
  await stopController?.();
  await deleteNamespace(namespace);
});

describe.each(['Deployment', 'StatefulSet'] as const)('a policy on a %s', (kind) => {
  const name = `llm-${kind.toLowerCase()}`;
  afterAll(async () => {
    await clearLoad(namespace, name);
  });

  it('scales up under load and back down after the scale-down window', async () => {
    if (kind === 'Deployment') await createDeployment(name, 1);
    else await createStatefulSet(name, 1);
    await eventually(
      `${kind} ${name} ready`,
      async () => ((await readyReplicas(kind, name)) >= 1 ? true : undefined),
      WAIT_MS,
    );
    await setLoad(namespace, name, HIGH_LOAD);
    await createPolicy(name, fastSpec(kind, name));

    await eventually(
      `${kind} ${name} scaled up`,
      async () => ((await replicas(kind, name)) >= 2 ? true : undefined),
      WAIT_MS,
    );
    const up = await policyStatus(name);
    expect(up.lastScaleReason).toMatch(/^MetricsAboveTarget: MaxRatio/);
    expect(up.currentMetrics?.gpuUtilizationPercentage).toBeGreaterThan(40);
    expect(condition(up, 'MetricsAvailable')?.status).toBe('True');
    const upEvents = await eventually('ScaledUp event', async () => {
      const events = (await policyEvents(name)).filter((e) => e.reason === 'ScaledUp');
      return events.length > 0 ? events : undefined;
    });
    expect(upEvents[0]?.type).toBe('Normal');

    const peak = await eventually(
      `${kind} ${name} pods ready`,
      async () => {
        const wanted = await replicas(kind, name);
        return (await readyReplicas(kind, name)) >= wanted ? wanted : undefined;
      },
      WAIT_MS,
    );
    await setLoad(namespace, name, LOW_LOAD);
    await eventually(
      `${kind} ${name} scaled down`,
      async () => ((await replicas(kind, name)) < peak ? true : undefined),
      WAIT_MS,
    );
    const down = await policyStatus(name);
    expect(down.lastScaleReason).toMatch(/^MetricsBelowTarget: /);
    expect((await policyEvents(name)).some((e) => e.reason === 'ScaledDown')).toBe(true);
    await deletePolicy(name);
  });
});

describe('a HorizontalPodAutoscaler on the same target', () => {
  const name = 'llm-hpa';
  it('is detected: condition and Warning event ConflictingAutoscaler, and no scaling', async () => {
    await createDeployment(name, 1);
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace,
      body: {
        metadata: { name },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
    });
    await eventually(
      `${name} ready`,
      async () => ((await readyReplicas('Deployment', name)) >= 1 ? true : undefined),
      WAIT_MS,
    );
    await setLoad(namespace, name, HIGH_LOAD);
    await createPolicy(name, fastSpec('Deployment', name));

    const status = await eventually(
      'ConflictingAutoscaler condition',
      async () => {
        const s = await policyStatus(name);
        return condition(s, 'Ready')?.reason === 'ConflictingAutoscaler' ? s : undefined;
      },
      WAIT_MS,
    );
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(`HorizontalPodAutoscaler ${namespace}/${name}`),
    });
    expect(condition(status, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'ConflictingAutoscaler',
    });
    const warnings = await eventually('ConflictingAutoscaler event', async () => {
      const events = (await policyEvents(name)).filter((e) => e.reason === 'ConflictingAutoscaler');
      return events.length > 0 ? events : undefined;
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.type).toBe('Warning');
    // Several more reconciles under high load: still no scaling by the policy.
    const seen = await reconciles(name, 3);
    expect(seen.every((r) => r.outcome.kind === 'conflictingAutoscaler')).toBe(true);
    // Nothing changed: no status write (deep compare), so no lastTransitionTime moves and no reconcile loop.
    expect(seen.filter((r) => r.statusWritten)).toEqual([]);
    expect(await replicas('Deployment', name)).toBe(1);
    expect((await policyEvents(name)).filter((e) => e.reason === 'ConflictingAutoscaler')).toHaveLength(1);
    await clearLoad(namespace, name);
    await deletePolicy(name);
  });
});

describe('Prometheus stopped mid-test', () => {
  const name = 'llm-noprom';
  it('holds the replicas and sets MetricsAvailable=False, then recovers', async () => {
    await createDeployment(name, 2);
    await eventually(
      `${name} ready`,
      async () => ((await readyReplicas('Deployment', name)) >= 2 ? true : undefined),
      WAIT_MS,
    );
    // Low load: with metrics the policy would scale down to 1 (window 0 s here).
    await setLoad(namespace, name, LOW_LOAD);
    await createPolicy(
      name,
      fastSpec('Deployment', name, { scaleDown: { stabilizationWindowSeconds: 0 }, minReplicas: 1 }),
    );
    await eventually(
      'metrics available',
      async () => {
        const s = await policyStatus(name);
        return condition(s, 'MetricsAvailable')?.status === 'True' ? true : undefined;
      },
      WAIT_MS,
    );
    const warningsBefore = (await policyEvents(name)).filter((e) => e.reason === 'MetricsUnavailable').length;
    await stopPrometheus();
    try {
      const before = await replicas('Deployment', name);
      const status = await eventually(
        'MetricsAvailable=False',
        async () => {
          const s = await policyStatus(name);
          return condition(s, 'MetricsAvailable')?.status === 'False' ? s : undefined;
        },
        WAIT_MS,
      );
      expect(condition(status, 'Ready')?.status).toBe('False');
      expect(status.currentMetrics).toEqual({});
      const seen = await reconciles(name, 3);
      for (const r of seen) {
        expect(r.outcome.kind === 'evaluated' && r.outcome.evaluation.decision).toMatchObject({
          action: 'hold',
          reason: 'MetricsUnavailable',
        });
      }
      expect(await replicas('Deployment', name)).toBe(before);
      // One warning when the metrics went away, not one per read.
      const warnings = (await policyEvents(name)).filter((e) => e.reason === 'MetricsUnavailable');
      expect(warnings).toHaveLength(warningsBefore + 1);
      expect(warnings.some((e) => /ECONNREFUSED/.test(e.message ?? ''))).toBe(true);
    } finally {
      await startPrometheus();
    }
    await eventually(
      'metrics available again',
      async () => {
        const s = await policyStatus(name);
        return condition(s, 'MetricsAvailable')?.status === 'True' ? true : undefined;
      },
      WAIT_MS,
    );
    await clearLoad(namespace, name);
    await deletePolicy(name);
  });
});

describe('a controller restart inside the cooldown', () => {
  const name = 'llm-restart';
  it('does not scale again: the cooldown is kept in the status', async () => {
    await createDeployment(name, 1);
    await eventually(
      `${name} ready`,
      async () => ((await readyReplicas('Deployment', name)) >= 1 ? true : undefined),
      WAIT_MS,
    );
    await setLoad(namespace, name, HIGH_LOAD);
    await createPolicy(
      name,
      fastSpec('Deployment', name, {
        cooldownPeriod: 3600,
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] },
      }),
    );
    await eventually(
      `${name} scaled to 2`,
      async () => ((await replicas('Deployment', name)) === 2 ? true : undefined),
      WAIT_MS,
    );
    const scaledAt = (await policyStatus(name)).lastScaleTime;
    expect(scaledAt).toBeDefined();

    await stopController?.();
    stopController = startController();
    const seen = await reconciles(name, 3);
    for (const r of seen) {
      expect(r.outcome.kind === 'evaluated' && r.outcome.evaluation.decision).toMatchObject({
        action: 'hold',
        reason: 'Cooldown',
      });
    }
    expect(await replicas('Deployment', name)).toBe(2);
    expect((await policyStatus(name)).lastScaleTime).toBe(scaledAt);
    await clearLoad(namespace, name);
    await deletePolicy(name);
  });
});

/** What `kubectl scale --replicas=N` does: replace the scale subresource (retried on a concurrent write). */
async function ownerScales(name: string, replicasWanted: number): Promise<void> {
  await eventually(
    `owner scales ${name} to ${replicasWanted}`,
    async () => {
      const scale = await apps.readNamespacedDeploymentScale({ namespace, name });
      try {
        await apps.replaceNamespacedDeploymentScale({
          namespace,
          name,
          body: { ...scale, spec: { replicas: replicasWanted } },
        });
        return true;
      } catch {
        return undefined; // 409: the policy wrote in between; read again
      }
    },
    WAIT_MS,
  );
}

describe('a Deployment its owner scaled to 0', () => {
  const name = 'llm-zero';
  it('stays at 0 under load with ScalingActive=False ScalingDisabled, and is autoscaled again at 2', async () => {
    await createDeployment(name, 1);
    await eventually(
      `${name} ready`,
      async () => ((await readyReplicas('Deployment', name)) >= 1 ? true : undefined),
      WAIT_MS,
    );
    await setLoad(namespace, name, HIGH_LOAD);
    await createPolicy(name, fastSpec('Deployment', name));
    // This load makes the policy scale up: it is active before the owner steps in.
    await eventually(
      `${name} scaled up`,
      async () => ((await replicas('Deployment', name)) >= 2 ? true : undefined),
      WAIT_MS,
    );

    await ownerScales(name, 0);
    const atZero = await eventually(
      'ScalingActive=False ScalingDisabled',
      async () => {
        const s = await policyStatus(name);
        return condition(s, 'ScalingActive')?.reason === 'ScalingDisabled' ? s : undefined;
      },
      WAIT_MS,
    );
    expect(condition(atZero, 'ScalingActive')).toMatchObject({
      status: 'False',
      message: expect.stringContaining('scaling is disabled since the replica count of the target is zero'),
    });
    expect(condition(atZero, 'Ready')).toMatchObject({ status: 'False', reason: 'ScalingDisabled' });
    expect(atZero).toMatchObject({ currentReplicas: 0, desiredReplicas: 0 });
    // The load is still high (minReplicas is 1): several more reconciles, and the target stays at 0.
    const seen = await reconciles(name, 5);
    for (const r of seen) {
      expect(r.outcome.kind === 'evaluated' && r.outcome.evaluation.decision).toMatchObject({
        action: 'hold',
        reason: 'TargetScaledToZero',
      });
    }
    expect(await replicas('Deployment', name)).toBe(0);
    await eventually(
      `${name} pods gone`,
      async () => ((await readyReplicas('Deployment', name)) === 0 ? true : undefined),
      WAIT_MS,
    );
    expect(await replicas('Deployment', name)).toBe(0);

    await ownerScales(name, 2);
    await eventually(
      `${name} autoscaled again above the owner's 2`,
      async () => ((await replicas('Deployment', name)) > 2 ? true : undefined),
      WAIT_MS,
    );
    const again = await policyStatus(name);
    expect(again.lastScaleReason).toMatch(/^MetricsAboveTarget: MaxRatio .*: 2 -> 3 replicas/);
    expect(condition(again, 'ScalingActive')?.status).toBe('True');
    await clearLoad(namespace, name);
    await deletePolicy(name);
  });
});
