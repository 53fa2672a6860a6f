import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { SYSTEM_CLOCK } from '../local-cluster/index.js';
import { createTestNamespace, deleteNamespace, kubeConfig } from '../test/cluster-state.js';
import { POLICY_GROUP, POLICY_KIND, POLICY_PLURAL, POLICY_VERSION, installPolicyCrd } from './index.js';

/**
 * The shipped CRD is the fixture: it is server-side applied to the real kube-apiserver, which must then
 * default good policies and reject each kind of bad policy with a message naming the field.
 */

const good = {
  targetRef: { kind: 'Deployment', name: 'llm' },
  maxReplicas: 5,
  metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
};

function policy(name: string, spec: unknown): Record<string, unknown> {
  return { apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind: POLICY_KIND, metadata: { name }, spec };
}

describe('AIInferenceAutoscalerPolicy CRD on the real API server', () => {
  let namespace = '';
  let custom: CustomObjectsApi;
  beforeAll(async () => {
    await installPolicyCrd(kubeConfig(), {
      fieldManager: 'k-siss-tests',
      now: () => SYSTEM_CLOCK.now(),
      sleep: (ms) => SYSTEM_CLOCK.sleep(ms),
    });
    custom = kubeConfig().makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace('policy-crd');
  });
  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  const create = (name: string, spec: unknown): Promise<unknown> =>
    custom.createNamespacedCustomObject({
      group: POLICY_GROUP,
      version: POLICY_VERSION,
      namespace,
      plural: POLICY_PLURAL,
      body: policy(name, spec),
    });

  it('defaults a minimal policy (minReplicas 1, cooldown 300, MaxRatio, tolerance 0.1, windows 60/300)', async () => {
    const created = (await create('minimal', good)) as { spec: Record<string, unknown> };
    expect(created.spec).toMatchObject({
      minReplicas: 1,
      cooldownPeriod: 300,
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm' },
      algorithm: { name: 'MaxRatio', tolerance: 0.1 },
      scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max' },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max' },
      metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
    });
  });

  it('accepts every field of the contract (both latency queries, gpuMemory, weights, policies, fallback)', async () => {
    await expect(
      create('full', {
        targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'llm' },
        minReplicas: 2,
        maxReplicas: 8,
        cooldownPeriod: 60,
        metrics: {
          latency: {
            enabled: true,
            targetP99Ms: 800,
            targetP95Ms: 500,
            histogramMetric: 'vllm:e2e_request_latency_seconds',
            prometheusQuery:
              'histogram_quantile(0.99, sum by (le) (rate(x_bucket{pod=~"{{podRegex}}"}[1m])))',
            p95PrometheusQuery:
              'histogram_quantile(0.95, sum by (le) (rate(x_bucket{pod=~"{{podRegex}}"}[1m])))',
          },
          gpuUtilization: { enabled: true, targetPercentage: 70 },
          gpuMemory: { enabled: true, targetPercentage: 85 },
          requestQueueDepth: { enabled: true, targetDepth: 4 },
        },
        algorithm: {
          name: 'WeightedRatio',
          tolerance: 0.05,
          weights: { latencyP99: 2, requestQueueDepth: 1 },
        },
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 120,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
        },
        fallback: { failureThreshold: 3, replicas: 4 },
      }),
    ).resolves.toBeDefined();
  });

  it('accepts the shipped example policy (policy/example-policy.yaml)', async () => {
    const example = load(
      readFileSync(fileURLToPath(new URL('./example-policy.yaml', import.meta.url)), 'utf8'),
    ) as {
      metadata: { name: string };
      spec: unknown;
    };
    const created = (await create(`example-${example.metadata.name}`, example.spec)) as { spec: unknown };
    expect(created.spec).toMatchObject(example.spec as Record<string, unknown>);
  });

  const bad: ReadonlyArray<{ name: string; spec: unknown; field: string; says?: RegExp }> = [
    {
      name: 'missing maxReplicas',
      spec: { ...good, maxReplicas: undefined },
      field: 'spec.maxReplicas',
      says: /Required/,
    },
    { name: 'minReplicas > maxReplicas', spec: { ...good, minReplicas: 6 }, field: 'spec.minReplicas' },
    {
      name: 'no metric enabled',
      spec: { ...good, metrics: { gpuUtilization: { enabled: false, targetPercentage: 60 } } },
      field: 'spec.metrics',
      says: /at least one of latency, gpuUtilization, gpuMemory, requestQueueDepth must be enabled/,
    },
    {
      name: 'tolerance 1.5',
      spec: { ...good, algorithm: { tolerance: 1.5 } },
      field: 'spec.algorithm.tolerance',
    },
    {
      name: 'targetPercentage 150',
      spec: { ...good, metrics: { gpuUtilization: { enabled: true, targetPercentage: 150 } } },
      field: 'spec.metrics.gpuUtilization.targetPercentage',
    },
    {
      name: 'gpuMemory targetPercentage 0',
      spec: { ...good, metrics: { gpuMemory: { enabled: true, targetPercentage: 0 } } },
      field: 'spec.metrics.gpuMemory.targetPercentage',
    },
    {
      name: 'enabled latency without a target',
      spec: { ...good, metrics: { latency: { enabled: true } } },
      field: 'spec.metrics.latency',
      says: /targetP99Ms or targetP95Ms is required/,
    },
    {
      name: 'targetRef.kind Pod',
      spec: { ...good, targetRef: { kind: 'Pod', name: 'x' } },
      field: 'spec.targetRef.kind',
      says: /Deployment.*StatefulSet/,
    },
    {
      name: 'weights with MaxRatio',
      spec: { ...good, algorithm: { name: 'MaxRatio', weights: { gpuUtilization: 1 } } },
      field: 'spec.algorithm.weights',
      says: /only allowed with name WeightedRatio/,
    },
    {
      name: 'weights key not a metric name',
      spec: { ...good, algorithm: { name: 'WeightedRatio', weights: { gpuUtilisation: 1 } } },
      field: 'spec.algorithm.weights',
      says: /keys must be among/,
    },
    {
      name: 'unknown algorithm',
      spec: { ...good, algorithm: { name: 'MinRatio' } },
      field: 'spec.algorithm.name',
    },
    {
      name: 'scaling policy of type Replicas',
      spec: { ...good, scaleDown: { policies: [{ type: 'Replicas', value: 1, periodSeconds: 15 }] } },
      field: 'spec.scaleDown.policies[0].type',
    },
    {
      name: 'fallback replicas above maxReplicas',
      spec: { ...good, fallback: { failureThreshold: 2, replicas: 9 } },
      field: 'spec.fallback.replicas',
    },
  ];
  it.each(bad)('rejects $name, naming $field', async ({ name, spec, field, says }) => {
    const objectName = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/-+$/, '');
    let error: unknown;
    try {
      await create(objectName, spec);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiException);
    const apiError = error as ApiException<unknown>;
    expect(apiError.code).toBe(422);
    const body = typeof apiError.body === 'string' ? apiError.body : JSON.stringify(apiError.body);
    const message = (JSON.parse(body) as { message: string }).message;
    expect(message).toContain(field);
    if (says !== undefined) expect(message).toMatch(says);
  });
});
