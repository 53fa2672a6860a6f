import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { makePki, type ClusterPki } from './certs.js';
import { SYSTEM_CLOCK, type Clock } from './clock.js';
import { probe } from './http-probe.js';
import { writeKubeconfig } from './kubeconfig.js';
import { REPO_DIR, LOCAL_CLUSTER_DIR, defaultStateDir, type UpstreamBinaries } from './paths.js';
import { freePorts } from './ports.js';
import {
  isRunning,
  listComponents,
  logTail,
  readComponent,
  startComponent,
  stopComponent,
} from './processes.js';
import { launchPrometheus, prometheusPaths, writePrometheusConfig } from './prometheus.js';
import type { StaticScrapeTarget } from './prometheus-config.js';
import { readState, stateFile, writeState, type ClusterState } from './state.js';
import { DEFAULT_TOPOLOGY_FILE, loadTopologyFile, nodeManifest, type Topology } from './topology.js';
import { ensureUpstreamBinaries } from './upstream.js';

/** How to start the local cluster. Every field is optional. */
export interface StartClusterOptions {
  /** State dir (pid files, logs, PKI, data); default KSISS_CLUSTER_DIR or `.cluster/`. */
  readonly stateDir?: string;
  /** Topology file; default KSISS_TOPOLOGY or local-cluster/topology.yaml. */
  readonly topologyFile?: string;
  /** Reuse a healthy cluster already running in the state dir instead of restarting it. */
  readonly reuse?: boolean;
  readonly scrapeIntervalSeconds?: number;
  /** Extra static scrape jobs (e.g. the k-siss exporter on 127.0.0.1:port). */
  readonly extraScrapeTargets?: readonly StaticScrapeTarget[];
  /** Extra http_sd endpoints Prometheus should follow. */
  readonly extraHttpSdUrls?: readonly string[];
  /** Extra kube-apiserver flags (e.g. for Knative's webhook). */
  readonly extraApiserverArgs?: readonly string[];
  /** Start Knative Serving too (default: yes unless KSISS_KNATIVE=0), via local-cluster/knative.ts. */
  readonly knative?: boolean;
  readonly log?: (line: string) => void;
  readonly clock?: Clock;
}

/** Components in start order; `down` stops them in reverse (and any other pid file it finds). */
const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'emulator',
  'prometheus',
] as const;

const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
const POD_CIDR = '10.244.0.0/16';

