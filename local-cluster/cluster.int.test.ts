import type { V1Pod } from '@kubernetes/client-node';
import {
  clearLoad,
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatedPod,
  eventually,
  kubeClients,
  promQuery,
  setLoad,
} from '../test/cluster-state.js';
import { loadTopologyFile } from './topology.js';

/** jest's per-project testTimeout is not applied (it is a global option), so each test names its own. */
const TEST_TIMEOUT_MS = 300_000;

// Against the running local cluster (test/global-setup.ts): real apiserver, scheduler, kwok, Prometheus
// and the emulator. Every wait polls with a deadline; no timing is asserted.

const { core } = kubeClients();
let namespace = '';

beforeAll(async () => {
  namespace = await createTestNamespace('cluster-int');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  for (const service of ['low-1g', 'high-1g', 'high-gpu']) await clearLoad(namespace, service);
  await deleteNamespace(namespace, true);
}, TEST_TIMEOUT_MS);

async function podPhase(name: string): Promise<V1Pod> {
  return core.readNamespacedPod({ name, namespace });
}

describe('fake GPU nodes', () => {
  test(
    'every topology node is Ready and reports its GPU resources as allocatable',
    async () => {
      const topology = loadTopologyFile(clusterState().topologyFile);
      const nodes = (await core.listNode()).items;
      for (const want of topology.nodes) {
        const node = nodes.find((n) => n.metadata?.name === want.name);
        expect(node?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
        for (const [resource, count] of Object.entries(want.resources)) {
          expect({ node: want.name, resource, allocatable: node?.status?.allocatable?.[resource] }).toEqual({
            node: want.name,
            resource,
            allocatable: String(count),
          });
        }
      }
      const migA = nodes.find((n) => n.metadata?.name === 'gpu-mig-a');
      expect(migA?.metadata?.labels?.['k-siss.io/gpu-model']).toBe('H100-80GB');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('scheduling by extended resources', () => {
  test(
    'a pod requesting nvidia.com/mig-2g.20gb lands on a node that has one and becomes Ready',
    async () => {
      await core.createNamespacedPod({
        namespace,
        body: emulatedPod('mig-2g', { 'nvidia.com/mig-2g.20gb': '1' }),
      });
      const pod = await eventually('pod mig-2g Ready', async () => {
        const p = await podPhase('mig-2g');
        return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      });
      const node = await core.readNode({ name: pod.spec?.nodeName ?? '' });
      expect(Number(node.status?.allocatable?.['nvidia.com/mig-2g.20gb'] ?? 0)).toBeGreaterThanOrEqual(1);
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a pod asking for more than any node has stays Pending with the scheduler reason',
    async () => {
      await core.createNamespacedPod({
        namespace,
        body: emulatedPod('too-big', { 'nvidia.com/mig-1g.10gb': '4' }),
      });
      const condition = await eventually('PodScheduled=False on too-big', async () => {
        const p = await podPhase('too-big');
        const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
        return c?.status === 'False' ? { phase: p.status?.phase, c } : undefined;
      });
      expect(condition.phase).toBe('Pending');
      expect(condition.c.reason).toBe('Unschedulable');
      expect(condition.c.message).toContain('Insufficient nvidia.com/mig-1g.10gb');
      const events = await eventually('a FailedScheduling event', async () => {
        const list = await core.listNamespacedEvent({
          namespace,
          fieldSelector: 'involvedObject.name=too-big',
        });
        const failed = list.items.filter((e) => e.reason === 'FailedScheduling');
        return failed.length > 0 ? failed : undefined;
      });
      expect(events[0]?.message).toContain('Insufficient nvidia.com/mig-1g.10gb');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('Prometheus scrapes the emulated workload', () => {
  test(
    'the Ready emulated pod is a target with up == 1 and per-pod series',
    async () => {
      const up = await eventually(
        'up{pod="mig-2g"} == 1',
        async () => {
          const r = await promQuery(`up{job="emulator",namespace="${namespace}",pod="mig-2g"}`);
          return r[0]?.value === 1 ? r : undefined;
        },
        90_000,
      );
      expect(up[0]?.labels).toMatchObject({ namespace, pod: 'mig-2g', tier: 'mig-2g.20gb' });
      for (const metric of [
        'vllm:num_requests_running',
        'vllm:gpu_cache_usage_perc',
        'vllm:e2e_request_latency_seconds_count',
        'DCGM_FI_DEV_GPU_UTIL',
        'DCGM_FI_DEV_FB_USED',
        'tgi_request_mean_time_per_token_duration_count',
        'inference_request_queue_depth',
      ]) {
        const series = await eventually(`${metric}{pod="mig-2g"}`, async () => {
          const r = await promQuery(`${metric}{namespace="${namespace}",pod="mig-2g"}`);
          return r.length > 0 ? r : undefined;
        });
        expect(series[0]?.labels.pod).toBe('mig-2g');
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'latency rises with load on a tier, and is lower for the same load on a bigger tier',
    async () => {
      const pods: Array<[string, Record<string, string>, number]> = [
        ['low-1g', { 'nvidia.com/mig-1g.10gb': '1' }, 0.5],
        ['high-1g', { 'nvidia.com/mig-1g.10gb': '1' }, 6],
        ['high-gpu', { 'nvidia.com/gpu': '1' }, 6],
      ];
      for (const [name, resources, rps] of pods) {
        await core.createNamespacedPod({ namespace, body: emulatedPod(name, resources) });
        await setLoad(namespace, name, {
          kind: 'constant',
          requestsPerSecond: rps,
          promptTokens: 512,
          outputTokens: 128,
        });
      }
      const expr = `sum by (pod) (rate(vllm:e2e_request_latency_seconds_sum{namespace="${namespace}"}[20s])) / sum by (pod) (rate(vllm:e2e_request_latency_seconds_count{namespace="${namespace}"}[20s]))`;
      const latency = await eventually(
        'mean e2e latency of low-1g < high-1g and high-gpu < high-1g',
        async () => {
          const r = await promQuery(expr);
          const by = Object.fromEntries(r.map((s) => [s.labels.pod ?? '', s.value]));
          const [low, high, big] = [by['low-1g'], by['high-1g'], by['high-gpu']];
          if (low === undefined || high === undefined || big === undefined) return undefined;
          if (![low, high, big].every(Number.isFinite)) return undefined;
          return low < high && big < high ? { low, high, big } : undefined;
        },
        180_000,
        2000,
      );
      expect(latency.low).toBeLessThan(latency.high);
      expect(latency.big).toBeLessThan(latency.high);
    },
    TEST_TIMEOUT_MS,
  );
});
