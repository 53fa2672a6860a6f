import { readFileSync } from 'node:fs';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Pod,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import {
  addScrapeTargets as addTargets,
  removeScrapeTargets as removeTargets,
  defaultStateDir,
  readState,
  startPrometheus as startProm,
  stopPrometheus as stopProm,
  waitFor,
  type ClusterState,
  type LoadProfile,
  type PodView,
} from '../local-cluster/index.js';

/**
 * Helpers for integration and e2e tests to reach the local cluster that test/global-setup.ts started:
 * its state (URLs, kubeconfig, token), Kubernetes clients, PromQL queries, the emulator's load control,
 * and Prometheus stop/start. Every wait polls with a deadline; nothing asserts timings.
 */

/** The running cluster's state (`.cluster/state.json`, or `$KSISS_CLUSTER_DIR/state.json`). */
export function clusterState(): ClusterState {
  const dir = defaultStateDir();
  const state = readState(dir);
  if (state === undefined)
    throw new Error(
      `no local cluster state in ${dir}: run the integration project (global setup) or \`make cluster-up\``,
    );
  return state;
}

/** A KubeConfig for the admin of the local cluster. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(clusterState().kubeconfig);
  return kc;
}

/** Typed API clients for the local cluster. */
export function kubeClients(): {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
} {
  const kc = kubeConfig();
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/** The cluster's CA certificate (PEM), for clients that verify the apiserver themselves. */
export function clusterCa(): Buffer {
  return readFileSync(clusterState().caCertFile);
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 500,
): Promise<T> {
  return waitFor(what, probe, timeoutMs, undefined, intervalMs);
}

let namespaceCounter = 0;

/** Creates a fresh namespace for one test file; delete it with `deleteNamespace` in afterAll. */
export async function createTestNamespace(prefix: string): Promise<string> {
  namespaceCounter += 1;
  const name = `${prefix}-${process.pid}-${namespaceCounter}-${Date.now().toString(36)}`
    .slice(0, 63)
    .replace(/-+$/, '');
  const { core } = kubeClients();
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually(`ServiceAccount default in ${name}`, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  });
  return name;
}

/**
 * Deletes a namespace; with `wait` polls until it is gone, so its pods have released their GPU slices
 * before the next suite runs (the topology has a single 2g and a single 3g slice). Give the afterAll hook
 * a timeout when waiting (jest's default hook timeout is 5 s).
 */
export async function deleteNamespace(name: string, wait = false, timeoutMs = 120_000): Promise<void> {
  const { core } = kubeClients();
  try {
    await core.deleteNamespace({ name });
  } catch {
    return; // already gone
  }
  if (!wait) return;
  await eventually(
    `namespace ${name} deleted`,
    async () => {
      try {
        await core.readNamespace({ name });
        return undefined;
      } catch (error) {
        return (error as { code?: number }).code === 404 ? true : undefined;
      }
    },
    timeoutMs,
  );
}

/** A pod of the emulated workload: a Deployment-less pod marked `k-siss.io/emulated: "true"`. */
/** The image of emulated inference pods, by digest (kwok runs no container, no registry is contacted). */
export const EMULATOR_IMAGE =
  'registry.invalid/k-siss/llm-emulator@sha256:0000000000000000000000000000000000000000000000000000000000000002';

/** Pod template of an emulated Deployment/StatefulSet: one whole GPU a pod, on kwok's fake nodes. */
export function emulatedPodTemplate(app: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { app, 'k-siss.io/emulated': 'true' } },
    spec: {
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [
        {
          name: 'server',
          image: EMULATOR_IMAGE,
          resources: {
            requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' },
            limits: { 'nvidia.com/gpu': '1' },
          },
        },
      ],
    },
  };
}

export function emulatedPod(
  name: string,
  resources: Readonly<Record<string, string>>,
  service = name,
): V1Pod {
  return {
    metadata: { name, labels: { 'k-siss.io/emulated': 'true', 'k-siss.io/service': service } },
    spec: {
      containers: [
        {
          name: 'server',
          image: EMULATOR_IMAGE,
          resources: { requests: { cpu: '1', memory: '1Gi', ...resources }, limits: { ...resources } },
        },
      ],
    },
  };
}

/** One sample of an instant PromQL query. */
export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Runs an instant PromQL query against the local Prometheus; throws on HTTP or query errors. */
export async function promQuery(expr: string): Promise<PromSample[]> {
  const url = `${clusterState().prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`PromQL ${expr}: ${body.error ?? response.status}`);
  return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** Sets the emulator's load profile of a service (Knative service name, or the Deployment/label service name). */
export async function setLoad(
  namespace: string,
  service: string,
  profile: LoadProfile | Record<string, unknown>,
): Promise<void> {
  const response = await fetch(
    `${clusterState().emulatorUrl}/load/${encodeURIComponent(namespace)}/${encodeURIComponent(service)}`,
    {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(profile),
    },
  );
  if (!response.ok)
    throw new Error(
      `emulator PUT /load/${namespace}/${service}: ${response.status} ${await response.text()}`,
    );
}

/** Removes a service's load profile. */
export async function clearLoad(namespace: string, service: string): Promise<void> {
  await fetch(
    `${clusterState().emulatorUrl}/load/${encodeURIComponent(namespace)}/${encodeURIComponent(service)}`,
    { method: 'DELETE' },
  );
}

/** What the emulator's pods are doing (tier, offered load, queue, recent latency). */
export async function emulatorPods(): Promise<PodView[]> {
  const response = await fetch(`${clusterState().emulatorUrl}/pods`);
  return (await response.json()) as PodView[];
}

/** Stops the local Prometheus alone. */
export function stopPrometheus(): Promise<void> {
  return stopProm(clusterState().stateDir);
}

/** Starts the local Prometheus again (same port, config and data). */
export function startPrometheus(): Promise<string> {
  return startProm(clusterState().stateDir);
}

/** Makes Prometheus scrape more loopback targets (e.g. the k-siss exporter) without a restart. */
export function addScrapeTargets(
  name: string,
  targets: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): string {
  return addTargets(clusterState().stateDir, name, targets, labels);
}

/** Removes targets added with addScrapeTargets. */
export function removeScrapeTargets(name: string): void {
  removeTargets(clusterState().stateDir, name);
}