function defaultLog(line: string): void {
  process.stderr.write(`[local-cluster ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** The emulator's entry file and how to run it (tsx, from the repository root). */
function emulatorCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', join(LOCAL_CLUSTER_DIR, 'emulator-main.ts')],
  };
}

/**
 * Waits for `probe` like waitFor, but gives up at once when the component's process has exited (a crash at
 * start should not cost the whole timeout), and appends the end of its log to the error.
 */
async function waitForComponent<T>(
  stateDir: string,
  component: string,
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  clock: Clock,
  intervalMs = 250,
): Promise<T> {
  const checked = async (): Promise<T | undefined> => {
    const proc = readComponent(stateDir, component);
    if (proc === undefined || !isRunning(proc)) throw new ComponentExited(component);
    return probe();
  };
  const deadline = clock.now() + timeoutMs;
  let lastError: unknown;
  try {
    for (;;) {
      try {
        const value = await checked();
        if (value !== undefined) return value;
      } catch (error) {
        if (error instanceof ComponentExited) throw error;
        lastError = error;
      }
      if (clock.now() >= deadline) {
        const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, { cause: lastError });
      }
      await clock.sleep(intervalMs);
    }
  } catch (error) {
    throw new Error(
      `${component}: ${(error as Error).message}\n--- ${component} log (last lines) ---\n${logTail(stateDir, component)}`,
      {
        cause: error,
      },
    );
  }
}

class ComponentExited extends Error {
  constructor(component: string) {
    super(`the ${component} process exited`);
  }
}

/** True when every recorded process is alive and the apiserver, Prometheus and the emulator answer. */
export async function clusterHealthy(state: ClusterState): Promise<boolean> {
  const procs = listComponents(state.stateDir);
  for (const name of COMPONENTS) {
    const proc = procs.find((p) => p.name === name);
    if (proc === undefined || !isRunning(proc)) return false;
  }
  try {
    const ca = readFileSync(state.caCertFile);
    const ready = await probe(`${state.apiserverUrl}/readyz`, {
      ca,
      bearerToken: state.adminToken,
      timeoutMs: 2000,
    });
    const prom = await probe(`${state.prometheusUrl}/-/ready`, { timeoutMs: 2000 });
    const emu = await probe(`${state.emulatorUrl}/healthz`, { timeoutMs: 2000 });
    return ready.status === 200 && prom.status === 200 && emu.status === 200;
  } catch {
    return false;
  }
}

/** Stops every process recorded in the state dir (ours only: pid files are checked against /proc). */
export async function stopCluster(
  stateDir: string = defaultStateDir(),
  clock: Clock = SYSTEM_CLOCK,
): Promise<string[]> {
  const recorded = listComponents(stateDir).map((p) => p.name);
  const known = [...COMPONENTS].reverse().filter((n) => recorded.includes(n));
  const others = recorded.filter((n) => !(COMPONENTS as readonly string[]).includes(n));
  const stopped: string[] = [];
  // Knative and other add-ons first (they talk to the apiserver), then our components top-down.
  for (const name of [...others, ...known]) {
    if (await stopComponent(stateDir, name, 8000, clock)) stopped.push(name);
  }
  // Without its processes the state is a lie; logs and data stay for a post-mortem.
  rmSync(stateFile(stateDir), { force: true });
  return stopped;
}

function kubeConfigFor(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

async function createNodes(kubeconfig: string, topology: Topology): Promise<void> {
  const api = kubeConfigFor(kubeconfig).makeApiClient(CoreV1Api);
  for (const node of topology.nodes) {
    const manifest = nodeManifest(node);
    const created: V1Node = await api.createNode({ body: manifest as unknown as V1Node });
    const capacity = created.status?.capacity ?? {};
    if (Object.keys(manifest.status.capacity).some((k) => capacity[k] === undefined)) {
      // Older apiservers drop status on create; set it through the status subresource.
      await api.replaceNodeStatus({
        name: node.name,
        body: { ...created, status: { ...created.status, ...manifest.status } },
      });
    }
  }
}

async function nodesReady(kubeconfig: string, names: readonly string[]): Promise<true | undefined> {
  const api = kubeConfigFor(kubeconfig).makeApiClient(CoreV1Api);
  const list = await api.listNode();
  const ready = new Set(
    list.items
      .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata?.name ?? ''),
  );
  return names.every((n) => ready.has(n)) ? true : undefined;
}

async function defaultServiceAccountExists(kubeconfig: string): Promise<true | undefined> {
  const api = kubeConfigFor(kubeconfig).makeApiClient(CoreV1Api);
  await api.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
  return true;
}

function kwokStagesFile(stateDir: string, stagesDir: string): string {
  const stages = [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ];
  const docs = stages.map((s) => {
    const file = join(stagesDir, s);
    if (!existsSync(file))
      throw new Error(`kwok stage ${file} is missing (rebuild kwok: build-upstream.sh kwok)`);
    return readFileSync(file, 'utf8').trim();
  });
  const out = join(stateDir, 'kwok', 'stages.yaml');
  mkdirSync(join(stateDir, 'kwok'), { recursive: true });
  writeFileSync(out, `${docs.join('\n---\n')}\n`);
  return out;
}

interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly prometheus: number;
  readonly emulator: number;
}

async function allocatePorts(): Promise<Ports> {
  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, prometheus, emulator] =
    await freePorts(7);
  if (
    emulator === undefined ||
    etcdClient === undefined ||
    etcdPeer === undefined ||
    apiserver === undefined
  ) {
    throw new Error('could not allocate ports');
  }
  return {
    etcdClient,
    etcdPeer,
    apiserver,
    controllerManager: controllerManager ?? 0,
    scheduler: scheduler ?? 0,
    prometheus: prometheus ?? 0,
    emulator,
  };
}

function apiserverArgs(stateDir: string, ports: Ports, pki: ClusterPki, extra: readonly string[]): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(stateDir, 'pki')}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${pki.tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
    ...extra,
  ];
}

/** Starts the whole local cluster; returns (and writes) its state. */
export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterState> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = options.log ?? defaultLog;
  const stateDir = resolve(options.stateDir ?? defaultStateDir());
  const topologyFile = resolve(options.topologyFile ?? process.env.KSISS_TOPOLOGY ?? DEFAULT_TOPOLOGY_FILE);
  const topology = loadTopologyFile(topologyFile);

  if (options.reuse === true) {
    const existing = safeReadState(stateDir);
    if (existing !== undefined && (await clusterHealthy(existing))) {
      log(`reusing the cluster already running in ${stateDir} (${existing.apiserverUrl})`);
      const wantKnative = options.knative ?? process.env.KSISS_KNATIVE !== '0';
      const knativeProcs = listComponents(stateDir).filter((p) => p.name.startsWith('knative'));
      const knativeUp =
        existing.knative !== undefined &&
        !('error' in existing.knative) &&
        knativeProcs.length > 0 &&
        knativeProcs.every(isRunning);
      if (!wantKnative || knativeUp) return existing;
      // Knative was not started, failed, or a process of it died: startKnative is idempotent, run it again.
      const knative = await startKnativeIfAvailable(stateDir, existing.kubeconfig, log, clock);
      const updated: ClusterState = { ...existing, knative };
      writeState(updated);
      return updated;
    }
  }

  const { binaries, buildSeconds } = await ensureUpstreamBinaries(log, clock);
  const started = clock.now();

  // A stale state dir from a crashed run: stop what still runs from it, then start from empty.
  const stopped = await stopCluster(stateDir, clock);
  if (stopped.length > 0) log(`stopped leftovers of an earlier run: ${stopped.join(', ')}`);
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });

  try {
    return await startComponents(
      stateDir,
      topologyFile,
      topology,
      binaries,
      buildSeconds,
      started,
      options,
      log,
      clock,
    );
  } catch (error) {
    log(`start failed; stopping what was started (logs stay in ${join(stateDir, 'logs')})`);
    await stopCluster(stateDir, clock);
    throw error;
  }
}

function safeReadState(stateDir: string): ClusterState | undefined {
  try {
    return readState(stateDir);
  } catch {
    return undefined;
  }
}

async function startComponents(
  stateDir: string,
  topologyFile: string,
  topology: Topology,
  bins: UpstreamBinaries,
  buildSeconds: number,
  started: number,
  options: StartClusterOptions,
  log: (line: string) => void,
  clock: Clock,
): Promise<ClusterState> {
  const ports = await allocatePorts();
  const pki = makePki(join(stateDir, 'pki'));
  const kubeconfig = join(stateDir, 'kubeconfig');
  const apiserverUrl = `https://127.0.0.1:${ports.apiserver}`;
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;

  log(`etcd on ${etcdUrl}`);
  startComponent(stateDir, 'etcd', bins.etcd, [
    '--name=k-siss-local',
    `--data-dir=${join(stateDir, 'etcd-data')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
    `--initial-cluster=k-siss-local=http://127.0.0.1:${ports.etcdPeer}`,
    '--unsafe-no-fsync',
    '--quota-backend-bytes=4294967296',
    '--log-level=warn',
  ]);
  await waitForComponent(
    stateDir,
    'etcd',
    'etcd /health',
    async () => ((await probe(`${etcdUrl}/health`)).body.includes('"true"') ? true : undefined),
    30_000,
    clock,
  );

  log(`kube-apiserver on ${apiserverUrl}`);
  startComponent(
    stateDir,
    'kube-apiserver',
    bins.kubeApiserver,
    apiserverArgs(stateDir, ports, pki, options.extraApiserverArgs ?? []),
  );
  const ca = readFileSync(pki.caCert);
  await waitForComponent(
    stateDir,
    'kube-apiserver',
    'kube-apiserver /readyz',
    async () =>
      (await probe(`${apiserverUrl}/readyz`, { ca, bearerToken: pki.adminToken })).status === 200
        ? true
        : undefined,
    90_000,
    clock,
    500,
  );
  writeKubeconfig(kubeconfig, apiserverUrl, pki.caCert, pki.adminToken);

  const common = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--v=1',
  ];
  log('kube-controller-manager, kube-scheduler, kwok');
  startComponent(stateDir, 'kube-controller-manager', bins.kubeControllerManager, [
    ...common,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(stateDir, 'kcm-certs')}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--use-service-account-credentials=false',
  ]);
  startComponent(stateDir, 'kube-scheduler', bins.kubeScheduler, [
    ...common,
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${join(stateDir, 'scheduler-certs')}`,
  ]);
  startComponent(stateDir, 'kwok', bins.kwok, [
    `--kubeconfig=${kubeconfig}`,
    `--config=${kwokStagesFile(stateDir, bins.kwokStagesDir)}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-lease-duration-seconds=40',
    '--node-ip=127.0.0.1',
    `--cidr=${POD_CIDR}`,
  ]);

  log(`creating ${topology.nodes.length} nodes from ${topologyFile}`);
  await createNodes(kubeconfig, topology);
  const names = topology.nodes.map((n) => n.name);
  await waitForComponent(
    stateDir,
    'kwok',
    'kwok to mark the nodes Ready',
    () => nodesReady(kubeconfig, names),
    60_000,
    clock,
    500,
  );
  for (const [name, port] of [
    ['kube-controller-manager', ports.controllerManager],
    ['kube-scheduler', ports.scheduler],
  ] as const) {
    await waitForComponent(
      stateDir,
      name,
      `${name} /healthz`,
      async () =>
        (await probe(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200
          ? true
          : undefined,
      60_000,
      clock,
    );
  }
  await waitForComponent(
    stateDir,
    'kube-controller-manager',
    'the default ServiceAccount (controller-manager)',
    () => defaultServiceAccountExists(kubeconfig),
    60_000,
    clock,
    500,
  );

  const emulatorUrl = `http://127.0.0.1:${ports.emulator}`;
  log(`emulator on ${emulatorUrl}`);
  const emu = emulatorCommand();
  startComponent(
    stateDir,
    'emulator',
    emu.command,
    [...emu.args, `--kubeconfig=${kubeconfig}`, `--port=${ports.emulator}`],
    process.env,
    REPO_DIR,
  );
  await waitForComponent(
    stateDir,
    'emulator',
    'emulator /healthz',
    async () => ((await probe(`${emulatorUrl}/healthz`)).status === 200 ? true : undefined),
    60_000,
    clock,
    500,
  );

  const scrapeIntervalSeconds = options.scrapeIntervalSeconds ?? 1;
  const staticTargets = options.extraScrapeTargets ?? [];
  const httpSdUrls = options.extraHttpSdUrls ?? [];
  writePrometheusConfig({
    stateDir,
    port: ports.prometheus,
    scrapeIntervalSeconds,
    emulatorPort: ports.emulator,
    staticTargets,
    httpSdUrls,
  });
  log(`prometheus on http://127.0.0.1:${ports.prometheus}`);
  const prometheusUrl = await launchPrometheus(stateDir, ports.prometheus, clock);

  const knative =
    (options.knative ?? process.env.KSISS_KNATIVE !== '0')
      ? await startKnativeIfAvailable(stateDir, kubeconfig, log, clock)
      : undefined;

  const state: ClusterState = {
    version: 1,
    stateDir,
    kubeconfig,
    apiserverUrl,
    adminToken: pki.adminToken,
    caCertFile: pki.caCert,
    etcdUrl,
    prometheusUrl,
    emulatorUrl,
    kubectl: bins.kubectl,
    topologyFile,
    nodes: names,
    ports,
    prometheus: {
      scrapeIntervalSeconds,
      staticTargets: staticTargets.map((t) => ({ ...t, targets: [...t.targets] })),
      httpSdUrls: [...httpSdUrls],
      fileSdDir: prometheusPaths(stateDir).fileSdDir,
    },
    startedAtMs: clock.now(),
    startSeconds: Math.round((clock.now() - started) / 100) / 10,
    buildSeconds,
    ...(knative === undefined ? {} : { knative }),
  };
  writeState(state);
  log(`up in ${state.startSeconds} s (state: ${stateFile(stateDir)}; kubectl --kubeconfig ${kubeconfig})`);
  return state;
}

/**
 * Starts Knative Serving through local-cluster/knative.ts (owned by the Knative helper), loaded dynamically so
 * the base cluster does not depend on it. A failure is recorded in state.knative.error, not thrown: the
 * suites that need no Knative still run, and the Knative ones fail with that message.
 */
async function startKnativeIfAvailable(
  stateDir: string,
  kubeconfig: string,
  log: (line: string) => void,
  clock: Clock,
): Promise<Record<string, unknown>> {
  try {
    const mod: Record<string, unknown> = await import('./knative.js');
    const start = mod.startKnative;
    if (typeof start !== 'function') return { error: 'local-cluster/knative.ts exports no startKnative' };
    log('knative serving (webhook, controller, autoscaler, ingress stand-in)');
    const begin = clock.now();
    const handle: unknown = await start({ stateDir, kubeconfigPath: kubeconfig }, clock);
    const seconds = Math.round((clock.now() - begin) / 100) / 10;
    log(`knative up in ${seconds} s`);
    return { ...(typeof handle === 'object' && handle !== null ? handle : {}), startSeconds: seconds };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`KNATIVE FAILED TO START (the Knative suites will fail): ${message}`);
    return { error: message };
  }
}

/** One line per component: running or not, pid, log file. */
export function clusterStatus(stateDir: string = defaultStateDir()): {
  state: ClusterState | undefined;
  lines: string[];
} {
  const state = safeReadState(stateDir);
  const lines = listComponents(stateDir).map(
    (p) =>
      `${p.name.padEnd(24)} ${isRunning(p) ? 'running' : 'DEAD   '} pid ${String(p.pid).padEnd(8)} ${p.logFile}`,
  );
  return { state, lines };
}
