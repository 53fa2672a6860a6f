import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  type Informer,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import { Counter, Gauge, Registry } from 'prom-client';
import { DEFAULT_CATALOG, type GpuTier, type TierCatalog } from '../gpu-registry/index.js';
import {
  DEFAULT_MODEL,
  ReplicaEngine,
  tierPerformance,
  type CompletedRequest,
  type InferenceRequest,
  type LlmModel,
  type TierPerformance,
} from '../service-model/index.js';
import { readTraceFile } from '../simulator/index.js';
import { SYSTEM_CLOCK, type Clock } from './clock.js';
import {
  jitteredShape,
  parseLoadProfile,
  poissonArrivals,
  rateAt,
  seededRandom,
  type LoadProfile,
} from './load-profile.js';
import { PodMetrics } from './pod-metrics.js';
import { podTier } from './pod-tier.js';
import { GPU_MODEL_LABEL } from './topology.js';
import { splitTraffic, type TrafficTarget } from './traffic-split.js';

/** Label of Knative revision pods naming their service. */
export const KNATIVE_SERVICE_LABEL = 'serving.knative.dev/service';
/** Label of Knative revision pods naming their revision. */
export const KNATIVE_REVISION_LABEL = 'serving.knative.dev/revision';
/** Label marking Deployment/StatefulSet pods as emulated inference servers. */
export const EMULATED_LABEL = 'k-siss.io/emulated';
/** Optional label overriding the service name of an emulated Deployment/StatefulSet pod. */
export const SERVICE_LABEL = 'k-siss.io/service';

/** How to run the emulator. */
export interface EmulatorOptions {
  readonly kubeConfig: KubeConfig;
  readonly port: number;
  readonly clock?: Clock;
  readonly tickMs?: number;
  readonly catalog?: TierCatalog;
  readonly model?: LlmModel;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

/** Which emulated service a pod serves, derived from its labels and owner. */
export interface PodService {
  readonly namespace: string;
  readonly service: string;
  readonly revision?: string;
  readonly kind: 'knative' | 'workload';
}

/** The service an emulated pod belongs to, or undefined for pods the emulator ignores. Pure. */
export function podService(pod: V1Pod): PodService | undefined {
  const labels = pod.metadata?.labels ?? {};
  const namespace = pod.metadata?.namespace ?? 'default';
  const knative = labels[KNATIVE_SERVICE_LABEL];
  if (knative !== undefined) {
    const revision = labels[KNATIVE_REVISION_LABEL];
    return { namespace, service: knative, kind: 'knative', ...(revision === undefined ? {} : { revision }) };
  }
  if (labels[EMULATED_LABEL] !== 'true') return undefined;
  const explicit = labels[SERVICE_LABEL];
  if (explicit !== undefined) return { namespace, service: explicit, kind: 'workload' };
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller === true) ?? pod.metadata?.ownerReferences?.[0];
  const hash = labels['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet' && hash !== undefined && owner.name.endsWith(`-${hash}`)) {
    return { namespace, service: owner.name.slice(0, -hash.length - 1), kind: 'workload' };
  }
  if (owner !== undefined) return { namespace, service: owner.name, kind: 'workload' };
  return { namespace, service: pod.metadata?.name ?? 'unknown', kind: 'workload' };
}

/** True when the pod is Running, Ready and not being deleted. Pure. */
export function podReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return false;
  if (pod.status?.phase !== 'Running') return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

interface EmulatedPod {
  readonly key: string;
  readonly name: string;
  readonly service: PodService;
  readonly node: string;
  readonly tier?: GpuTier;
  readonly problem?: string;
  readonly performance?: TierPerformance;
  readonly engine?: ReplicaEngine;
  readonly metrics?: PodMetrics;
  readonly readySinceMs: number;
  offeredRequestsPerSecond: number;
  lastBusyMs: number;
  lastTickMs: number;
  gpuUtilPercent: number;
  recentLatencySeconds: number | undefined;
}

interface ServiceLoad {
  readonly profile: LoadProfile;
  readonly sinceMs: number;
  /** Trace profiles: the trace's requests (ms from its start) and its duration. */
  readonly trace?: { readonly requests: readonly InferenceRequest[]; readonly durationMs: number };
  unservedRequests: number;
  sentRequests: number;
  currentRequestsPerSecond: number;
}

