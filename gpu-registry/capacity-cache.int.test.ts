/**
 * The informer-backed capacity cache against the real API server, scheduler and kwok GPU nodes of the
 * local cluster: as pods requesting MIG slices come and go, the snapshot matches what the scheduler did.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { systemClock } from '../autoscaler/index.js';
import { createTestNamespace, deleteNamespace, eventually, kubeClients } from '../test/cluster-state.js';
import type { CapacityCache, CapacitySnapshot } from './index.js';
import { createCapacityCache, freeUnits } from './index.js';

const MIG1 = 'nvidia.com/mig-1g.10gb';
const MIG3 = 'nvidia.com/mig-3g.40gb';
const MIG_RESOURCES = [MIG1, 'nvidia.com/mig-2g.20gb', MIG3, 'nvidia.com/mig-4g.40gb'];

function gpuPod(name: string, resource: string): V1Pod {
  return {
    metadata: { name, labels: { app: 'capacity-test' } },
    spec: {
      containers: [
        {
          name: 'server',
          image:
            'registry.invalid/k-siss/none@sha256:0000000000000000000000000000000000000000000000000000000000000001',
          resources: { requests: { cpu: '100m', [resource]: '1' }, limits: { [resource]: '1' } },
        },
      ],
    },
  };
}

/**
 * What the scheduler did, computed independently from a fresh list: per node, allocatable minus the
 * requests of every non-terminal pod bound to it (MIG resources only).
 */
async function freeFromScheduler(): Promise<Record<string, Record<string, number>>> {
  const { core } = kubeClients();
  const [nodes, pods] = await Promise.all([core.listNode(), core.listPodForAllNamespaces()]);
  const free: Record<string, Record<string, number>> = {};
  for (const node of nodes.items) {
    const units: Record<string, number> = {};
    for (const resource of MIG_RESOURCES) {
      const allocatable = node.status?.allocatable?.[resource];
      if (allocatable !== undefined) units[resource] = Number(allocatable);
    }
    free[node.metadata?.name ?? ''] = units;
  }
  for (const pod of pods.items) {
    const phase = pod.status?.phase;
    const node = pod.spec?.nodeName;
    if (phase === 'Succeeded' || phase === 'Failed' || node === undefined) continue;
    for (const container of pod.spec?.containers ?? []) {
      for (const resource of MIG_RESOURCES) {
        const requested = container.resources?.requests?.[resource];
        const units = free[node];
        if (requested !== undefined && units?.[resource] !== undefined) units[resource] -= Number(requested);
      }
    }
  }
  return free;
}

function migView(snapshot: CapacitySnapshot): Record<string, Record<string, number>> {
  const view: Record<string, Record<string, number>> = {};
  for (const node of snapshot.nodes) {
    const units: Record<string, number> = {};
    for (const resource of MIG_RESOURCES) {
      const free = node.free[resource];
      if (free !== undefined) units[resource] = free;
    }
    view[node.name] = units;
  }
  return view;
}

/** Waits until the cache (fed by watches) agrees with a fresh list, and returns that state. */
async function converged(cache: CapacityCache): Promise<Record<string, Record<string, number>>> {
  let last = '';
  return eventually(
    'capacity snapshot equal to the scheduler state',
    async () => {
      const expected = await freeFromScheduler();
      const actual = migView(cache.snapshot());
      last = `expected ${JSON.stringify(expected)}, cache ${JSON.stringify(actual)}`;
      return JSON.stringify(expected) === JSON.stringify(actual) ? actual : undefined;
    },
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last: ${last}`);
  });
}

async function nodeOf(namespace: string, name: string): Promise<string> {
  const { core } = kubeClients();
  return eventually(`pod ${name} scheduled`, async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    return pod.spec?.nodeName;
  });
}

describe('capacity cache on the local cluster', () => {
  let namespace = '';
  let cache: CapacityCache;
  const stopping = new AbortController();

  beforeAll(async () => {
    namespace = await createTestNamespace('capacity');
    cache = createCapacityCache(kubeClients().kc, {
      sleep: (ms, signal) => systemClock.sleep(ms, signal ?? stopping.signal),
    });
    await cache.start();
  });

  afterAll(async () => {
    stopping.abort();
    await cache.stop();
    await deleteNamespace(namespace);
  });

  test('synced after start, and equal to the scheduler state', async () => {
    expect(cache.isSynced()).toBe(true);
    await converged(cache);
  });

  test('pods taking MIG slices are subtracted on the node they were scheduled to; deleting them gives the slices back', async () => {
    const { core } = kubeClients();
    const before = await converged(cache);
    const free1gBefore = freeUnits(cache.snapshot(), MIG1);

    for (const name of ['slice-a', 'slice-b']) {
      await core.createNamespacedPod({ namespace, body: gpuPod(name, MIG1) });
    }
    const nodes = [await nodeOf(namespace, 'slice-a'), await nodeOf(namespace, 'slice-b')];
    const during = await converged(cache);
    expect(freeUnits(cache.snapshot(), MIG1)).toBe(free1gBefore - 2);
    for (const node of new Set(nodes)) {
      const taken = nodes.filter((n) => n === node).length;
      expect(during[node]?.[MIG1]).toBe((before[node]?.[MIG1] ?? 0) - taken);
    }

    for (const name of ['slice-a', 'slice-b']) {
      await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
    }
    await eventually('slices given back', async () => {
      const now = migView(cache.snapshot());
      return JSON.stringify(now) === JSON.stringify(before) ? true : undefined;
    });
    expect(freeUnits(cache.snapshot(), MIG1)).toBe(free1gBefore);
  });

  test('a pod that cannot be scheduled stays Pending and the last slice is not counted twice', async () => {
    const { core } = kubeClients();
    await converged(cache);
    const free3g = freeUnits(cache.snapshot(), MIG3);
    // Take every mig-3g.40gb there is, then ask for one more.
    const names = Array.from({ length: free3g + 1 }, (_, index) => `big-${index}`);
    for (const name of names) await core.createNamespacedPod({ namespace, body: gpuPod(name, MIG3) });
    for (const name of names.slice(0, free3g)) await nodeOf(namespace, name);
    const pendingName = names[free3g] ?? '';
    await eventually('the extra pod reported unschedulable', async () => {
      const pod = await core.readNamespacedPod({ namespace, name: pendingName });
      const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return condition?.status === 'False' && condition.reason === 'Unschedulable' ? true : undefined;
    });
    await converged(cache);
    expect(freeUnits(cache.snapshot(), MIG3)).toBe(0);

    for (const name of names) await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
    await eventually('mig-3g.40gb free again', async () =>
      freeUnits(cache.snapshot(), MIG3) === free3g ? true : undefined,
    );
  });
});
