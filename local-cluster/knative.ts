/**
 * Real Knative Serving (controller, webhook, autoscaler built from upstream by build-knative.sh) in the local
 * cluster: applies its namespace, CRDs, RBAC, ConfigMaps and webhook configurations from the module's config/,
 * runs the three binaries as local processes against the API server, makes the webhook reachable from the
 * API server (ExternalName Service -> localhost, webhook port written into the webhook configurations), and
 * starts the KIngress stand-in (knative-ingress-standin.ts; there is no networking layer).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { SYSTEM_CLOCK, waitFor, type Clock } from './clock.js';
import { cacheDir, readVersions, REPO_DIR } from './paths.js';
import { freePorts } from './ports.js';
import { isRunning, logTail, readComponent, startComponent, stopComponent } from './processes.js';

/** What startKnative needs of the base cluster. */
export interface KnativeHostCluster {
  /** The cluster's state dir (pids/, logs/). */
  readonly stateDir: string;
  /** Admin kubeconfig of the API server. */
  readonly kubeconfigPath: string;
}

/** The running Knative Serving. */
export interface KnativeHandle {
  readonly namespace: 'knative-serving';
  readonly webhookPort: number;
  readonly components: readonly string[];
}

export const KNATIVE_NAMESPACE = 'knative-serving';
/** Image used for queue-proxy: by digest, so the controller never asks a registry to resolve a tag. */
export const QUEUE_PROXY_IMAGE =
  'registry.invalid/knative/queue@sha256:0000000000000000000000000000000000000000000000000000000000000001';
/** An image by digest for test services (never pulled: kwok plays the kubelet). */
export const TEST_IMAGE =
  'registry.invalid/k-siss/llm-emulator@sha256:0000000000000000000000000000000000000000000000000000000000000002';

/** A loopback port nothing listens on (TCP port 1, tcpmux): every proxied request fails at once. */
const CLOSED_PROXY = 'http://127.0.0.1:1';

const COMPONENTS = [
  'knative-webhook',
  'knative-controller',
  'knative-autoscaler',
  'knative-ingress-standin',
] as const;
const FIELD_MANAGER = 'k-siss-harness';

/** The cached build: binaries and the module's config/ (serving, networking and caching parts). */
export function knativeDir(): string {
  return join(cacheDir(), `knative-serving-${readVersions().knativeServing}`);
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (entry.endsWith('.yaml')) out.push(path);
  }
  return out;
}

type Manifest = KubernetesObject & Record<string, unknown>;

function readManifests(files: readonly string[]): Manifest[] {
  const out: Manifest[] = [];
  for (const file of files) {
    for (const doc of loadAll(readFileSync(file, 'utf8'))) {
      if (doc !== null && typeof doc === 'object' && 'kind' in doc) out.push(doc as Manifest);
    }
  }
  return out;
}

/** The ConfigMap data the local cluster needs on top of upstream defaults. */
export const CONFIG_OVERRIDES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'config-deployment': {
    'queue-sidecar-image': QUEUE_PROXY_IMAGE,
    // Belt and braces: images in tests are by digest anyway; nothing may contact a registry.
    'registries-skipping-tag-resolving':
      'registry.invalid,kind.local,ko.local,dev.local,docker.io,index.docker.io',
    'progress-deadline': '600s',
  },
  // A restarted component gets a new identity and waits out the old lease: keep that short in tests.
  'config-leader-election': {
    'lease-duration': '15s',
    'renew-deadline': '10s',
    'retry-period': '2s',
  },
  'config-autoscaler': {
    'target-burst-capacity': '-1',
    'enable-scale-to-zero': 'false',
  },
};