/** The state of one pod as `GET /pods` shows it. */
export interface PodView {
  readonly namespace: string;
  readonly pod: string;
  readonly service: string;
  readonly revision?: string;
  readonly node: string;
  readonly tier?: string;
  readonly problem?: string;
  readonly offeredRequestsPerSecond: number;
  readonly queueLength: number;
  readonly runningRequests: number;
  readonly kvUsage: number;
  readonly gpuUtilPercent: number;
  readonly completedRequests: number;
  /** Mean end-to-end latency of recently finished requests (exponentially weighted), s. */
  readonly recentLatencySeconds?: number;
}

const UTIL_SMOOTHING = 0.3;
const LATENCY_SMOOTHING = 0.1;

/**
 * The emulated inference workload: watches pods, runs one continuous-batching replica model per Ready
 * emulated pod, offers it load from per-service profiles, and serves each pod's metrics over HTTP plus an
 * http_sd list for Prometheus, and a small control API (`PUT /load/{namespace}/{service}`, `GET /load`,
 * `GET /pods`).
 */
export class Emulator {
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly catalog: TierCatalog;
  private readonly model: LlmModel;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  private readonly pods = new Map<string, EmulatedPod>();
  private readonly loads = new Map<string, ServiceLoad>();
  private routeTraffic = new Map<string, readonly TrafficTarget[]>();
  private nodeGpuModels = new Map<string, string>();
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  private server: Server | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastTickMs: number;
  private nextRequestId = 1;
  private stopped = false;
  private readonly ownRegistry = new Registry();
  private readonly offeredGauge: Gauge<'namespace' | 'service'>;
  private readonly unservedCounter: Counter<'namespace' | 'service'>;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(private readonly options: EmulatorOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.tickMs = options.tickMs ?? 250;
    this.catalog = options.catalog ?? DEFAULT_CATALOG;
    this.model = options.model ?? DEFAULT_MODEL;
    this.random = seededRandom(options.seed ?? 1);
    this.log = options.log ?? ((line) => process.stderr.write(`[emulator] ${line}\n`));
    this.lastTickMs = this.clock.now();
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.offeredGauge = new Gauge({
      name: 'emulator_offered_requests_per_second',
      help: 'Load the emulator offers a service now.',
      labelNames: ['namespace', 'service'],
      registers: [this.ownRegistry],
    });
    this.unservedCounter = new Counter({
      name: 'emulator_unserved_requests_total',
      help: 'Requests sent to a revision with no Ready pod (dropped).',
      labelNames: ['namespace', 'service'],
      registers: [this.ownRegistry],
    });
  }

