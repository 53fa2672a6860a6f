import {
  claim,
  release,
  type CapacitySnapshot,
  type GpuTier,
  type TierCatalog,
} from '../gpu-registry/index.js';
import {
  ReplicaEngine,
  tierPerformance,
  type CompletedRequest,
  type InferenceRequest,
  type LlmModel,
  type TierPerformance,
} from '../service-model/index.js';
import type { MigrationStyle, SimPolicy } from './policy.js';
import type { SimTopology } from './topology.js';

/** Timings of the simulated platform. */
export interface PlatformTimings {
  /** Scheduling to Ready of a model-server pod (image present, weights loaded from local disk). */
  readonly podStartMs: number;
  /** Uniform extra start time, 0..this (drawn from the seeded generator). */
  readonly podStartJitterMs: number;
  /** Ready pods to Knative revision Ready and routable (readiness propagation, route update). */
  readonly revisionReadyDelayMs: number;
}

/**
 * Defaults: an 8 GB FP8 model loads in 20-40 s from a local disk plus container start and the engine's
 * warm-up (CUDA graphs); the original K-SISS authors observed 60-100 s per tier hop end to end.
 */
export const DEFAULT_TIMINGS: PlatformTimings = {
  podStartMs: 45_000,
  podStartJitterMs: 30_000,
  revisionReadyDelayMs: 5_000,
};

/** Knative's default revision timeout: how long a terminating pod may finish in-flight requests. */
export const TERMINATION_GRACE_MS = 300_000;

type PodState = 'pending' | 'starting' | 'ready' | 'draining' | 'deleted';

interface SimPod {
  readonly id: number;
  readonly revision: SimRevision;
  node: string | undefined;
  state: PodState;
  scheduledAtMs: number;
  readyAtMs: number;
  /** Draining pods are deleted when empty and this time has passed. */
  drainUntilMs: number;
  /** `instant` retirements stop billing here. */
  billEndMs: number | undefined;
  readonly engine: ReplicaEngine;
}

interface SimRevision {
  readonly id: number;
  readonly tier: GpuTier;
  readonly perf: TierPerformance;
  readonly pods: SimPod[];
  desiredReplicas: number;
  trafficPercent: number;
  /** Smooth weighted round-robin state. */
  rrWeight: number;
}

interface Migration {
  readonly style: MigrationStyle;
  readonly from: SimRevision;
  readonly to: SimRevision;
  readonly startedAtMs: number;
  phase: 'waitingReady' | 'shifting' | 'draining';
  stepIndex: number;
  nextStepAtMs: number;
  readyAtMs: number | undefined;
}

/** A request that left the system without being served. */
export interface FailedRequest {
  readonly request: InferenceRequest;
  readonly reason: 'tooLong' | 'kvTooSmall' | 'cut' | 'unserved';
  readonly atMs: number;
}

/** One scaling action that was carried out. */
export interface ActionRecord {
  readonly atMs: number;
  readonly kind: 'scale' | 'migrate';
  /** +1 more capacity, -1 less. */
  readonly direction: 1 | -1;
  readonly fromTier: string;
  readonly toTier: string;
  readonly fromReplicas: number;
  readonly toReplicas: number;
  readonly reason: string;
}

/** Something the cluster reports back as it runs. */
export interface ClusterSink {
  served(c: Extract<CompletedRequest, { outcome: 'served' }>): void;
  failed(f: FailedRequest): void;
}

/**
 * The simulated cluster for one service: nodes with extended resources, pods of Knative-like revisions
 * (each a continuous-batching engine), an activator buffer, traffic split and migration mechanics,
 * and GPU billing (a pod counts from scheduling to deletion, times its compute fraction).
 */
export class SimCluster {
  private capacity: CapacitySnapshot;
  private readonly revisions: SimRevision[] = [];
  private readonly pods: SimPod[] = [];
  private readonly buffer: InferenceRequest[] = [];
  private migration: Migration | undefined;
  private nextId = 1;
  private billedGpuMs = 0;
  private serving: SimRevision;
  readonly actions: ActionRecord[] = [];
  readonly tierBackoffUntilMs: Record<string, number> = {};
  private readonly perfCache = new Map<string, TierPerformance>();