function prepare(manifests: readonly Manifest[], webhookPort: number): Manifest[] {
  const out: Manifest[] = [];
  for (const m of manifests) {
    const name = m.metadata?.name ?? '';
    // Workloads run as local processes; the activator is not run (the SKS then forces Serve mode).
    if (['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Image'].includes(m.kind ?? ''))
      continue;
    if (m.kind === 'Service') continue; // made below
    if (m.kind === 'Certificate') continue; // needs cert-manager; system-internal TLS is off
    if (m.kind === 'ConfigMap' && CONFIG_OVERRIDES[name] !== undefined) {
      const data = { ...((m.data as Record<string, string> | undefined) ?? {}), ...CONFIG_OVERRIDES[name] };
      out.push({ ...m, data });
      continue;
    }
    if (m.kind === 'MutatingWebhookConfiguration' || m.kind === 'ValidatingWebhookConfiguration') {
      const webhooks = (m.webhooks as Array<Record<string, unknown>>).map((w) => {
        const clientConfig = w.clientConfig as { service: Record<string, unknown> };
        return {
          ...w,
          clientConfig: { ...clientConfig, service: { ...clientConfig.service, port: webhookPort } },
        };
      });
      out.push({ ...m, webhooks });
      continue;
    }
    out.push(m);
  }
  const service = (name: string, spec: Record<string, unknown>): Manifest => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: KNATIVE_NAMESPACE },
    spec,
  });
  // The API server reaches the webhook through this ExternalName (its ServerName stays webhook.knative-serving.svc).
  out.push(
    service('webhook', {
      type: 'ExternalName',
      externalName: 'localhost',
      ports: [{ name: 'https-webhook', port: webhookPort }],
    }),
  );
  // The SKS reconciler reads this Service's Endpoints; with no activator pods they are empty.
  out.push(
    service('activator-service', {
      selector: { app: 'activator' },
      ports: [{ name: 'http', port: 80, targetPort: 8012 }],
    }),
  );
  return out;
}

function rank(m: Manifest): number {
  if (m.kind === 'Namespace') return 0;
  if (m.kind === 'CustomResourceDefinition') return 1;
  if (m.kind === 'MutatingWebhookConfiguration' || m.kind === 'ValidatingWebhookConfiguration') return 4;
  if (m.kind === 'ConfigMap') return 2;
  return 3;
}

async function applyAll(kc: KubeConfig, manifests: readonly Manifest[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const m of [...manifests].sort((a, b) => rank(a) - rank(b))) {
    const { status: _status, ...body } = m;
    try {
      await api.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      throw new Error(`applying ${m.kind} ${m.metadata?.namespace ?? ''}/${m.metadata?.name ?? ''} failed`, {
        cause: error,
      });
    }
    if (m.kind === 'CustomResourceDefinition') await waitEstablished(kc, m.metadata?.name ?? '');
  }
}

async function waitEstablished(kc: KubeConfig, crd: string): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  await waitFor(
    `CRD ${crd} established`,
    async () => {
      const got = (await api.read({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd },
      })) as KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    },
    30_000,
  );
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

