import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  clearLoad,
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatorPods,
  eventually,
  kubeConfig,
  promQuery,
  setLoad,
} from '../test/cluster-state.js';
import { createService, gpuServiceManifest, waitServiceReady } from './knative-e2e-support.js';

// The emulator with real Knative Serving: revision pods are found by their Knative labels and a service's
// load is split by the Route's traffic percent per revision.

/** jest's per-project testTimeout is not applied (it is a global option), so each test names its own. */
const TEST_TIMEOUT_MS = 300_000;

let namespace = '';

beforeAll(async () => {
  const knative = clusterState().knative;
  if (knative === undefined || 'error' in knative) {
    throw new Error(`Knative is not running in the local cluster: ${JSON.stringify(knative)}`);
  }
  namespace = await createTestNamespace('emulator-kn');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await clearLoad(namespace, 'split');
  await deleteNamespace(namespace, true);
}, TEST_TIMEOUT_MS);

test(
  'load follows the Route: 80% to one revision, 20% to the other',
  async () => {
    const kc = kubeConfig();
    await createService(kc, gpuServiceManifest('split', namespace, 'nvidia.com/mig-1g.10gb'));
    const first = await waitServiceReady(kc, namespace, 'split', 180_000);
    const firstRevision =
      (first as { status?: { latestReadyRevisionName?: string } }).status?.latestReadyRevisionName ?? '';
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.patchNamespacedCustomObject(
      {
        group: 'serving.knative.dev',
        version: 'v1',
        namespace,
        plural: 'services',
        name: 'split',
        body: {
          spec: {
            template: {
              metadata: {
                name: 'split-canary',
                annotations: { 'autoscaling.knative.dev/min-scale': '1' },
              },
            },
            traffic: [
              { revisionName: firstRevision, percent: 80 },
              { revisionName: 'split-canary', percent: 20 },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await setLoad(namespace, 'split', { kind: 'constant', requestsPerSecond: 10 });
    const pods = await eventually(
      'emulator pods of both revisions with 8 and 2 req/s',
      async () => {
        const mine = (await emulatorPods()).filter((p) => p.namespace === namespace && p.service === 'split');
        const byRevision = Object.fromEntries(
          mine.map((p) => [p.revision ?? '', p.offeredRequestsPerSecond]),
        );
        const a = byRevision[firstRevision];
        const b = byRevision['split-canary'];
        return mine.length === 2 &&
          a !== undefined &&
          b !== undefined &&
          Math.abs(a - 8) < 1e-6 &&
          Math.abs(b - 2) < 1e-6
          ? mine
          : undefined;
      },
      180_000,
      1000,
    );
    expect(pods.map((p) => p.tier)).toEqual(['mig-1g.10gb', 'mig-1g.10gb']);
    const series = await eventually(
      'per-revision series in Prometheus',
      async () => {
        const r = await promQuery(`vllm:num_requests_running{namespace="${namespace}"}`);
        return r.length === 2 ? r : undefined;
      },
      90_000,
    );
    expect(new Set(series.map((s) => s.labels.revision))).toEqual(new Set([firstRevision, 'split-canary']));
  },
  TEST_TIMEOUT_MS,
);
