import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';

import { applyManifests, readManifests, type Manifest } from './apply-manifests.js';
import { withNamespaceRbac } from './namespace-rbac.js';
import { serviceAccountKubeConfig, writeKubeConfigFile } from './service-account-kubeconfig.js';

/**
 * The demo scenario, shared by `make demo` (demo/run-demo.ts) and the dashboard test: the shipped manifests
 * deployed to the local cluster, the controller run as a local process that authenticates with the deployed
 * ServiceAccount's own token, a Knative Service on the smallest MIG slice, and the emulated workload's load.
 */
export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CONTROLLER_NAMESPACE = 'k-siss-system';
export const DEMO_NAMESPACE = 'k-siss-demo';
export const DEMO_SERVICE = 'chat';
/**
 * The demo's SLO: p99 time to first token, milliseconds. (Time per output token is a poor SLO here: under
 * continuous batching an overloaded replica queues requests, which shows in TTFT, while TPOT stays bounded.)
 */
export const DEMO_SLO_MS = 500;
/** The image of emulated inference servers (by digest: kwok plays the kubelet, nothing is pulled). */
export const EMULATED_IMAGE =
  'registry.invalid/k-siss/llm-emulator@sha256:0000000000000000000000000000000000000000000000000000000000000002';
const FIELD_MANAGER = 'k-siss-demo';
const SERVING = { group: 'serving.knative.dev', version: 'v1' } as const;

/** p99 TTFT of the service over all its revisions, seconds (the timeline's view; the controller's is per revision). */
export function p99Query(namespace: string, service: string, window = '20s'): string {
  return `histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{namespace="${namespace}",service="${service}"}[${window}])))`;
}

/** The demo's `autoscaler-config`: quick cooldowns so a ramp shows several moves within minutes. */
export function demoConfigMap(): Manifest {
  const service = `metrics:
  - name: ttft_p99
    query: histogram_quantile(0.99, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{namespace="{{namespace}}",pod=~"{{podRegex}}"}[20s])))
    slo: ${DEMO_SLO_MS / 1000}
    scaleUpFactor: 1.0
    scaleDownFactor: 0.15
settings:
  namespace: ${DEMO_NAMESPACE}
  policy: step
  ladder: [mig-1g.10gb, mig-2g.20gb, mig-3g.40gb]
  minReplicas: 1
  maxReplicas: 1
  cooldownSeconds: 10
  scaleUpStabilizationSeconds: 0
  scaleDownStabilizationSeconds: 20
  migration:
    readyTimeoutSeconds: 90
    drainSeconds: 2
    trafficSteps: [100]
    stepPauseSeconds: 0
    tierBackoffSeconds: 60
`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'autoscaler-config', namespace: CONTROLLER_NAMESPACE },
    data: {
      _global: `namespaces: [${DEMO_NAMESPACE}]\nintervalSeconds: 2\n`,
      [DEMO_SERVICE]: service,
    },
  } as Manifest;
}

/** The demo Knative Service: one emulated LLM server on a `mig-1g.10gb` slice (requests = limits). */
export function demoKnativeService(): Manifest {
  const gpu = { 'nvidia.com/mig-1g.10gb': '1' };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: DEMO_SERVICE, namespace: DEMO_NAMESPACE },
    spec: {
      template: {
        metadata: {
          annotations: { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '1' },
        },
        spec: {
          containers: [
            {
              name: 'llm',
              image: EMULATED_IMAGE,
              resources: {
                requests: { cpu: '1', memory: '10Gi', ...gpu },
                limits: { memory: '10Gi', ...gpu },
              },
            },
          ],
        },
      },
    },
  } as Manifest;
}