/** Starts Knative Serving against the cluster; idempotent (already running components are left alone). */
export async function startKnative(
  cluster: KnativeHostCluster,
  clock: Clock = SYSTEM_CLOCK,
): Promise<KnativeHandle> {
  const dir = knativeDir();
  const bin = (name: string) => join(dir, 'bin', name);
  for (const name of ['controller', 'webhook', 'autoscaler']) {
    if (!existsSync(bin(name))) {
      throw new Error(`Knative binary ${bin(name)} is missing: run local-cluster/build-knative.sh first`);
    }
  }
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const previous = readComponent(cluster.stateDir, 'knative-webhook');
  const portFile = join(cluster.stateDir, 'knative-webhook-port');
  const running = previous !== undefined && isRunning(previous) && existsSync(portFile);
  const [webhookPort, ...profilingPorts] = running
    ? [Number(readFileSync(portFile, 'utf8').trim()), 0, 0, 0]
    : await freePorts(4);
  if (webhookPort === undefined || Number.isNaN(webhookPort)) throw new Error('knative: no webhook port');
  mkdirSync(cluster.stateDir, { recursive: true });
  writeFileSync(portFile, String(webhookPort));
  if (!running && (await portOpen(8080))) {
    throw new Error('knative: port 8080 is taken; the Knative autoscaler binds :8080 (hard-coded upstream)');
  }
  if (!running) await deleteWebhookConfigurations(kc);
  const files = [
    ...yamlFiles(join(dir, 'config', 'serving')),
    ...yamlFiles(join(dir, 'config', 'networking')),
    ...yamlFiles(join(dir, 'config', 'caching')),
  ];
  await applyAll(kc, prepare(readManifests(files), webhookPort));

  const env = (component: string, profilingPort: number | undefined, extra: Record<string, string> = {}) => ({
    ...process.env,
    SYSTEM_NAMESPACE: KNATIVE_NAMESPACE,
    POD_NAME: `${component}-local`,
    // Only published in the autoscaler's bucket EndpointSlice (which rejects loopback); with one autoscaler
    // nobody dials it. TEST-NET-2 (RFC 5737) is never routed.
    POD_IP: '198.51.100.10',
    CONFIG_LOGGING_NAME: 'config-logging',
    CONFIG_OBSERVABILITY_NAME: 'config-observability',
    METRICS_DOMAIN: 'knative.dev/internal/serving',
    PROFILING_PORT: String(profilingPort ?? 0),
    KUBECONFIG: cluster.kubeconfigPath,
    // Knative's autoscaler scrapes queue-proxy on pod IPs (kwok's fake 10.244.x.x) and the controller would ask
    // registries for digests: send every plain HTTP(S) request to a closed loopback port, so nothing leaves the
    // machine. Go never proxies loopback, so the API server (https://127.0.0.1) is reached directly.
    HTTP_PROXY: CLOSED_PROXY,
    HTTPS_PROXY: CLOSED_PROXY,
    http_proxy: CLOSED_PROXY,
    https_proxy: CLOSED_PROXY,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...extra,
  });
  const start = (name: string, command: string, args: string[], environment: NodeJS.ProcessEnv) => {
    const proc = readComponent(cluster.stateDir, name);
    if (proc !== undefined && isRunning(proc)) return;
    startComponent(cluster.stateDir, name, command, args, environment, REPO_DIR);
  };
  start(
    'knative-webhook',
    bin('webhook'),
    ['--kubeconfig', cluster.kubeconfigPath],
    env('webhook', profilingPorts[0], { WEBHOOK_NAME: 'webhook', WEBHOOK_PORT: String(webhookPort) }),
  );
  await waitFor(
    `Knative webhook on 127.0.0.1:${webhookPort} (log: ${cluster.stateDir}/logs/knative-webhook.log)`,
    async () => ((await portOpen(webhookPort)) ? true : undefined),
    90_000,
    clock,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${logTail(cluster.stateDir, 'knative-webhook')}`, { cause: error });
  });
  await waitForCaBundles(kc, clock);
  start(
    'knative-controller',
    bin('controller'),
    ['--kubeconfig', cluster.kubeconfigPath],
    env('controller', profilingPorts[1]),
  );
  start(
    'knative-autoscaler',
    bin('autoscaler'),
    ['--kubeconfig', cluster.kubeconfigPath],
    env('autoscaler', profilingPorts[2]),
  );
  start(
    'knative-ingress-standin',
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_DIR, 'local-cluster', 'knative-ingress-standin.ts'),
      '--kubeconfig',
      cluster.kubeconfigPath,
    ],
    process.env,
  );
  return { namespace: KNATIVE_NAMESPACE, webhookPort, components: COMPONENTS };
}

const WEBHOOK_CONFIGURATIONS: ReadonlyArray<readonly [string, string]> = [
  ['MutatingWebhookConfiguration', 'webhook.serving.knative.dev'],
  ['ValidatingWebhookConfiguration', 'validation.webhook.serving.knative.dev'],
  ['ValidatingWebhookConfiguration', 'config.webhook.serving.knative.dev'],
];

/** A restart with the webhook down: its configurations (failurePolicy Fail) would block the apply; they are re-applied. */
async function deleteWebhookConfigurations(kc: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const [kind, name] of WEBHOOK_CONFIGURATIONS) {
    await api
      .delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name } })
      .catch(() => undefined); // absent on a first start
  }
}

async function waitForCaBundles(kc: KubeConfig, clock: Clock): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const [kind, name] of WEBHOOK_CONFIGURATIONS) {
    await waitFor(
      `${kind} ${name} to get its caBundle from the Knative webhook`,
      async () => {
        const got = (await api.read({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind,
          metadata: { name },
        })) as KubernetesObject & { webhooks?: Array<{ clientConfig?: { caBundle?: string } }> };
        return got.webhooks?.every((w) => (w.clientConfig?.caBundle ?? '').length > 0) ? true : undefined;
      },
      90_000,
      clock,
      500,
    );
  }
}

/** Stops the Knative processes (the objects stay in the API server until the cluster goes). */
export async function stopKnative(cluster: Pick<KnativeHostCluster, 'stateDir'>): Promise<void> {
  for (const name of [...COMPONENTS].reverse()) await stopComponent(cluster.stateDir, name);
}

/** Whether a Knative Service is Ready (used by tests and the smoke check). */
export async function knativeServiceReady(kc: KubeConfig, namespace: string, name: string): Promise<boolean> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const svc = (await api.getNamespacedCustomObject({
    group: 'serving.knative.dev',
    version: 'v1',
    namespace,
    plural: 'services',
    name,
  })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
  return svc.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