  /** Starts watching, ticking and serving; resolves once the HTTP server listens. */
  async start(): Promise<void> {
    await this.pollClusterObjects();
    this.startInformer();
    this.pollTimer = setInterval(() => void this.pollClusterObjects(), 1000);
    this.tickTimer = setInterval(() => this.tick(), this.tickMs);
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolveListen, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, '127.0.0.1', () => resolveListen());
    });
    this.log(`listening on http://127.0.0.1:${this.options.port}`);
  }

  /** Stops everything. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    await this.informer?.stop();
    await new Promise<void>((resolveClose) =>
      this.server === undefined ? resolveClose() : this.server.close(() => resolveClose()),
    );
  }

  private startInformer(): void {
    const informer = makeInformer<V1Pod>(this.options.kubeConfig, '/api/v1/pods', () =>
      this.core.listPodForAllNamespaces(),
    );
    const sync = (): void => this.syncPods(informer.list());
    informer.on('add', sync);
    informer.on('update', sync);
    informer.on('delete', sync);
    informer.on('error', (error: unknown) => {
      this.log(`pod watch failed (${String(error)}); restarting in 2 s`);
      if (!this.stopped) setTimeout(() => void informer.start().catch(() => undefined), 2000);
    });
    this.informer = informer;
    void informer.start().catch((error: unknown) => this.log(`pod informer start failed: ${String(error)}`));
  }

  /** Knative Route traffic and node GPU models change rarely; a 1 s poll is plenty and survives missing CRDs. */
  private async pollClusterObjects(): Promise<void> {
    try {
      const nodes = await this.core.listNode();
      this.nodeGpuModels = new Map(
        nodes.items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[GPU_MODEL_LABEL] ?? '']),
      );
    } catch (error) {
      this.log(`listing nodes failed: ${String(error)}`);
    }
    try {
      const routes = (await this.custom.listClusterCustomObject({
        group: 'serving.knative.dev',
        version: 'v1',
        plural: 'routes',
      })) as {
        items?: Array<{
          metadata?: { name?: string; namespace?: string };
          status?: { traffic?: TrafficTarget[] };
        }>;
      };
      const traffic = new Map<string, readonly TrafficTarget[]>();
      for (const r of routes.items ?? []) {
        traffic.set(`${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`, r.status?.traffic ?? []);
      }
      this.routeTraffic = traffic;
    } catch {
      // No Knative CRDs (yet): every service splits evenly over its Ready pods.
      this.routeTraffic = new Map();
    }
  }

  private syncPods(all: readonly V1Pod[]): void {
    const now = this.clock.now();
    const wanted = new Map<string, { pod: V1Pod; service: PodService }>();
    for (const pod of all) {
      const service = podService(pod);
      if (service === undefined || !podReady(pod)) continue;
      wanted.set(`${service.namespace}/${pod.metadata?.name ?? ''}`, { pod, service });
    }
    for (const key of [...this.pods.keys()]) {
      if (!wanted.has(key)) {
        this.pods.delete(key);
        this.log(`pod ${key} left (not Ready or deleted)`);
      }
    }
    for (const [key, { pod, service }] of wanted) {
      if (this.pods.has(key)) continue;
      const emulated = this.createPod(key, pod, service, now);
      this.pods.set(key, emulated);
      this.log(
        `pod ${key} (${service.service}) ready on ${emulated.node}: ${emulated.tier?.name ?? emulated.problem ?? ''}`,
      );
    }
  }

  private createPod(key: string, pod: V1Pod, service: PodService, now: number): EmulatedPod {
    const node = pod.spec?.nodeName ?? '';
    const gpuModel = this.nodeGpuModels.get(node);
    const base = {
      key,
      name: pod.metadata?.name ?? '',
      service,
      node,
      readySinceMs: now,
      offeredRequestsPerSecond: 0,
      lastBusyMs: 0,
      lastTickMs: now,
      gpuUtilPercent: 0,
      recentLatencySeconds: undefined,
    };
    const resolved = podTier(
      this.catalog,
      (pod.spec?.containers ?? []).map((c) => ({
        requests: c.resources?.requests,
        limits: c.resources?.limits,
      })),
      gpuModel === '' ? undefined : gpuModel,
    );
    if (!resolved.ok) return { ...base, problem: `${resolved.reason}: ${resolved.message}` };
    const perf = tierPerformance(resolved.tier, this.model);
    if (!perf.ok) return { ...base, tier: resolved.tier, problem: `${perf.reason}: ${perf.message}` };
    const container = pod.spec?.containers?.find((c) => c.name !== 'queue-proxy')?.name ?? 'server';
    return {
      ...base,
      tier: resolved.tier,
      performance: perf.performance,
      engine: new ReplicaEngine(perf.performance, now),
      metrics: new PodMetrics({
        namespace: service.namespace,
        pod: base.name,
        node,
        modelName: this.model.name,
        gpuModel: resolved.tier.gpuModel,
        container,
      }),
    };
  }

  /** Sets (or replaces) the load profile of a service. */
  async setLoad(namespace: string, service: string, body: unknown): Promise<ServiceLoad> {
    const parsed = parseLoadProfile(body);
    if (!parsed.ok) throw new LoadError(parsed.message);
    const profile = parsed.profile;
    let trace: ServiceLoad['trace'];
    if (profile.kind === 'trace') {
      const result = await readTraceFile(profile.file);
      if (!result.ok) throw new LoadError(`load.file = ${JSON.stringify(profile.file)}: ${result.message}`);
      trace = { requests: result.trace.requests, durationMs: Math.max(1, result.trace.durationMs) };
    }
    const load: ServiceLoad = {
      profile,
      sinceMs: this.clock.now(),
      ...(trace === undefined ? {} : { trace }),
      unservedRequests: 0,
      sentRequests: 0,
      currentRequestsPerSecond: 0,
    };
    this.loads.set(`${namespace}/${service}`, load);
    this.log(`load for ${namespace}/${service}: ${JSON.stringify(profile)}`);
    return load;
  }

  private arrivals(
    load: ServiceLoad,
    fromMs: number,
    toMs: number,
  ): Array<{ arrivalMs: number; promptTokens: number; outputTokens: number }> {
    const profile = load.profile;
    if (profile.kind !== 'trace') {
      const rate = rateAt(profile, (fromMs - load.sinceMs) / 1000) ?? 0;
      load.currentRequestsPerSecond = rate;
      return poissonArrivals(rate, fromMs, toMs, this.random).map((arrivalMs) => ({
        arrivalMs,
        ...jitteredShape(profile, this.random),
      }));
    }
    const trace = load.trace;
    if (trace === undefined) return [];
    const out: Array<{ arrivalMs: number; promptTokens: number; outputTokens: number }> = [];
    const scale = profile.timeScale;
    const fromTrace = (fromMs - load.sinceMs) * scale;
    const toTrace = (toMs - load.sinceMs) * scale;
    const firstLap = Math.floor(fromTrace / trace.durationMs);
    const lastLap = profile.loop ? Math.floor(toTrace / trace.durationMs) : 0;
    for (let lap = firstLap; lap <= lastLap; lap += 1) {
      const offset = lap * trace.durationMs;
      for (const r of trace.requests) {
        const t = offset + r.arrivalMs;
        if (t < fromTrace || t >= toTrace) continue;
        let copies = Math.floor(profile.rateScale);
        if (this.random() < profile.rateScale - copies) copies += 1;
        for (let c = 0; c < copies; c += 1) {
          out.push({
            arrivalMs: load.sinceMs + t / scale,
            promptTokens: r.promptTokens,
            outputTokens: r.outputTokens,
          });
        }
      }
    }
    // Smoothed over about two seconds: a trace's per-tick count is too jumpy to show as a rate.
    const instant = (out.length * 1000) / Math.max(1, toMs - fromMs);
    const alpha = Math.min(1, (toMs - fromMs) / 2000);
    load.currentRequestsPerSecond += alpha * (instant - load.currentRequestsPerSecond);
    return out.sort((a, b) => a.arrivalMs - b.arrivalMs);
  }

  /** One step: generate arrivals since the last tick, hand them to pods, run every replica to now. */
  tick(): void {
    const now = this.clock.now();
    const from = this.lastTickMs;
    this.lastTickMs = now;
    if (now <= from) return;
    const inbox = new Map<string, InferenceRequest[]>();
    for (const pod of this.pods.values()) pod.offeredRequestsPerSecond = 0;
    for (const [serviceKey, load] of this.loads) {
      const [namespace = '', service = ''] = serviceKey.split('/');
      const members = [...this.pods.values()].filter(
        (p) => p.engine !== undefined && p.service.namespace === namespace && p.service.service === service,
      );
      const split = splitTraffic(
        members.map((p) => ({
          key: p.key,
          ...(p.service.revision === undefined ? {} : { revision: p.service.revision }),
        })),
        this.routeTraffic.get(serviceKey),
      );
      const arrivals = this.arrivals(load, from, now);
      this.offeredGauge.set({ namespace, service }, load.currentRequestsPerSecond);
      for (const [key, weight] of split.weights) {
        const pod = this.pods.get(key);
        if (pod !== undefined) pod.offeredRequestsPerSecond += weight * load.currentRequestsPerSecond;
      }
      const weighted = [...split.weights];
      for (const a of arrivals) {
        load.sentRequests += 1;
        let pick = this.random();
        let target: string | undefined;
        for (const [key, weight] of weighted) {
          pick -= weight;
          if (pick < 0) {
            target = key;
            break;
          }
        }
        if (target === undefined) {
          load.unservedRequests += 1;
          this.unservedCounter.inc({ namespace, service });
          continue;
        }
        const list = inbox.get(target) ?? [];
        list.push({ id: this.nextRequestId++, ...a });
        inbox.set(target, list);
      }
    }
    for (const pod of this.pods.values()) this.advancePod(pod, inbox.get(pod.key) ?? [], now);
  }

  private advancePod(pod: EmulatedPod, requests: readonly InferenceRequest[], now: number): void {
    const engine = pod.engine;
    const metrics = pod.metrics;
    const perf = pod.performance;
    if (engine === undefined || metrics === undefined || perf === undefined) return;
    const done: CompletedRequest[] = [];
    for (const r of requests) {
      done.push(...engine.advance(r.arrivalMs));
      engine.admit(r);
    }
    done.push(...engine.advance(now));
    metrics.observe(done);
    for (const c of done) {
      if (c.outcome !== 'served') continue;
      const latencyS = (c.finishMs - c.request.arrivalMs) / 1000;
      pod.recentLatencySeconds =
        pod.recentLatencySeconds === undefined
          ? latencyS
          : pod.recentLatencySeconds + LATENCY_SMOOTHING * (latencyS - pod.recentLatencySeconds);
    }
    const snapshot = engine.snapshot();
    const elapsed = Math.max(1, now - pod.lastTickMs);
    const busyShare = Math.min(1, Math.max(0, (snapshot.busyMs - pod.lastBusyMs) / elapsed));
    pod.gpuUtilPercent += UTIL_SMOOTHING * (100 * busyShare - pod.gpuUtilPercent);
    pod.lastBusyMs = snapshot.busyMs;
    pod.lastTickMs = now;
    const usedBytes =
      perf.weightBytes + perf.model.activationReserveGb * 1e9 + snapshot.kvUsedTokens * perf.kvBytesPerToken;
    const totalBytes = pod.tier === undefined ? usedBytes : pod.tier.memoryGb * 1e9;
    metrics.update(
      snapshot,
      pod.gpuUtilPercent,
      usedBytes / 2 ** 20,
      Math.max(0, totalBytes - usedBytes) / 2 ** 20,
    );
  }

  /** The http_sd list: one target per Ready emulated pod with a model, `__metrics_path__` per pod. */
  serviceDiscovery(): Array<{ targets: string[]; labels: Record<string, string> }> {
    return [...this.pods.values()]
      .filter((p) => p.metrics !== undefined)
      .map((p) => ({
        targets: [`127.0.0.1:${this.options.port}`],
        labels: {
          __metrics_path__: `/metrics/${p.service.namespace}/${p.name}`,
          namespace: p.service.namespace,
          pod: p.name,
          service: p.service.service,
          ...(p.service.revision === undefined ? {} : { revision: p.service.revision }),
          node: p.node,
          tier: p.tier?.name ?? '',
        },
      }));
  }

  /** Every emulated pod and what it is doing. */
  podViews(): PodView[] {
    return [...this.pods.values()].map((p) => {
      const s = p.engine?.snapshot();
      return {
        namespace: p.service.namespace,
        pod: p.name,
        service: p.service.service,
        ...(p.service.revision === undefined ? {} : { revision: p.service.revision }),
        node: p.node,
        ...(p.tier === undefined ? {} : { tier: p.tier.name }),
        ...(p.problem === undefined ? {} : { problem: p.problem }),
        offeredRequestsPerSecond: p.offeredRequestsPerSecond,
        queueLength: s?.queueLength ?? 0,
        runningRequests: s?.runningRequests ?? 0,
        kvUsage: s?.kvUsage ?? 0,
        gpuUtilPercent: p.gpuUtilPercent,
        completedRequests: s?.completedRequests ?? 0,
        ...(p.recentLatencySeconds === undefined ? {} : { recentLatencySeconds: p.recentLatencySeconds }),
      };
    });
  }

  private loadViews(): unknown[] {
    return [...this.loads].map(([key, l]) => {
      const [namespace, service] = key.split('/');
      return {
        namespace,
        service,
        profile: l.profile,
        sinceMs: l.sinceMs,
        currentRequestsPerSecond: l.currentRequestsPerSecond,
        sentRequests: l.sentRequests,
        unservedRequests: l.unservedRequests,
      };
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      } else if (req.method === 'GET' && url.pathname === '/sd') {
        json(200, this.serviceDiscovery());
      } else if (req.method === 'GET' && url.pathname === '/pods') {
        json(200, this.podViews());
      } else if (req.method === 'GET' && url.pathname === '/load') {
        json(200, this.loadViews());
      } else if (req.method === 'GET' && url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': this.ownRegistry.contentType });
        res.end(await this.ownRegistry.metrics());
      } else if (req.method === 'GET' && parts[0] === 'metrics' && parts.length === 3) {
        const pod = this.pods.get(`${parts[1]}/${parts[2]}`);
        if (pod?.metrics === undefined) {
          json(404, { reason: 'unknownPod', message: `no Ready emulated pod ${parts[1]}/${parts[2]}` });
          return;
        }
        res.writeHead(200, { 'content-type': pod.metrics.registry.contentType });
        res.end(await pod.metrics.text());
      } else if (
        (req.method === 'PUT' || req.method === 'DELETE') &&
        parts[0] === 'load' &&
        parts.length === 3
      ) {
        const [, namespace = '', service = ''] = parts;
        if (req.method === 'DELETE') {
          this.loads.delete(`${namespace}/${service}`);
          json(200, { namespace, service, removed: true });
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch (error) {
          json(400, { reason: 'invalidJson', message: `body: ${(error as Error).message}` });
          return;
        }
        const load = await this.setLoad(namespace, service, body);
        json(200, { namespace, service, profile: load.profile, sinceMs: load.sinceMs });
      } else {
        json(404, { reason: 'notFound', message: `${req.method ?? ''} ${url.pathname}: no such endpoint` });
      }
    } catch (error) {
      if (error instanceof LoadError) json(400, { reason: 'invalidLoadProfile', message: error.message });
      else json(500, { reason: 'internal', message: (error as Error).message });
    }
  }
}

/** A bad load profile (answered with 400). */
export class LoadError extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
