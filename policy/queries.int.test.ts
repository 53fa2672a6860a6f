import { jest } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createPrometheusMetricsSource } from '../prometheus/index.js';
import {
  clearLoad,
  clusterState,
  createTestNamespace,
  deleteNamespace,
  eventually,
  kubeConfig,
  promQuery,
  setLoad,
  emulatedPodTemplate,
} from '../test/cluster-state.js';
import type { MetricReadings } from './index.js';
import { enabledMetrics, parsePolicySpec, policyQueries, readingsFrom } from './index.js';

/**
 * The default queries of a policy, run by the real metrics source against the real Prometheus scraping the
 * emulated pods: every metric has a value, in status units, and each policy sees only its own target's pods.
 */

jest.setTimeout(600_000);

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
let namespace = '';

const spec = (() => {
  const parsed = parsePolicySpec({
    targetRef: { kind: 'Deployment', name: 'unused' },
    maxReplicas: 4,
    metrics: {
      latency: { enabled: true, targetP99Ms: 1000, targetP95Ms: 800 },
      gpuUtilization: { enabled: true, targetPercentage: 50 },
      gpuMemory: { enabled: true, targetPercentage: 80 },
      requestQueueDepth: { enabled: true, targetDepth: 2 },
    },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
})();

/** Reads the default queries for the Ready pods of Deployment `app`, as the controller does. */
async function read(app: string): Promise<MetricReadings> {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
  const ready = pods
    .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata?.name ?? '');
  const queries = policyQueries(spec, enabledMetrics(spec), ready.length);
  const source = createPrometheusMetricsSource({
    url: clusterState().prometheusUrl,
    timeoutMs: 5000,
    maxConcurrentQueries: 4,
  });
  const target = { namespace, service: app, revision: undefined, readyPods: ready };
  return readingsFrom(queries, await source.read(target, queries), target);
}

const valueOf = (readings: MetricReadings, name: keyof MetricReadings): number | undefined => {
  const reading = readings[name];
  return reading?.kind === 'value' ? reading.value : undefined;
};

beforeAll(async () => {
  namespace = await createTestNamespace('policy-queries');
  for (const app of ['busy', 'idle']) {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: app },
        spec: { replicas: 2, selector: { matchLabels: { app } }, template: emulatedPodTemplate(app) },
      },
    });
  }
  await setLoad(namespace, 'busy', {
    kind: 'constant',
    requestsPerSecond: 40,
    promptTokens: 512,
    outputTokens: 256,
  });
});

afterAll(async () => {
  await clearLoad(namespace, 'busy');
  await deleteNamespace(namespace);
});

describe('default policy queries against the real Prometheus', () => {
  it('give latency (ms), GPU utilization and queue depth per replica for the loaded target', async () => {
    const readings = await eventually(
      'latency, GPU and queue values for busy',
      async () => {
        const r = await read('busy');
        const ok = ['latencyP99', 'latencyP95', 'gpuUtilization', 'requestQueueDepth'].every(
          (m) => valueOf(r, m as keyof MetricReadings) !== undefined,
        );
        return ok && (valueOf(r, 'gpuUtilization') ?? 0) > 1 ? r : undefined;
      },
      240_000,
      2_000,
    );
    const p99 = valueOf(readings, 'latencyP99') ?? 0;
    const p95 = valueOf(readings, 'latencyP95') ?? 0;
    // Milliseconds, not seconds: an LLM request of 256 output tokens takes more than 10 ms.
    expect(p99).toBeGreaterThan(10);
    expect(p99).toBeGreaterThanOrEqual(p95);
    expect(valueOf(readings, 'requestQueueDepth')).toBeGreaterThanOrEqual(0);
  });

  it('are scoped to the target: the idle Deployment in the same namespace sees its own idle pods', async () => {
    const busy = await read('busy');
    const idle = await eventually('idle GPU value', async () => {
      const r = await read('idle');
      return valueOf(r, 'gpuUtilization') !== undefined ? r : undefined;
    });
    expect(valueOf(idle, 'gpuUtilization')).toBeLessThan(valueOf(busy, 'gpuUtilization') ?? 0);
    // No requests to the idle pods: the quantile has no samples (NaN), reported as such, never as a number.
    expect(idle.latencyP99).toMatchObject({ kind: 'unavailable' });
  });

  it('give the framebuffer share when the workload exports DCGM_FI_DEV_FB_FREE (as dcgm-exporter does)', async () => {
    const exported = (await promQuery(`count(DCGM_FI_DEV_FB_FREE{namespace="${namespace}"})`)).length > 0;
    expect(exported).toBe(true);
    const readings = await read('busy');
    const share = valueOf(readings, 'gpuMemory');
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThanOrEqual(100);
  });
});
