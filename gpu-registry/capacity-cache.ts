import type { KubeConfig, V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api, ListWatch, Watch } from '@kubernetes/client-node';
import type { NodeInfo, PodInfo } from './capacity.js';
import { buildCapacitySnapshot, parseQuantity } from './capacity.js';
import type { CapacitySnapshot } from './types.js';

/**
 * Free GPU capacity kept from watches on Nodes and Pods (never listed per tick). The snapshot itself is
 * computed by the pure `buildCapacitySnapshot` from what the watches hold at that moment.
 */
export interface CapacityCache {
  /** Lists and starts watching; resolves once both caches hold a full list (retrying until then). */
  start(): Promise<void>;
  /** Free units per node and resource now (allocatable minus requests of every non-terminal pod). */
  snapshot(): CapacitySnapshot;
  /** Whether both watches have listed at least once (the snapshot is meaningful). */
  isSynced(): boolean;
  /** Stops both watches; `start` pending retries end. */
  stop(): Promise<void>;
}

/** What the cache reports about its watches (a `Logger` fits). */
export interface CapacityCacheLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
}

export interface CapacityCacheOptions {
  /** Waits between restarts of a failed watch; an aborted sleep ends early. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly log?: CapacityCacheLog;
  /** Backoff after a watch error, doubled up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

/** Terminal pods hold nothing; the API server leaves them out (and sends DELETED when a pod turns terminal). */
const NON_TERMINAL_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

type Requests = Record<string, number>;

function containerRequests(container: V1Container): Requests {
  const requests: Requests = {};
  // Extended resources may be given as limits only; the API server then defaults requests to them.
  const quantities = { ...container.resources?.limits, ...container.resources?.requests };
  for (const [resource, quantity] of Object.entries(quantities)) {
    const value = parseQuantity(quantity);
    if (value !== undefined) requests[resource] = value;
  }
  return requests;
}

function addInto(total: Requests, more: Requests): void {
  for (const [resource, value] of Object.entries(more)) total[resource] = (total[resource] ?? 0) + value;
}

function maxInto(total: Requests, other: Requests): void {
  for (const [resource, value] of Object.entries(other))
    total[resource] = Math.max(total[resource] ?? 0, value);
}

/**
 * A pod's effective requests as the scheduler counts them: the containers plus sidecars (init containers
 * with `restartPolicy: Always`), at least the largest ordinary init container (with the sidecars started
 * before it), plus the pod overhead.
 */
export function effectivePodRequests(pod: V1Pod): Requests {
  const running: Requests = {};
  const sidecars: Requests = {};
  const initPeak: Requests = {};
  for (const init of pod.spec?.initContainers ?? []) {
    const requests = containerRequests(init);
    if (init.restartPolicy === 'Always') {
      addInto(sidecars, requests);
    } else {
      const peak = { ...sidecars };
      addInto(peak, requests);
      maxInto(initPeak, peak);
    }
  }
  for (const container of pod.spec?.containers ?? []) addInto(running, containerRequests(container));
  addInto(running, sidecars);
  maxInto(running, initPeak);
  for (const [resource, quantity] of Object.entries(pod.spec?.overhead ?? {})) {
    const value = parseQuantity(quantity);
    if (value !== undefined) running[resource] = (running[resource] ?? 0) + value;
  }
  return running;
}

/** The part of a Node the capacity arithmetic reads. */
export function toNodeInfo(node: V1Node): NodeInfo {
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    allocatable: node.status?.allocatable ?? {},
    unschedulable: node.spec?.unschedulable === true,
    ...(ready !== undefined ? { ready: ready.status === 'True' } : {}),
  };
}

/** The part of a Pod the capacity arithmetic reads. */
export function toPodInfo(pod: V1Pod): PodInfo {
  return {
    name: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`,
    ...(pod.spec?.nodeName !== undefined ? { nodeName: pod.spec.nodeName } : {}),
    phase: pod.status?.phase ?? 'Pending',
    requests: effectivePodRequests(pod),
  };
}

interface Watched<T extends V1Node | V1Pod> {
  readonly name: string;
  readonly informer: ListWatch<T>;
  synced: boolean;
}

/** A capacity cache on the API server of `kubeConfig`. */
export function createCapacityCache(kubeConfig: KubeConfig, options: CapacityCacheOptions): CapacityCache {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const watch = new Watch(kubeConfig);
  const stopping = new AbortController();
  const retryMs = options.retryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30000;

  const nodes: Watched<V1Node> = {
    name: 'nodes',
    informer: new ListWatch<V1Node>('/api/v1/nodes', watch, () => core.listNode(), false),
    synced: false,
  };
  const pods: Watched<V1Pod> = {
    name: 'pods',
    informer: new ListWatch<V1Pod>(
      '/api/v1/pods',
      watch,
      () => core.listPodForAllNamespaces({ fieldSelector: NON_TERMINAL_PODS }),
      false,
      undefined,
      NON_TERMINAL_PODS,
    ),
    synced: false,
  };

  /** Starts one watch and keeps it running: a watch that fails is restarted after a growing backoff. */
  async function run<T extends V1Node | V1Pod>(watched: Watched<T>): Promise<void> {
    let failure: unknown;
    let delayMs = retryMs;
    watched.informer.on('error', (error: unknown) => {
      failure = error;
      if (!watched.synced || stopping.signal.aborted) return; // the start loop below retries
      options.log?.warn('capacity watch failed, restarting', { watch: watched.name, error: String(error) });
      void (async () => {
        await options.sleep(retryMs, stopping.signal);
        if (!stopping.signal.aborted) await watched.informer.start();
      })();
    });
    while (!stopping.signal.aborted) {
      failure = undefined;
      await watched.informer.start();
      if (failure === undefined) {
        watched.synced = true;
        return;
      }
      options.log?.warn('capacity watch could not list, retrying', {
        watch: watched.name,
        error: String(failure),
        retryInMs: delayMs,
      });
      await options.sleep(delayMs, stopping.signal);
      delayMs = Math.min(maxRetryMs, delayMs * 2);
    }
  }

  return {
    async start() {
      await Promise.all([run(nodes), run(pods)]);
      if (!stopping.signal.aborted) {
        options.log?.info('capacity cache synced', {
          nodes: nodes.informer.list().length,
          pods: pods.informer.list().length,
        });
      }
    },
    snapshot() {
      return buildCapacitySnapshot(
        nodes.informer.list().map(toNodeInfo),
        pods.informer.list().map(toPodInfo),
      );
    },
    isSynced() {
      return nodes.synced && pods.synced;
    },
    async stop() {
      stopping.abort();
      await Promise.all([nodes.informer.stop(), pods.informer.stop()]);
    },
  };
}