/** Deploys configuration.yaml and the CRD (as `make deploy`), the demo config, namespace and service. */
export async function deployDemo(admin: KubeConfig, log: (line: string) => void): Promise<void> {
  // No container runtime here: the in-cluster Deployment's pods would be kwok stand-ins that run nothing, so
  // it is applied with 0 replicas; the controller runs as a local process instead (startLocalController),
  // with the same ServiceAccount's identity.
  const shipped = (
    await readManifests([join(REPO_DIR, 'policy/crd.yaml'), join(REPO_DIR, 'configuration.yaml')])
  ).map((m) =>
    m.kind === 'Deployment'
      ? ({ ...m, spec: { ...(m as { spec?: object }).spec, replicas: 0 } } as Manifest)
      : m,
  );
  await applyManifests(admin, shipped, { fieldManager: FIELD_MANAGER });
  log(`deployed configuration.yaml and policy/crd.yaml (${shipped.length} objects, server-side apply)`);
  // The write verbs of the demo namespace, generated as `make deploy` does from the demo config's namespaces.
  const rbacTemplate = await readManifests([join(REPO_DIR, 'namespace-rbac.yaml')]);
  await applyManifests(
    admin,
    [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } } as Manifest,
      ...withNamespaceRbac([demoConfigMap()], rbacTemplate),
    ],
    { fieldManager: FIELD_MANAGER },
  );
  await removeDemoService(admin);
  await applyManifests(admin, [demoKnativeService()], { fieldManager: FIELD_MANAGER });
  log(
    `demo config in ${CONTROLLER_NAMESPACE}/autoscaler-config; Knative Service ${DEMO_NAMESPACE}/${DEMO_SERVICE} on mig-1g.10gb`,
  );
}

/**
 * Deletes the demo Knative Service (if any) and waits until it is gone, so a run starts from one fresh
 * revision on mig-1g.10gb with no queue left over from an earlier run.
 */