  constructor(
    topology: SimTopology,
    private readonly catalog: TierCatalog,
    private readonly model: LlmModel,
    private readonly timings: PlatformTimings,
    private readonly rng: () => number,
    private readonly sink: ClusterSink,
    initial: { readonly tier: string; readonly replicas: number },
  ) {
    this.capacity = { nodes: topology.nodes.map((n) => ({ name: n.name, free: { ...n.resources } })) };
    this.serving = this.createRevision(initial.tier, 100);
    for (let i = 0; i < initial.replicas; i += 1) this.addPod(this.serving, 0, true);
    this.serving.desiredReplicas = initial.replicas;
  }

  /** Performance of a tier for this model; throws for a tier the model cannot run on (a config error). */
  performanceOf(tierName: string): TierPerformance {
    const cached = this.perfCache.get(tierName);
    if (cached !== undefined) return cached;
    const tier = this.catalog.get(tierName);
    if (tier === undefined) throw new Error(`tier ${JSON.stringify(tierName)} is not in the catalog`);
    const result = tierPerformance(tier, this.model);
    if (!result.ok) throw new Error(result.message);
    this.perfCache.set(tierName, result.performance);
    return result.performance;
  }

  get servingTier(): string {
    return this.serving.tier.name;
  }
  get desiredReplicas(): number {
    return this.serving.desiredReplicas;
  }
  get readyReplicas(): number {
    return this.serving.pods.filter((p) => p.state === 'ready').length;
  }
  get migrationInFlight(): boolean {
    return this.migration !== undefined;
  }
  get freeCapacity(): CapacitySnapshot {
    return this.capacity;
  }
  /** Requests queued in the activator or on any pod. */
  get outstanding(): number {
    return (
      this.buffer.length +
      this.pods.reduce((sum, p) => sum + (p.state === 'deleted' ? 0 : p.engine.outstanding), 0)
    );
  }

  /** Advances every pod's engine to `toMs`, passing completions to the sink. */
  advance(toMs: number): void {
    for (const pod of this.pods) {
      if (pod.state === 'deleted' || pod.state === 'pending') continue;
      for (const c of pod.engine.advance(toMs)) {
        if (c.outcome === 'served') this.sink.served(c);
        else this.sink.failed({ request: c.request, reason: c.reason, atMs: c.finishMs });
      }
    }
  }

  /** Routes one arriving request (engines must have been advanced to its arrival). */
  route(request: InferenceRequest): void {
    const pod = this.pickPod();
    if (pod === undefined) this.buffer.push(request);
    else pod.engine.admit(request);
  }

  /** Housekeeping at `nowMs`: pods becoming ready, pending pods scheduled, migrations, drained pods deleted. */
  tick(nowMs: number): void {
    for (const pod of this.pods) {
      if (pod.state === 'pending') this.trySchedule(pod, nowMs);
      if (pod.state === 'starting' && pod.readyAtMs <= nowMs) pod.state = 'ready';
    }
    this.progressMigration(nowMs);
    for (const pod of this.pods) {
      if (pod.state !== 'draining' || pod.drainUntilMs > nowMs) continue;
      // Deleted from the API after the drain; the container still finishes its in-flight requests
      // within the termination grace period, then whatever is left is cut.
      if (pod.engine.outstanding === 0) this.deletePod(pod, nowMs);
      else if (pod.billEndMs === undefined && nowMs >= pod.drainUntilMs + TERMINATION_GRACE_MS)
        this.kill(pod, nowMs);
    }

    this.flushBuffer();
    if (this.pods.length > 256) this.compact();
  }

  /** Gauges for the simulated Prometheus. */
  gauges(): {
    queueLength: number;
    inFlight: number;
    readyReplicas: number;
    kvUsageMean: number;
    busyMsTotal: number;
    alivePods: number;
  } {
    let queue = this.buffer.length;
    let inFlight = this.buffer.length;
    let kv = 0;
    let ready = 0;
    let busy = this.retiredBusyMs;
    let alive = 0;
    for (const pod of this.pods) {
      if (pod.state === 'deleted' || pod.state === 'pending') continue;
      const s = pod.engine.snapshot();
      busy += s.busyMs;
      alive += 1;
      queue += s.queueLength;
      inFlight += s.queueLength + s.runningRequests;
      if (pod.state === 'ready' && pod.revision === this.serving) {
        kv += s.kvUsage;
        ready += 1;
      }
    }
    return {
      queueLength: queue,
      inFlight,
      readyReplicas: ready,
      kvUsageMean: ready === 0 ? Number.NaN : kv / ready,
      busyMsTotal: busy,
      alivePods: alive,
    };
  }

