/**
 * The admin switch for a policy's own PromQL (`k-siss run --no-custom-queries`) against the real API server
 * and the real Prometheus: with it off, a policy whose query reads another namespace's series is refused
 * (status and Warning Event) and the query never reaches Prometheus; with it on, the same policy runs it.
 */
import { SYSTEM_CLOCK } from '../local-cluster/index.js';
import type { MetricsSource } from '../prometheus/index.js';
import { createPrometheusMetricsSource } from '../prometheus/index.js';
import {
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatedPodTemplate,
  eventually,
  kubeClients,
} from '../test/cluster-state.js';
import type { PolicyStatus } from './index.js';
import {
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  installPolicyCrd,
  runPolicyController,
} from './index.js';

/** A query a policy author in one namespace could use to read another's series. */
const FOREIGN_QUERY = 'avg(DCGM_FI_DEV_GPU_UTIL{namespace="kube-system"}) or vector(50)';

describe('custom policy queries behind an admin switch', () => {
  let namespace = '';
  const queries: string[] = [];
  const { custom, apps, core, kc } = kubeClients();

  const source = (): MetricsSource => {
    const prometheus = createPrometheusMetricsSource({
      url: clusterState().prometheusUrl,
      timeoutMs: 3000,
      maxConcurrentQueries: 2,
    });
    return {
      read: (target, named, signal) => {
        queries.push(...named.map((q) => q.query));
        return prometheus.read(target, named, signal);
      },
    };
  };

  const run = (allowCustomQueries: boolean) => {
    const abort = new AbortController();
    const done = runPolicyController({
      kubeConfig: kc,
      metricsSource: source(),
      signal: abort.signal,
      namespaces: [namespace],
      intervalSeconds: 1,
      clock: SYSTEM_CLOCK,
      logger: { info: () => undefined, warn: () => undefined },
      allowCustomQueries,
    });
    return async () => {
      abort.abort();
      await done;
    };
  };

  const status = async (): Promise<PolicyStatus> =>
    (
      (await custom.getNamespacedCustomObject({
        group: POLICY_GROUP,
        version: POLICY_VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name: 'web',
      })) as { status?: PolicyStatus }
    ).status ?? {};

  beforeAll(async () => {
    await installPolicyCrd(kc, {
      fieldManager: 'k-siss-tests',
      now: () => SYSTEM_CLOCK.now(),
      sleep: (ms) => SYSTEM_CLOCK.sleep(ms),
    });
    namespace = await createTestNamespace('custom-queries');
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: emulatedPodTemplate('web'),
        },
      },
    });
    await custom.createNamespacedCustomObject({
      group: POLICY_GROUP,
      version: POLICY_VERSION,
      namespace,
      plural: POLICY_PLURAL,
      body: {
        apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
        kind: POLICY_KIND,
        metadata: { name: 'web' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 1,
          metrics: {
            gpuUtilization: { enabled: true, targetPercentage: 50, prometheusQuery: FOREIGN_QUERY },
          },
        },
      },
    });
  });

  afterAll(() => deleteNamespace(namespace));

  test('off: the policy is refused with a status and an Event, and its query never runs', async () => {
    const stop = run(false);
    try {
      const refused = await eventually('InvalidSpec status', async () => {
        const s = await status();
        return s.conditions?.some((c) => c.reason === 'InvalidSpec') === true ? s : undefined;
      });
      const message = refused.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
      expect(message).toContain('custom queries are turned off on this controller');
      expect(message).toContain('spec.metrics.gpuUtilization.prometheusQuery');
      const event = await eventually('InvalidSpec Event', async () =>
        (await core.listNamespacedEvent({ namespace })).items.find((e) => e.reason === 'InvalidSpec'),
      );
      expect(event.type).toBe('Warning');
      expect(queries).toEqual([]);
    } finally {
      await stop();
    }
  });

  test('on (the default): the same policy runs its query on the real Prometheus', async () => {
    const stop = run(true);
    try {
      await eventually('the custom query ran', async () => (queries.length > 0 ? true : undefined));
      expect(queries).toContain(FOREIGN_QUERY);
    } finally {
      await stop();
    }
  });
});
