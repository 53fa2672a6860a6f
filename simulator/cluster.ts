import {
  DEFAULT_MIGRATION_SETTINGS,
  type MigrationSettings,
  type ObservedService,
} from '../autoscaler/index.js';
import {
  claim,
  release,
  type CapacitySnapshot,
  type GpuTier,
  type TierCatalog,
} from '../gpu-registry/index.js';
import {
  MAX_SCALE_ANNOTATION,
  MIGRATION_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  STATE_ANNOTATION,
  readPersistedState,
  retierTemplate,
  revisionNameFor,
  servingRevisionName,
  tierOfSpec,
  toObservedService,
  type DesiredTier,
  type KnativeRevision,
  type KnativeService,
  type MigrationStep,
  type PodSummary,
  type RevisionTemplate,
} from '../knative/index.js';
import {
  ReplicaEngine,
  tierPerformance,
  type CompletedRequest,
  type InferenceRequest,
  type LlmModel,
  type TierPerformance,
} from '../service-model/index.js';
import { driveMigration, type SimMigrationRun } from './knative-driver.js';
import { SimKnativeObjects, type RevisionReadiness } from './knative-objects.js';
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

/** The simulated Knative Service (one per run). */
export const SIM_SERVICE = { namespace: 'default', name: 'llm' } as const;

/** The Go original's fixed wait for the new revision (its migration has no other settings). */
const ORIGINAL_READY_TIMEOUT_SECONDS = 600;

type PodState = 'pending' | 'starting' | 'ready' | 'terminating' | 'deleted';

interface SimPod {
  readonly id: number;
  readonly revision: SimRevision;
  node: string | undefined;
  state: PodState;
  scheduledAtMs: number;
  readyAtMs: number;
  /** When the pod was deleted from the API; it finishes in-flight requests within the grace period. */
  terminatingSinceMs: number;
  /** `instant` and `reactive` retirements stop billing here. */
  billEndMs: number | undefined;
  readonly engine: ReplicaEngine;
}

/** The pods and routing state behind one Knative Revision of the simulated objects. */
interface SimRevision {
  readonly name: string;
  readonly tier: GpuTier;
  readonly perf: TierPerformance;
  readonly pods: SimPod[];
  /** Percent of requests the route sends here now (`status.traffic`). */
  trafficPercent: number;
  /** Smooth weighted round-robin state. */
  rrWeight: number;
  /** Since when every wanted pod is Ready (the revision is Ready `revisionReadyDelayMs` later). */
  allReadySinceMs: number | undefined;
  /** Deleted from the API: its pods terminate. */
  deleted: boolean;
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

/** One step of the knative migration planner that the simulated cluster carried out (or was refused). */
export interface PlannedStepRecord {
  readonly atMs: number;
  readonly kind: MigrationStep['kind'];
  readonly reason: string;
  /** For a Service patch: the phase after it (`finished`/`rolledBack`/`abandoned` end the migration). */
  readonly nextPhase?: string;
  readonly message: string;
}

/** Something the cluster reports back as it runs. */
export interface ClusterSink {
  served(c: Extract<CompletedRequest, { outcome: 'served' }>): void;
  failed(f: FailedRequest): void;
}

/**
 * The migration settings a style runs with: k-siss's own (`planned`); the Go original's fixed behaviour
 * (`original`: wait up to 600 s, then 100% at once, no drain); the oracle's idealisation (`instant`) and
 * oracle-reactive's (`reactive`): 100% at once, no drain.
 */
export function migrationSettingsOf(
  policy: Pick<SimPolicy, 'migrationStyle' | 'migration'>,
): MigrationSettings {
  const allAtOnce = { drainSeconds: 0, trafficSteps: [100], stepPauseSeconds: 0 };
  switch (policy.migrationStyle) {
    case 'planned':
      return policy.migration ?? DEFAULT_MIGRATION_SETTINGS;
    case 'original':
      return {
        ...allAtOnce,
        readyTimeoutSeconds: ORIGINAL_READY_TIMEOUT_SECONDS,
        tierBackoffSeconds: policy.migration?.tierBackoffSeconds ?? 0,
      };
    case 'instant':
    case 'reactive':
      return { ...allAtOnce, readyTimeoutSeconds: ORIGINAL_READY_TIMEOUT_SECONDS, tierBackoffSeconds: 0 };
  }
}

/**
 * The simulated cluster for one service: nodes with extended resources, the Knative objects of the service
 * (`SimKnativeObjects`: Service with spec.template/spec.traffic and the migration record, Revisions with
 * readiness from their pods), pods (each a continuous-batching engine), an activator buffer, and GPU billing
 * (a pod counts from scheduling to deletion, times its compute fraction).
 *
 * Tier migrations are planned by knative's `planMigration` (the planner `k-siss run` uses), one step at a
 * time, written to the simulated objects; the cluster only does what Knative and Kubernetes would do with
 * them: create the template's revision, run `min-scale` pods of each revision, mark a revision Ready when
 * its pods are, route by `status.traffic`, terminate the pods of a deleted revision.
 */
export class SimCluster {
  private capacity: CapacitySnapshot;
  private readonly objects: SimKnativeObjects;
  private readonly revisions: SimRevision[] = [];
  private readonly revisionsByName = new Map<string, SimRevision>();
  private readonly pods: SimPod[] = [];
  private readonly buffer: InferenceRequest[] = [];
  private readonly gpuResources: readonly string[];
  private readonly style: MigrationStyle;
  private readonly settings: MigrationSettings;
  private nextId = 1;
  private billedGpuMs = 0;
  private retiredBusyMs = 0;
  private serving: SimRevision;
  readonly actions: ActionRecord[] = [];
  /** Every planner step carried out (and refusals), in order. */
  readonly plannedSteps: PlannedStepRecord[] = [];
  private readonly perfCache = new Map<string, TierPerformance>();