  /** GPU-ms billed so far, plus what the pods alive now have run up to `nowMs`. */
  gpuMs(nowMs: number): number {
    let total = this.billedGpuMs;
    for (const pod of this.pods) {
      if (pod.state === 'deleted' || pod.state === 'pending') continue;
      const end = pod.billEndMs ?? nowMs;
      total += Math.max(0, end - pod.scheduledAtMs) * pod.revision.perf.gpuShare;
    }
    return total;
  }

  /** Sum of the GPU shares of the pods billed now. */
  allocatedGpus(nowMs: number): number {
    return this.pods
      .filter(
        (p) =>
          (p.state === 'starting' || p.state === 'ready' || p.state === 'draining') &&
          (p.billEndMs ?? nowMs + 1) > nowMs,
      )
      .reduce((sum, p) => sum + p.revision.perf.gpuShare, 0);
  }

  /** Scales the serving revision to `replicas`; false when nothing changed. */
  scaleTo(replicas: number, nowMs: number, reason: string, style: MigrationStyle): boolean {
    const rev = this.serving;
    const from = rev.desiredReplicas;
    if (replicas === from || replicas < 0) return false;
    if (replicas > from) {
      for (let i = from; i < replicas; i += 1) this.addPod(rev, nowMs, style === 'instant');
    } else {
      this.removePods(rev, from - replicas, nowMs, style === 'instant');
    }
    rev.desiredReplicas = replicas;
    this.actions.push({
      atMs: nowMs,
      kind: 'scale',
      direction: replicas > from ? 1 : -1,
      fromTier: rev.tier.name,
      toTier: rev.tier.name,
      fromReplicas: from,
      toReplicas: replicas,
      reason,
    });
    this.flushBuffer();
    return true;
  }

  /** Starts moving the service to `tierName` with `replicas` pods; false when refused. */
  migrate(tierName: string, replicas: number, nowMs: number, reason: string, policy: SimPolicy): boolean {
    if (this.migration !== undefined || tierName === this.serving.tier.name) return false;
    const from = this.serving;
    const to = this.createRevision(tierName, 0);
    const instant = policy.migrationStyle === 'instant';
    for (let i = 0; i < replicas; i += 1) this.addPod(to, nowMs, instant);
    to.desiredReplicas = replicas;
    const fromCapacity = from.tier.computeFraction * from.desiredReplicas;
    this.actions.push({
      atMs: nowMs,
      kind: 'migrate',
      direction: to.tier.computeFraction * replicas >= fromCapacity ? 1 : -1,
      fromTier: from.tier.name,
      toTier: tierName,
      fromReplicas: from.desiredReplicas,
      toReplicas: replicas,
      reason,
    });
    this.migration = {
      style: policy.migrationStyle,
      from,
      to,
      startedAtMs: nowMs,
      phase: 'waitingReady',
      stepIndex: 0,
      nextStepAtMs: nowMs,
      readyAtMs: undefined,
    };
    this.migrationSettings = policy.migration;
    this.progressMigration(nowMs);
    this.flushBuffer();
    return true;
  }

  /** Ends the run: whatever is still queued is failed as `unserved`; returns the GPU-ms billed. */
  finish(nowMs: number): number {
    for (const request of this.buffer.splice(0))
      this.sink.failed({ request, reason: 'unserved', atMs: nowMs });
    for (const pod of this.pods) {
      if (pod.state === 'deleted' || pod.state === 'pending') continue;
      for (const request of pod.engine.abortAll())
        this.sink.failed({ request, reason: 'unserved', atMs: nowMs });
      this.deletePod(pod, nowMs);
    }
    return this.billedGpuMs;
  }

  // -------------------------------------------------------------------------------------------------

  private migrationSettings: SimPolicy['migration'];
  private retiredBusyMs = 0;

  private createRevision(tierName: string, trafficPercent: number): SimRevision {
    const perf = this.performanceOf(tierName);
    const tier = this.catalog.get(tierName) as GpuTier;
    const rev: SimRevision = {
      id: this.nextId++,
      tier,
      perf,
      pods: [],
      desiredReplicas: 0,
      trafficPercent,
      rrWeight: 0,
    };
    this.revisions.push(rev);
    return rev;
  }

