/**
 * The control loop in-process on the real thing: API server, scheduler and kwok GPU nodes, Knative Serving,
 * Prometheus. Real ConfigMap watch, capacity cache, Prometheus source and Knative actuator; only the metric
 * is a constant PromQL expression, so the SLO pressure is known.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createControllerMetrics, Registry } from '../exporter/index.js';
import type { CapacityCache } from '../gpu-registry/index.js';
import { createCapacityCache, DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { createKnativeActuator } from '../knative/index.js';
import { createPrometheusMetricsSource } from '../prometheus/index.js';
import {
  clusterState,
  createTestNamespace,
  deleteNamespace,
  eventually,
  kubeClients,
} from '../test/cluster-state.js';
import type { ConfigWatch, Controller, ObservedService, ServiceActuator } from './index.js';
import { createConfigWatch, createController, createLogger, systemClock } from './index.js';

// Whole GPUs (8 on the gpu-whole node) rather than the scarce MIG slices other e2e tests compete for.
const GPU = 'nvidia.com/gpu';

function knativeService(name: string, namespace: string): object {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: {
          annotations: { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '1' },
        },
        spec: {
          containers: [
            {
              name: 'llm',
              image:
                'registry.invalid/k-siss/llm@sha256:0000000000000000000000000000000000000000000000000000000000000003',
              resources: { requests: { cpu: '500m', memory: '1Gi', [GPU]: '1' }, limits: { [GPU]: '1' } },
            },
          ],
        },
      },
    },
  };
}

const settings = `  settings:
    policy: step
    ladder: [gpu, gpu-x2]
    maxReplicas: 1
    cooldownSeconds: 0
    migration: {readyTimeoutSeconds: 180, drainSeconds: 0, trafficSteps: [100], stepPauseSeconds: 0, tierBackoffSeconds: 60}
`;
const metric = (query: string): string => `  metrics:
    - name: latency
      query: '${query}'
      slo: 1
      scaleUpFactor: 1.5
      scaleDownFactor: 0.5
`;

describe('control loop on the local cluster with Knative', () => {
  let namespace = '';
  let watch: ConfigWatch;
  let capacity: CapacityCache;
  let actuator: ServiceActuator;
  let controller: Controller;
  let running: Promise<void> | undefined;
  const registry = new Registry();
  const stopping = new AbortController();

  const observe = async (name: string): Promise<ObservedService | undefined> =>
    (await actuator.list(namespace)).find((service) => service.name === name);

  beforeAll(async () => {
    namespace = await createTestNamespace('loop');
    const { kc, core } = kubeClients();
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'autoscaler-config' },
        data: {
          _global: `namespaces: [${namespace}]\nprometheusUrl: ${clusterState().prometheusUrl}\nignore: [canary]\n`,
          // Under pressure (10 > 1 x 1.5) on one GPU with maxReplicas 1: one step up the ladder, to two GPUs.
          ramp: `${metric('vector(10)')}${settings}`,
          // A broken query: its own problem, reported; the other service goes on.
          broken: `${metric('vector(10')}${settings}`,
        },
      },
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const name of ['ramp', 'broken']) {
      await custom.createNamespacedCustomObject({
        group: 'serving.knative.dev',
        version: 'v1',
        namespace,
        plural: 'services',
        body: knativeService(name, namespace),
      });
    }
    const logger = createLogger({ silent: process.env.KSISS_TEST_LOGS !== '1', level: 'debug' });
    const metrics = createControllerMetrics(registry);
    const sleep = (ms: number, signal?: AbortSignal) => systemClock.sleep(ms, signal ?? stopping.signal);
    watch = createConfigWatch({
      kubeConfig: kc,
      name: 'autoscaler-config',
      namespace,
      env: { NAMESPACE: namespace },
      logger,
      metrics,
      sleep,
    });
    capacity = createCapacityCache(kc, { sleep, log: logger });
    actuator = createKnativeActuator(kc, { catalog: DEFAULT_CATALOG, clock: systemClock });
    await Promise.all([watch.start(), capacity.start()]);
    await eventually(
      'both Knative services serving on one GPU',
      async () => {
        const services = await actuator.list(namespace);
        return services.length === 2 && services.every((s) => s.tier === 'gpu' && s.readyReplicas === 1)
          ? true
          : undefined;
      },
      300_000,
      1000,
    );
    controller = createController({
      clock: systemClock,
      logger,
      config: watch,
      capacity,
      actuator,
      metrics,
      metricsSource: (global) =>
        createPrometheusMetricsSource({
          url: global.prometheusUrl,
          timeoutMs: global.prometheusTimeoutMs,
          maxConcurrentQueries: 4,
          onQuery: (seconds, errorClass) => metrics.observePrometheusQuery(seconds, errorClass),
        }),
      intervalMs: 1000,
    });
    running = controller.run(stopping.signal);
  });

  afterAll(async () => {
    stopping.abort();
    await running;
    await Promise.allSettled([watch?.stop(), capacity?.stop()]);
    await deleteNamespace(namespace);
  });

  test('SLO pressure moves the service one tier up, through a new Knative revision', async () => {
    const moved = await eventually(
      'ramp serving on gpu-x2',
      async () => {
        const ramp = await observe('ramp');
        return ramp?.tier === 'gpu-x2' && !ramp.migrationInFlight && ramp.readyReplicas === 1
          ? ramp
          : undefined;
      },
      300_000,
      1000,
    );
    // The decision survives a restart: it is on the Service, not only in memory.
    expect(moved.state.lastAction).toBe('up');
    expect(moved.state.recommendations.at(-1)).toEqual(
      expect.objectContaining({ tier: 'gpu-x2', replicas: 1 }),
    );
  });

  test('the decision is exported and recorded as an Event with its reason', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(
      new RegExp(
        `ksiss_decisions_total\\{namespace="${namespace}",service="ramp",action="up",reason="sloPressure"\\} [1-9]`,
      ),
    );
    const events = await kubeClients().core.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=ramp',
    });
    expect(events.items.map((event) => event.reason)).toContain('DecisionUp');
  });

  test('a broken query holds its own service (no data), with a Warning event naming service and metric', async () => {
    const event = await eventually('MetricQueryInvalid event', async () => {
      const events = await kubeClients().core.listNamespacedEvent({
        namespace,
        fieldSelector: 'involvedObject.name=broken',
      });
      return events.items.find((e) => e.reason === 'MetricQueryInvalid');
    });
    expect(event.type).toBe('Warning');
    expect(event.message).toContain(`service ${namespace}/broken metric latency`);
    expect(event.message).toContain('bad_data');
    const broken = await observe('broken');
    expect(broken?.tier).toBe('gpu');
  });
});
