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
import { readFileSync } from 'node:fs';
import { arrivalCountsOf, queriesOf, sustainedGrowth, type ServiceConfig } from '../autoscaler/index.js';
import { createPrometheusMetricsSource } from '../prometheus/index.js';
import { DEFAULT_KSISS_CONFIG_URL, DEFAULT_SLO, parseKsissSimConfig } from '../simulator/index.js';
import { createService, getService, gpuServiceManifest, waitServiceReady } from './knative-e2e-support.js';

// The emulator with real Knative Serving: revision pods are found by their Knative labels and a service's
// load is split by the Route's traffic percent per revision.

/** The simulator's default k-siss config, as the bench runs it (SLO placeholders filled). */
function defaultSimConfig(): ServiceConfig {
  const parsed = parseKsissSimConfig(
    readFileSync(DEFAULT_KSISS_CONFIG_URL, 'utf8'),
    'simulator/k-siss-sim-config.yaml',
    DEFAULT_SLO,
    { fillSlo: true },
  );
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value.config;
}

const prometheusSource = () =>
  createPrometheusMetricsSource({
    url: clusterState().prometheusUrl,
    timeoutMs: 5000,
    maxConcurrentQueries: 2,
  });

/** jest's per-project testTimeout is not applied (it is a global option), so each test names its own. */
const TEST_TIMEOUT_MS = 300_000;

let namespace = '';
/** When the 'split' service's constant load began (the first test). */
let splitLoadSinceMs = Number.NaN;

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
    splitLoadSinceMs = Date.now();
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

test(
  "every query of the simulator's default k-siss config reads a number from the emulated workload",
  async () => {
    // The bench's k-siss config names simulated series; its `query` fields are what the same metrics are on
    // a real cluster. Run through the core's placeholder expansion against the real Prometheus, each must
    // return a finite value for a loaded revision (the 'split' service of the test above).
    const simConfig = defaultSimConfig();
    // The metric blocks and the settings' own queries (loadGrowth's arrivals), as the controller runs them;
    // those evaluated minutes ago may have no data yet for pods this young, so only those of now count.
    const queries = queriesOf(simConfig).filter((q) => (q.offsetSeconds ?? 0) === 0);
    expect(queries.map((q) => q.name)).toEqual(
      expect.arrayContaining(['concurrency_per_replica', '__arrivals0m']),
    );
    const source = prometheusSource();
    const pods = (await emulatorPods()).filter((p) => p.namespace === namespace && p.service === 'split');
    const byRevision = new Map<string, string[]>();
    for (const p of pods)
      byRevision.set(p.revision ?? '', [...(byRevision.get(p.revision ?? '') ?? []), p.pod]);
    const [revision, readyPods] = [...byRevision.entries()].sort(([a], [b]) => a.localeCompare(b))[0] ?? [];
    if (revision === undefined || readyPods === undefined) throw new Error('no emulated pod of split');
    const read = await eventually(
      'a finite value for every metric',
      async () => {
        const r = await source.read({ namespace, service: 'split', revision, readyPods }, queries);
        const finite = queries.every((q) => Number.isFinite(r.values[q.name]));
        return r.failures.length === 0 && finite ? r : undefined;
      },
      120_000,
      2000,
    );
    process.stderr.write(`[emulator-knative] sim config on the emulator: ${JSON.stringify(read.values)}\n`);
    expect(read.failures).toEqual([]);
    // The arrivals query (finished plus the change in flight) counts what the revision was offered in the
    // last minute, once a whole minute of the load and two scrapes more are in Prometheus.
    const offered = pods
      .filter((p) => p.revision === revision)
      .reduce((sum, p) => sum + p.offeredRequestsPerSecond, 0);
    expect(offered).toBeGreaterThan(0);
    const settled = splitLoadSinceMs + 90_000 - Date.now();
    if (settled > 0) await new Promise((resolve) => setTimeout(resolve, settled));
    const arrivals = queries.filter((q) => q.name === '__arrivals0m');
    const counted = (await source.read({ namespace, service: 'split', revision, readyPods }, arrivals))
      .values['__arrivals0m'];
    process.stderr.write(
      `[emulator-knative] arrivals in the last minute: ${counted} (offered ${offered * 60})\n`,
    );
    expect(counted).toBeGreaterThan(0.85 * offered * 60);
    expect(counted).toBeLessThan(1.15 * offered * 60);
  },
  TEST_TIMEOUT_MS,
);