  private addPod(rev: SimRevision, nowMs: number, readyAtOnce: boolean): void {
    const pod: SimPod = {
      id: this.nextId++,
      revision: rev,
      node: undefined,
      state: 'pending',
      scheduledAtMs: nowMs,
      readyAtMs: Number.POSITIVE_INFINITY,
      drainUntilMs: 0,
      billEndMs: undefined,
      engine: new ReplicaEngine(rev.perf, nowMs),
    };
    rev.pods.push(pod);
    this.pods.push(pod);
    this.trySchedule(pod, nowMs, readyAtOnce);
  }

  private trySchedule(pod: SimPod, nowMs: number, readyAtOnce = false): void {
    const tier = pod.revision.tier;
    let best: string | undefined;
    let bestFree = 0;
    for (const node of this.capacity.nodes) {
      const free = node.free[tier.resource] ?? 0;
      if (free >= tier.unitsPerPod && free > bestFree) {
        best = node.name;
        bestFree = free;
      }
    }
    if (best === undefined) return;
    const nodeName = best;
    const onNode: CapacitySnapshot = { nodes: this.capacity.nodes.filter((n) => n.name === nodeName) };
    const claimed = claim(onNode, tier);
    if (claimed === undefined) return;
    this.capacity = {
      nodes: this.capacity.nodes.map((n) => (n.name === nodeName ? (claimed.nodes[0] ?? n) : n)),
    };
    pod.node = nodeName;
    pod.scheduledAtMs = nowMs;
    if (readyAtOnce) {
      pod.state = 'ready';
      pod.readyAtMs = nowMs;
    } else {
      pod.state = 'starting';
      pod.readyAtMs =
        nowMs + this.timings.podStartMs + Math.floor(this.rng() * this.timings.podStartJitterMs);
    }
    // The engine's clock starts when the pod does.
    pod.engine.advance(nowMs);
  }

  private removePods(rev: SimRevision, count: number, nowMs: number, instant: boolean): void {
    // Pods not yet serving go first (pending, then the most recently started), then the least loaded.
    const order = rev.pods
      .filter((p) => p.state === 'pending' || p.state === 'starting' || p.state === 'ready')
      .sort((a, b) => {
        const rank = (p: SimPod): number => (p.state === 'pending' ? 0 : p.state === 'starting' ? 1 : 2);
        return rank(a) - rank(b) || a.engine.outstanding - b.engine.outstanding || b.id - a.id;
      });
    for (const pod of order.slice(0, count)) this.retire(pod, nowMs, instant, 0);
  }

  /** Stops routing to a pod; it is deleted once empty (and after `drainMs`). */
  private retire(pod: SimPod, nowMs: number, instant: boolean, drainMs: number): void {
    if (pod.state === 'pending') {
      pod.state = 'deleted';
      return;
    }
    if (pod.state === 'starting') {
      this.deletePod(pod, nowMs);
      return;
    }
    pod.state = 'draining';
    pod.drainUntilMs = nowMs + drainMs;
    if (instant) pod.billEndMs = nowMs;
    if (pod.engine.outstanding === 0 && drainMs === 0) this.deletePod(pod, nowMs);
  }

  /** Kills a pod now: its in-flight requests are cut. */
  private kill(pod: SimPod, nowMs: number): void {
    if (pod.state === 'pending') {
      pod.state = 'deleted';
      return;
    }
    if (pod.state === 'deleted') return;
    for (const request of pod.engine.abortAll()) this.sink.failed({ request, reason: 'cut', atMs: nowMs });
    this.deletePod(pod, nowMs);
  }

  private deletePod(pod: SimPod, nowMs: number): void {
    if (pod.state === 'deleted') return;
    if (pod.state !== 'pending' && pod.node !== undefined) {
      const end = Math.min(pod.billEndMs ?? nowMs, nowMs);
      this.billedGpuMs += Math.max(0, end - pod.scheduledAtMs) * pod.revision.perf.gpuShare;
      this.retiredBusyMs += pod.engine.snapshot().busyMs;
      this.capacity = release(this.capacity, pod.revision.tier, 1, pod.node);
    }
    pod.state = 'deleted';
  }