export async function removeDemoService(admin: KubeConfig, timeoutMs = 120_000): Promise<void> {
  const api = admin.makeApiClient(CustomObjectsApi);
  const target = { ...SERVING, namespace: DEMO_NAMESPACE, plural: 'services', name: DEMO_SERVICE };
  try {
    await api.deleteNamespacedCustomObject({ ...target, propagationPolicy: 'Foreground' });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return;
    throw error;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = await api.getNamespacedCustomObject(target).then(
      () => false,
      (error: unknown) => (error as { code?: number }).code === 404,
    );
    if (gone) return;
    if (Date.now() > deadline)
      throw new Error(`${DEMO_NAMESPACE}/${DEMO_SERVICE} still exists after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until the demo service is Ready and serving its latest revision. */
export async function waitForDemoService(admin: KubeConfig, timeoutMs = 120_000): Promise<string> {
  const api = admin.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const service = (await api.getNamespacedCustomObject({
      ...SERVING,
      namespace: DEMO_NAMESPACE,
      plural: 'services',
      name: DEMO_SERVICE,
    })) as {
      status?: {
        conditions?: Array<{ type: string; status: string; message?: string }>;
        latestReadyRevisionName?: string;
      };
    };
    const ready = service.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True' && service.status?.latestReadyRevisionName !== undefined) {
      return service.status.latestReadyRevisionName;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Knative Service ${DEMO_NAMESPACE}/${DEMO_SERVICE} not Ready: ${ready?.message ?? 'no status'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A controller process started by `startLocalController`. */
export interface LocalController {
  readonly metricsUrl: string;
  readonly port: number;
  readonly logFile: string;
  readonly process: ChildProcess;
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Where the local controller runs and what it talks to. */
export interface LocalControllerOptions {
  readonly admin: KubeConfig;
  readonly prometheusUrl: string;
  readonly port: number;
  /** Directory for the ServiceAccount kubeconfig and the controller log. */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/**
 * Runs `k-siss run` (tsx, from the sources) as a local process authenticated with a TokenRequest token of
 * the deployed ServiceAccount, so every API call goes through the shipped RBAC.
 */
export async function startLocalController(options: LocalControllerOptions): Promise<LocalController> {
  const kubeconfigFile = join(options.workDir, 'k-siss-autoscaler.kubeconfig');
  const asServiceAccount = await serviceAccountKubeConfig(options.admin, {
    namespace: CONTROLLER_NAMESPACE,
    serviceAccount: 'k-siss-autoscaler',
    expirationSeconds: 3600,
  });
  await writeKubeConfigFile(asServiceAccount, kubeconfigFile);
  options.log(`ServiceAccount token written to ${kubeconfigFile} (TokenRequest API, 1 h)`);
  const logFile = join(options.workDir, 'k-siss-controller.log');
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_DIR, 'cli/main.ts'),
      'run',
      '--kubeconfig',
      kubeconfigFile,
      '--metrics-port',
      String(options.port),
      '--leader-elect',
    ],
    {
      cwd: REPO_DIR,
      env: {
        ...process.env,
        KUBECONFIG: '',
        NAMESPACE: CONTROLLER_NAMESPACE,
        POD_NAME: 'k-siss-demo-controller',
        PROMETHEUS_URL: options.prometheusUrl,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const metricsUrl = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const status = await fetch(`${metricsUrl}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the controller did not become ready (exit ${child.exitCode}); log: ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  options.log(
    `controller running as system:serviceaccount:${CONTROLLER_NAMESPACE}:k-siss-autoscaler, ${metricsUrl}/metrics`,
  );
  return {
    metricsUrl,
    port: options.port,
    logFile,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A phase of the load the emulator offers the demo service. */
export interface LoadPhase {
  readonly atSeconds: number;
  readonly label: string;
  readonly profile: Readonly<Record<string, unknown>>;
}

/**
 * The demo's load: steady, a ramp that outgrows 1g (about 2.5 rps) and then 2g (about 17 rps), a hold, and
 * back down to where 3g is more than needed.
 */
export function demoLoadPhases(scale = 1): LoadPhase[] {
  const s = (seconds: number) => Math.round(seconds * scale);
  const shape = { promptTokens: 512, outputTokens: 128 };
  return [
    { atSeconds: 0, label: 'steady 1 rps', profile: { kind: 'constant', requestsPerSecond: 1, ...shape } },
    {
      atSeconds: s(20),
      label: `ramp 1 -> 20 rps over ${s(50)} s`,
      profile: {
        kind: 'ramp',
        fromRequestsPerSecond: 1,
        toRequestsPerSecond: 20,
        durationSeconds: s(50),
        ...shape,
      },
    },
    {
      atSeconds: s(70),
      label: 'hold 20 rps',
      profile: { kind: 'constant', requestsPerSecond: 20, ...shape },
    },
    {
      atSeconds: s(120),
      label: `ramp 20 -> 0.5 rps over ${s(30)} s`,
      profile: {
        kind: 'ramp',
        fromRequestsPerSecond: 20,
        toRequestsPerSecond: 0.5,
        durationSeconds: s(30),
        ...shape,
      },
    },
    {
      atSeconds: s(150),
      label: 'hold 0.5 rps',
      profile: { kind: 'constant', requestsPerSecond: 0.5, ...shape },
    },
  ];
}

/** Sets the emulator's load profile of the demo service. */
export async function setDemoLoad(
  emulatorUrl: string,
  profile: Readonly<Record<string, unknown>>,
): Promise<void> {
  const response = await fetch(`${emulatorUrl}/load/${DEMO_NAMESPACE}/${DEMO_SERVICE}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(profile),
  });
  if (!response.ok) throw new Error(`emulator PUT /load: ${response.status} ${await response.text()}`);
}

/** Removes the demo service's load profile. */
export async function clearDemoLoad(emulatorUrl: string): Promise<void> {
  await fetch(`${emulatorUrl}/load/${DEMO_NAMESPACE}/${DEMO_SERVICE}`, { method: 'DELETE' }).catch(
    () => undefined,
  );
}

/** The load the emulator is offering the demo service now, requests per second. */
export async function currentDemoLoad(emulatorUrl: string): Promise<number | undefined> {
  const views = (await (await fetch(`${emulatorUrl}/load`)).json()) as Array<{
    namespace: string;
    service: string;
    currentRequestsPerSecond?: number;
  }>;
  return views.find((v) => v.namespace === DEMO_NAMESPACE && v.service === DEMO_SERVICE)
    ?.currentRequestsPerSecond;
}

/** One instant query against Prometheus; `undefined` when there is no (finite) value. */
export async function promScalar(prometheusUrl: string, expr: string): Promise<number | undefined> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    data?: { result: Array<{ value: [number, string] }> };
  };
  const value = Number(body.data?.result[0]?.value[1]);
  return body.status === 'success' && Number.isFinite(value) ? value : undefined;
}
