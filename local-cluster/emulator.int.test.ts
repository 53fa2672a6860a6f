import {
  clearLoad,
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatorPods,
  eventually,
  kubeClients,
  promQuery,
  setLoad,
} from '../test/cluster-state.js';

/** jest's per-project testTimeout is not applied (it is a global option), so each test names its own. */
const TEST_TIMEOUT_MS = 300_000;

// The emulated workload against the running cluster: Deployment pods are found through their owner,
// load is split evenly over Ready replicas, and bad load profiles are refused with the field named.

const { apps } = kubeClients();
let namespace = '';

beforeAll(async () => {
  namespace = await createTestNamespace('emulator-int');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await clearLoad(namespace, 'chat');
  await deleteNamespace(namespace, true);
}, TEST_TIMEOUT_MS);

test(
  'a Deployment marked k-siss.io/emulated gets its load split evenly over its Ready replicas',
  async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'chat' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'chat' } },
          template: {
            metadata: { labels: { app: 'chat', 'k-siss.io/emulated': 'true' } },
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image:
                    'registry.invalid/k-siss/llm-emulator@sha256:0000000000000000000000000000000000000000000000000000000000000002',
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      },
    });
    await setLoad(namespace, 'chat', { kind: 'constant', requestsPerSecond: 4 });
    const pods = await eventually(
      'two emulated chat pods with 2 req/s each',
      async () => {
        const mine = (await emulatorPods()).filter((p) => p.namespace === namespace && p.service === 'chat');
        return mine.length === 2 && mine.every((p) => Math.abs(p.offeredRequestsPerSecond - 2) < 1e-9)
          ? mine
          : undefined;
      },
      90_000,
    );
    expect(pods.map((p) => p.tier)).toEqual(['gpu', 'gpu']);
    const served = await eventually(
      'vllm:request_success_total grows for both replicas',
      async () => {
        const r = await promQuery(`vllm:request_success_total{namespace="${namespace}"} > 0`);
        return r.length === 2 ? r : undefined;
      },
      90_000,
    );
    expect(new Set(served.map((s) => s.labels.pod)).size).toBe(2);
  },
  TEST_TIMEOUT_MS,
);

test(
  'a bad load profile is refused with the field and value',
  async () => {
    const response = await fetch(`${clusterState().emulatorUrl}/load/${namespace}/chat`, {
      method: 'PUT',
      body: JSON.stringify({
        kind: 'ramp',
        fromRequestsPerSecond: 1,
        toRequestsPerSecond: -2,
        durationSeconds: 10,
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { reason: string; message: string };
    expect(body.reason).toBe('invalidLoadProfile');
    expect(body.message).toContain('load.toRequestsPerSecond = -2');
  },
  TEST_TIMEOUT_MS,
);