  private progressMigration(nowMs: number): void {
    const m = this.migration;
    if (m === undefined) return;
    const settings = this.migrationSettings ?? {
      readyTimeoutSeconds: 600,
      drainSeconds: 0,
      trafficSteps: [100],
      stepPauseSeconds: 0,
      tierBackoffSeconds: 0,
    };
    if (m.phase === 'waitingReady') {
      const allReady = m.to.pods.length > 0 && m.to.pods.every((p) => p.state === 'ready');
      if (allReady && m.readyAtMs === undefined) {
        m.readyAtMs = m.style === 'instant' ? nowMs : nowMs + this.timings.revisionReadyDelayMs;
      }
      if (m.readyAtMs === undefined || m.readyAtMs > nowMs) {
        const timeoutMs = (m.style === 'original' ? 600 : settings.readyTimeoutSeconds) * 1000;
        if (m.readyAtMs === undefined && nowMs - m.startedAtMs >= timeoutMs)
          this.rollback(m, nowMs, settings.tierBackoffSeconds);
        return;
      }
      m.phase = 'shifting';
      m.stepIndex = 0;
      m.nextStepAtMs = nowMs;
    }
    if (m.phase === 'shifting') {
      const steps = m.style === 'planned' ? settings.trafficSteps : [100];
      while (m.nextStepAtMs <= nowMs && m.stepIndex < steps.length) {
        const percent = steps[m.stepIndex] as number;
        m.to.trafficPercent = percent;
        m.from.trafficPercent = 100 - percent;
        m.stepIndex += 1;
        m.nextStepAtMs = nowMs + (m.style === 'planned' ? settings.stepPauseSeconds * 1000 : 0);
        if (percent >= 50) this.serving = m.to;
      }
      if (m.stepIndex < steps.length || m.to.trafficPercent < 100) return;
      this.serving = m.to;
      m.phase = 'draining';
      for (const pod of m.from.pods) {
        if (m.style === 'original') this.kill(pod, nowMs);
        else
          this.retire(
            pod,
            nowMs,
            m.style === 'instant',
            m.style === 'planned' ? settings.drainSeconds * 1000 : 0,
          );
      }
    }
    // The migration is over once the old revision is deleted (its pods may still be terminating).
    if (
      m.phase === 'draining' &&
      m.from.pods.every((p) => p.state === 'deleted' || p.drainUntilMs <= nowMs)
    ) {
      this.migration = undefined;
    } else if (m.phase === 'draining' && m.style === 'instant') this.migration = undefined;
  }

  private rollback(m: Migration, nowMs: number, backoffSeconds: number): void {
    for (const pod of m.to.pods) this.kill(pod, nowMs);
    m.to.trafficPercent = 0;
    if (backoffSeconds > 0) this.tierBackoffUntilMs[m.to.tier.name] = nowMs + backoffSeconds * 1000;
    this.migration = undefined;
  }

  private pickPod(): SimPod | undefined {
    let total = 0;
    let chosen: SimRevision | undefined;
    for (const rev of this.revisions) {
      if (rev.trafficPercent <= 0 || !rev.pods.some((p) => p.state === 'ready')) continue;
      total += rev.trafficPercent;
      rev.rrWeight += rev.trafficPercent;
      if (chosen === undefined || rev.rrWeight > chosen.rrWeight) chosen = rev;
    }
    if (chosen === undefined) return undefined;
    chosen.rrWeight -= total;
    let best: SimPod | undefined;
    for (const pod of chosen.pods) {
      if (pod.state !== 'ready') continue;
      if (best === undefined || pod.engine.outstanding < best.engine.outstanding) best = pod;
    }
    return best;
  }

  private flushBuffer(): void {
    while (this.buffer.length > 0) {
      const pod = this.pickPod();
      if (pod === undefined) return;
      pod.engine.admit(this.buffer.shift() as InferenceRequest);
    }
  }

  private compact(): void {
    for (const rev of this.revisions) {
      const alive = rev.pods.filter((p) => p.state !== 'deleted');
      rev.pods.length = 0;
      rev.pods.push(...alive);
    }
    const alivePods = this.pods.filter((p) => p.state !== 'deleted');
    this.pods.length = 0;
    this.pods.push(...alivePods);
    const liveRevs = this.revisions.filter(
      (r) => r === this.serving || r.pods.length > 0 || r === this.migration?.to,
    );
    this.revisions.length = 0;
    this.revisions.push(...liveRevs);
  }
}