  constructor(
    topology: SimTopology,
    private readonly catalog: TierCatalog,
    private readonly model: LlmModel,
    private readonly timings: PlatformTimings,
    private readonly rng: () => number,
    private readonly sink: ClusterSink,
    policy: Pick<SimPolicy, 'initial' | 'migrationStyle' | 'migration'>,
  ) {
    const { initial } = policy;
    this.style = policy.migrationStyle;
    this.settings = migrationSettingsOf(policy);
    this.capacity = { nodes: topology.nodes.map((n) => ({ name: n.name, free: { ...n.resources } })) };
    this.gpuResources = [...new Set([...catalog.values()].map((t) => t.resource))];
    this.performanceOf(initial.tier);
    const tier = this.catalog.get(initial.tier) as GpuTier;
    const name = revisionNameFor(SIM_SERVICE.name, tier.name, '0');
    this.objects = new SimKnativeObjects(
      SIM_SERVICE.namespace,
      SIM_SERVICE.name,
      retierTemplate(baseTemplate(), undefined, tier, name, this.gpuResources),
    );
    this.objects.reconcileConfiguration();
    this.objects.pinReplicas(name, initial.replicas);
    this.serving = this.revisionOf(this.objects.revision(name) as KnativeRevision);
    // Running before the trace began: pods Ready, revision Ready and routed.
    for (let i = 0; i < initial.replicas; i += 1) this.addPod(this.serving, 0, true);
    this.serving.allReadySinceMs = Number.NEGATIVE_INFINITY;
    this.reconcile(0);
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
    return this.desiredOf(this.serving);
  }
  get readyReplicas(): number {
    return this.serving.pods.filter((p) => p.state === 'ready').length;
  }
  /** When the oldest Ready pod of the serving revision became Ready (+Infinity when none is). */
  get servingSinceMs(): number {
    return Math.min(
      Number.POSITIVE_INFINITY,
      ...this.serving.pods.filter((p) => p.state === 'ready').map((p) => p.readyAtMs),
    );
  }
  /** The migration record is on the Service. */
  get migrationInFlight(): boolean {
    return (this.objects.service.metadata.annotations?.[MIGRATION_ANNOTATION] ?? '') !== '';
  }
  /** Tiers that failed to become Ready, until when (the planner's rollback writes them on the Service). */
  get tierBackoffUntilMs(): Readonly<Record<string, number>> {
    const state = readPersistedState(this.objects.service.metadata.annotations?.[STATE_ANNOTATION]).state;
    return state.tierBackoffUntilMs ?? {};
  }
  get freeCapacity(): CapacitySnapshot {
    return this.capacity;
  }
  /** The simulated Knative objects as the API server would return them now. */
  get knative(): { readonly service: KnativeService; readonly revisions: readonly KnativeRevision[] } {
    return { service: this.objects.service, revisions: this.objects.revisions };
  }
  /** The service as the control loop observes it (knative's `toObservedService`). */
  observedService(): ObservedService {
    return toObservedService(this.objects.service, this.objects.revisions, this.podSummaries(), this.catalog);
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

  /**
   * Housekeeping at `nowMs`: pending pods scheduled, pods becoming ready, the Knative objects reconciled
   * (revision readiness, route), terminated pods deleted.
   */
  tick(nowMs: number): void {
    for (const pod of this.pods) {
      if (pod.state === 'pending') this.trySchedule(pod, nowMs);
      if (pod.state === 'starting' && pod.readyAtMs <= nowMs) pod.state = 'ready';
    }
    this.reconcile(nowMs);
    for (const pod of this.pods) {
      if (pod.state !== 'terminating') continue;
      // Deleted from the API; the container still finishes its in-flight requests within the termination
      // grace period, then whatever is left is cut.
      if (pod.engine.outstanding === 0) this.deletePod(pod, nowMs);
      else if (pod.billEndMs === undefined && nowMs >= pod.terminatingSinceMs + TERMINATION_GRACE_MS)
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
          (p.state === 'starting' || p.state === 'ready' || p.state === 'terminating') &&
          (p.billEndMs ?? nowMs + 1) > nowMs,
      )
      .reduce((sum, p) => sum + p.revision.perf.gpuShare, 0);
  }

  /**
   * Scales the serving revision to `replicas` as the actuator does (min-scale = max-scale on the revision,
   * no new revision); false when nothing changed.
   */
  scaleTo(replicas: number, nowMs: number, reason: string): boolean {
    const rev = this.serving;
    const from = this.desiredOf(rev);
    if (replicas === from || replicas < 0) return false;
    if (this.objects.pinReplicas(rev.name, replicas).outcome !== 'applied') return false;
    this.reconcile(nowMs);
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

  /**
   * Starts moving the service to `tierName` through the knative planner; false when it refused (a
   * migration in flight, the same tier, a tier in backoff, ...). The new revision gets `replicas` (the
   * planner writes initial-, min- and max-scale into its template) or, when that is what runs now, keeps the
   * old one's (the planner copies its scale bounds); in the `instant` and `reactive` styles the plan sizes it
   * itself.
   */
  migrate(tierName: string, replicas: number, nowMs: number, reason: string): boolean {
    if (this.migrationInFlight) return false;
    this.performanceOf(tierName);
    const toTier = this.catalog.get(tierName) as GpuTier;
    const from = this.serving;
    const fromReplicas = this.desiredOf(from);
    const revisionName = revisionNameFor(SIM_SERVICE.name, toTier.name, nowMs.toString(36));
    const sized = this.style === 'instant' || this.style === 'reactive' ? replicas : undefined;
    if (sized !== undefined && toTier.name !== from.tier.name) {
      // No bounds on the old revision: the planner has none to copy, the new one gets `replicas` below.
      this.objects.annotateRevision(from.name, {
        [MIN_SCALE_ANNOTATION]: null,
        [MAX_SCALE_ANNOTATION]: null,
      });
    }
    // A planned migration that names its replicas (the sizing planner) writes them into the new template.
    const withReplicas = this.style === 'planned' && replicas !== fromReplicas ? { replicas } : {};
    const run = this.runPlanner(
      { toTier, fromTier: from.tier, revisionName, gpuResources: this.gpuResources, ...withReplicas },
      nowMs,
      (step) => {
        if (sized !== undefined && step.kind === 'patchService' && step.reason === 'migrationStarted') {
          this.objects.reconcileConfiguration();
          this.objects.pinReplicas(revisionName, sized);
        }
      },
    );
    const started = run.applied[0]?.kind === 'patchService' && run.applied[0].reason === 'migrationStarted';
    if (sized !== undefined && !started) this.objects.pinReplicas(from.name, fromReplicas);
    if (!started) return false;
    const toReplicas = this.objects.scaleBoundOf(revisionName) ?? sized ?? fromReplicas;
    this.actions.push({
      atMs: nowMs,
      kind: 'migrate',
      direction: toTier.computeFraction * toReplicas >= from.tier.computeFraction * fromReplicas ? 1 : -1,
      fromTier: from.tier.name,
      toTier: toTier.name,
      fromReplicas,
      toReplicas,
      reason,
    });
    return true;
  }

  /** Carries the migration in flight forward (the control loop's `resume`): planner steps until a wait. */
  resumeMigration(nowMs: number): void {
    if (!this.migrationInFlight) return;
    this.runPlanner(undefined, nowMs);
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

  /** The knative planner's steps, written to the objects, Knative reacting after each, until a wait. */
  private runPlanner(
    desired: DesiredTier | undefined,
    nowMs: number,
    afterWrite?: (step: MigrationStep) => void,
  ): SimMigrationRun {
    const run = driveMigration(
      this.objects,
      () => this.podSummaries(),
      (step) => {
        afterWrite?.(step);
        this.reconcile(nowMs);
        this.plannedSteps.push({
          atMs: nowMs,
          kind: step.kind,
          reason: step.reason,
          ...(step.kind === 'patchService' ? { nextPhase: step.nextPhase } : {}),
          message: step.message,
        });
      },
      desired,
      this.settings,
      nowMs,
    );
    if (run.last.kind === 'refused' || run.writeError !== undefined) {
      this.plannedSteps.push({
        atMs: nowMs,
        kind: run.last.kind,
        reason: run.last.reason,
        message: run.writeError ?? run.last.message,
      });
    }
    this.flushBuffer();
    return run;
  }

  /**
   * What Knative and Kubernetes do with the objects: the template's revision exists, each revision runs
   * `min-scale` pods, a revision is Ready once they are (plus the readiness delay), the route follows
   * `spec.traffic`, a deleted revision's pods terminate.
   */
  private reconcile(nowMs: number): void {
    this.objects.reconcileConfiguration();
    for (const revision of this.objects.revisions) this.revisionOf(revision);
    for (const rev of this.revisions) {
      if (rev.deleted) continue;
      if (this.objects.revision(rev.name) === undefined) {
        this.deleteRevision(rev, nowMs);
        continue;
      }
      this.scalePods(rev, nowMs);
      this.objects.setReadiness(rev.name, this.readinessOf(rev, nowMs));
    }
    this.objects.reconcileRoute();
    const routed = this.objects.routedPercents();
    for (const rev of this.revisions) rev.trafficPercent = routed.get(rev.name) ?? 0;
    const serving = this.revisionsByName.get(servingRevisionName(this.objects.service) ?? '');
    if (serving !== undefined) this.serving = serving;
  }

  /** The SimRevision behind a Knative revision (created on first sight; its tier read from its spec). */
  private revisionOf(revision: KnativeRevision): SimRevision {
    const name = revision.metadata.name;
    const known = this.revisionsByName.get(name);
    if (known !== undefined) return known;
    const tier = tierOfSpec(revision.spec, this.catalog);
    if (tier === undefined) throw new Error(`revision ${name}: its containers request no catalog tier`);
    const rev: SimRevision = {
      name,
      tier,
      perf: this.performanceOf(tier.name),
      pods: [],
      trafficPercent: 0,
      rrWeight: 0,
      allReadySinceMs: undefined,
      deleted: false,
    };
    this.revisions.push(rev);
    this.revisionsByName.set(name, rev);
    return rev;
  }

  /** Pods wanted for a revision: its `min-scale`, else what it runs (at least Knative's initial scale, 1). */
  private desiredOf(rev: SimRevision): number {
    return this.objects.scaleBoundOf(rev.name) ?? Math.max(1, this.livePods(rev).length);
  }

  private livePods(rev: SimRevision): SimPod[] {
    return rev.pods.filter((p) => p.state === 'pending' || p.state === 'starting' || p.state === 'ready');
  }

  /** The KPA pinned by min-scale = max-scale: adds or removes pods to match. */
  private scalePods(rev: SimRevision, nowMs: number): void {
    const live = this.livePods(rev);
    const desired = this.desiredOf(rev);
    for (let i = live.length; i < desired; i += 1) this.addPod(rev, nowMs, this.style === 'instant');
    if (live.length > desired) this.removePods(live, live.length - desired, nowMs);
  }

  private readinessOf(rev: SimRevision, nowMs: number): RevisionReadiness {
    const desired = this.desiredOf(rev);
    const live = this.livePods(rev);
    const ready = live.filter((p) => p.state === 'ready').length;
    if (desired > 0 && ready >= desired) {
      rev.allReadySinceMs ??= nowMs;
      const delayMs = this.style === 'instant' ? 0 : this.timings.revisionReadyDelayMs;
      if (nowMs >= rev.allReadySinceMs + delayMs) return { ready: true };
      return { ready: false, reason: 'Deploying', message: 'pods Ready, waiting for the route' };
    }
    rev.allReadySinceMs = undefined;
    const pending = live.filter((p) => p.state === 'pending').length;
    if (pending > 0) {
      return {
        ready: false,
        reason: 'Unschedulable',
        message: `${pending} pod(s) unschedulable: insufficient ${rev.tier.resource}`,
      };
    }
    return { ready: false, reason: 'Deploying', message: `${ready} of ${desired} pods Ready` };
  }

  /** Pods as the planner's observation lists them. */
  private podSummaries(): PodSummary[] {
    const out: PodSummary[] = [];
    for (const pod of this.pods) {
      if (pod.state === 'deleted') continue;
      out.push({
        name: `${pod.revision.name}-deployment-${pod.id}`,
        revision: pod.revision.name,
        ready: pod.state === 'ready',
        phase: pod.state === 'pending' ? 'Pending' : 'Running',
        ...(pod.state === 'pending'
          ? { unschedulableMessage: `insufficient ${pod.revision.tier.resource}` }
          : {}),
      });
    }
    return out;
  }

  private deleteRevision(rev: SimRevision, nowMs: number): void {
    rev.deleted = true;
    rev.trafficPercent = 0;
    for (const pod of rev.pods) {
      // The Go original deletes the old revision while it still serves: in-flight requests are cut.
      if (this.style === 'original') this.kill(pod, nowMs);
      else this.retire(pod, nowMs);
    }
  }

  private addPod(rev: SimRevision, nowMs: number, readyAtOnce: boolean): void {
    const pod: SimPod = {
      id: this.nextId++,
      revision: rev,
      node: undefined,
      state: 'pending',
      scheduledAtMs: nowMs,
      readyAtMs: Number.POSITIVE_INFINITY,
      terminatingSinceMs: 0,
      billEndMs: undefined,
      engine: new ReplicaEngine(rev.perf, nowMs),
    };
    rev.pods.push(pod);
    this.pods.push(pod);
    this.trySchedule(pod, nowMs, readyAtOnce);
  }

  private trySchedule(pod: SimPod, nowMs: number, readyAtOnce = this.style === 'instant'): void {
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

  /** Scale-in: pods not yet serving go first (pending, then the most recently started), then the least loaded. */
  private removePods(live: readonly SimPod[], count: number, nowMs: number): void {
    const rank = (p: SimPod): number => (p.state === 'pending' ? 0 : p.state === 'starting' ? 1 : 2);
    const order = [...live].sort(
      (a, b) => rank(a) - rank(b) || a.engine.outstanding - b.engine.outstanding || b.id - a.id,
    );
    for (const pod of order.slice(0, count)) this.retire(pod, nowMs);
  }

  /** Deletes a pod from the API: no more requests; it ends once its in-flight requests are done. */
  private retire(pod: SimPod, nowMs: number): void {
    if (pod.state === 'pending') {
      pod.state = 'deleted';
      return;
    }
    if (pod.state === 'starting') {
      this.deletePod(pod, nowMs);
      return;
    }
    if (pod.state !== 'ready') return;
    pod.state = 'terminating';
    pod.terminatingSinceMs = nowMs;
    if (this.style === 'instant' || this.style === 'reactive') pod.billEndMs = nowMs;
    if (pod.engine.outstanding === 0) this.deletePod(pod, nowMs);
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
    const liveRevs = this.revisions.filter((r) => !r.deleted || r.pods.length > 0);
    this.revisions.length = 0;
    this.revisions.push(...liveRevs);
    for (const [name, rev] of this.revisionsByName)
      if (!liveRevs.includes(rev)) this.revisionsByName.delete(name);
  }
}

/** The model server's template before a tier is set (cpu and memory; the GPU comes from the tier). */
function baseTemplate(): RevisionTemplate {
  return {
    spec: {
      containers: [
        {
          name: 'user-container',
          image: 'vllm/vllm-openai',
          resources: { requests: { cpu: '4', memory: '32Gi' }, limits: { memory: '32Gi' } },
        },
      ],
    },
  };
}