test("the load growth of the simulator's default config reads 1 before three minutes of history, above 1 as the load grows through a ramp, and 1 again after a tier change", async () => {
  // settings.loadGrowth (README, "Load growth"): the arrivals query evaluated now and 1, 2 and 3 minutes
  // ago; the growth is c0 / c2 when each of the last two minutes is significantly above the one before and
  // the count of three minutes ago exists (else 1). A ramp of small requests from 1 to 8 req/s over 9
  // minutes must read above 1 once the pod's series are three minutes old, and at most the ramp's own 8x:
  // without the check on the oldest count, the completions-based query of the previous config read 64.7
  // here, its earlier minutes holding only the first seconds of the pod's history (as after a tier change).
  const simConfig = defaultSimConfig();
  const growth = queriesOf(simConfig).filter((q) => q.name.startsWith('__arrivals'));
  expect(growth.map((q) => q.offsetSeconds)).toEqual([0, 60, 120, 180]);
  const kc = kubeConfig();
  await createService(kc, gpuServiceManifest('ramp', namespace, 'nvidia.com/mig-3g.40gb'));
  const created = await waitServiceReady(kc, namespace, 'ramp', 180_000);
  const firstRevision = created.status?.latestReadyRevisionName ?? '';
  const source = prometheusSource();
  const target = async () => {
    const pods = (await emulatorPods()).filter((p) => p.namespace === namespace && p.service === 'ramp');
    const revision = pods[0]?.revision ?? '';
    return { namespace, service: 'ramp', revision, readyPods: pods.map((p) => p.pod) };
  };
  const read = async (): Promise<number> => {
    const r = await source.read(await target(), growth);
    expect(r.failures).toEqual([]);
    return sustainedGrowth(arrivalCountsOf(r.values));
  };
  try {
    await setLoad(namespace, 'ramp', {
      kind: 'constant',
      requestsPerSecond: 1,
      promptTokens: 64,
      outputTokens: 8,
    });
    // No history yet (the series are younger than the oldest count's three minutes): 1.
    expect(await read()).toBe(1);
    await setLoad(namespace, 'ramp', {
      kind: 'ramp',
      fromRequestsPerSecond: 1,
      toRequestsPerSecond: 8,
      durationSeconds: 540,
      promptTokens: 64,
      outputTokens: 8,
    });
    const seen = await eventually(
      'a load growth above 1 during the ramp',
      async () => {
        const value = await read();
        return value > 1 ? value : undefined;
      },
      420_000,
      5000,
    );
    process.stderr.write(`[emulator-knative] load growth during the ramp: ${seen}\n`);
    expect(seen).toBeGreaterThan(1.3);
    expect(seen).toBeLessThan(8);

    // A tier change while the load keeps growing: a new revision on mig-2g.20gb takes all the traffic. Its
    // pods have no count of three minutes ago until they are that old, so the growth reads 1 even once the
    // counts of the last two minutes exist (a count over a minute the pods saw only in part would look like
    // growth: the fault of the previous config's query).
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: 'serving.knative.dev',
        version: 'v1',
        namespace,
        plural: 'services',
        name: 'ramp',
        body: { spec: gpuServiceManifest('ramp', namespace, 'nvidia.com/mig-2g.20gb').spec },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const newRevision = await eventually(
      'a new revision Ready with all the traffic',
      async () => {
        const svc = await getService(kc, namespace, 'ramp');
        const latest = svc.status?.latestReadyRevisionName;
        const all = svc.status?.traffic?.some((t) => t.revisionName === latest && t.percent === 100);
        return latest !== undefined && latest !== firstRevision && all === true ? latest : undefined;
      },
      180_000,
      1000,
    );
    const newPods = async () => {
      const pods = (await emulatorPods()).filter(
        (p) => p.namespace === namespace && p.service === 'ramp' && p.revision === newRevision,
      );
      return { namespace, service: 'ramp', revision: newRevision, readyPods: pods.map((p) => p.pod) };
    };
    const counts = await eventually(
      'the counts of the last two minutes for the new revision',
      async () => {
        const r = await source.read(await newPods(), growth);
        const c = arrivalCountsOf(r.values);
        return r.failures.length === 0 && c[2] !== undefined ? c : undefined;
      },
      300_000,
      5000,
    );
    process.stderr.write(`[emulator-knative] counts after the tier change: ${JSON.stringify(counts)}\n`);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[3]).toBeUndefined();
    expect(sustainedGrowth(counts)).toBe(1);
  } finally {
    await clearLoad(namespace, 'ramp');
  }
}, 900_000);
