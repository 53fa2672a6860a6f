import type { GpuTier } from '../gpu-registry/index.js';

/** Annotation on the Knative Service holding the migration in flight (JSON `MigrationRecord`). */
export const MIGRATION_ANNOTATION = 'autoscaler.k-siss.io/migration';
/** Annotation on the Knative Service holding `PersistedServiceState` (JSON). */
export const STATE_ANNOTATION = 'autoscaler.k-siss.io/state';
/** Env var that sets an MPS client's share of the SMs. */
export const MPS_THREAD_PERCENTAGE_ENV = 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE';
/** Knative's per-revision scale bounds (read by the PodAutoscaler the revision owns). */
export const MIN_SCALE_ANNOTATION = 'autoscaling.knative.dev/min-scale';
export const MAX_SCALE_ANNOTATION = 'autoscaling.knative.dev/max-scale';
export const INITIAL_SCALE_ANNOTATION = 'autoscaling.knative.dev/initial-scale';
/** Label Knative puts on a revision's pods. */
export const REVISION_LABEL = 'serving.knative.dev/revision';
/** Label Knative puts on revisions and pods with the owning Service's name. */
export const SERVICE_LABEL = 'serving.knative.dev/service';

/** The subset of ObjectMeta the helper reads or writes. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

export interface ResourceRequirements {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/** A container of a revision template; fields the helper does not touch are carried verbatim. */
export interface Container {
  readonly name?: string;
  readonly image?: string;
  readonly env?: readonly EnvVar[];
  readonly resources?: ResourceRequirements;
  readonly [field: string]: unknown;
}

/** `spec.template` of a Knative Service (and, without metadata, a Revision's `spec`). */
export interface RevisionSpec {
  readonly containers: readonly Container[];
  readonly [field: string]: unknown;
}

export interface RevisionTemplate {
  readonly metadata?: {
    readonly name?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec: RevisionSpec;
}

/** One entry of `spec.traffic` / `status.traffic`. */
export interface TrafficTarget {
  readonly revisionName?: string;
  readonly latestRevision?: boolean;
  readonly percent?: number;
  readonly tag?: string;
}

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
}

/** `serving.knative.dev/v1` Service, only the fields used. */
export interface KnativeService {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly template: RevisionTemplate;
    readonly traffic?: readonly TrafficTarget[];
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly conditions?: readonly Condition[];
    readonly latestReadyRevisionName?: string;
    readonly latestCreatedRevisionName?: string;
    readonly traffic?: readonly TrafficTarget[];
  };
}

/** `serving.knative.dev/v1` Revision, only the fields used. */
export interface KnativeRevision {
  readonly metadata: ObjectMeta;
  readonly spec: RevisionSpec;
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly actualReplicas?: number;
    readonly desiredReplicas?: number;
  };
}

/** What the helper needs of a pod. */
export interface PodSummary {
  readonly name: string;
  readonly revision: string;
  readonly ready: boolean;
  readonly phase: string;
  /** Why the pod is not scheduled, if the scheduler said so. */
  readonly unschedulableMessage?: string;
}

export const MIGRATION_PHASES = ['creating', 'shifting', 'draining', 'rollingBack'] as const;
/** creating: new revision being made, traffic pinned on the old one; shifting: traffic moving in steps;
 *  draining: 100% on the new one, the old one kept for drainSeconds; rollingBack: undoing. */
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/** The migration in flight, kept on the Service (annotation `autoscaler.k-siss.io/migration`). */
export interface MigrationRecord {
  readonly fromRevision: string;
  readonly toRevision: string;
  readonly fromTier: string | undefined;
  readonly toTier: string;
  readonly phase: MigrationPhase;
  /** Index into `trafficSteps` of the split now in `spec.traffic` (phase shifting). */
  readonly stepIndex: number;
  readonly startedAtMs: number;
  /** When the current phase (or traffic step) began. */
  readonly phaseSinceMs: number;
  /** The new revision must be Ready by then, or the migration rolls back. */
  readonly deadlineMs: number;
  /** Traffic split, pause and drain captured at start, so a config change mid-way cannot confuse a resume. */
  readonly trafficSteps: readonly number[];
  readonly stepPauseSeconds: number;
  readonly drainSeconds: number;
  readonly tierBackoffSeconds: number;
  /** `spec.traffic` used `latestRevision: true` before; restored at the end. */
  readonly restoreLatestRevision: boolean;
  /** The new revision's replicas, when the migration also changes them (the sizing planner). */
  readonly toReplicas?: number;
  /** The template's metadata before the change (the spec is taken from the old Revision on rollback). */
  readonly fromTemplateMetadata: {
    readonly name?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly labels?: Readonly<Record<string, string>>;
  };
  /** Why a rollback was started (phase rollingBack). */
  readonly rollbackReason?: string;
  readonly rollbackMessage?: string;
}

/** What the planner sees: the Service and its revisions (and optionally their pods), as the API server says now. */
export interface ObservedKnative {
  readonly service: KnativeService;
  readonly revisions: readonly KnativeRevision[];
  readonly pods?: readonly PodSummary[];
}

/** A wanted tier change (only needed to start a migration; resuming reads the record). */
export interface DesiredTier {
  readonly toTier: GpuTier;
  readonly fromTier: GpuTier | undefined;
  /** Explicit name of the new revision; must start with `{service}-`. */
  readonly revisionName: string;
  /** Extended resources of every catalog tier (removed from the GPU container before the new one is set). */
  readonly gpuResources: readonly string[];
  /** CPU and memory requested by the GPU container when it requests none (`DEFAULT_CPU`, `DEFAULT_MEMORY`). */
  readonly defaultRequests?: DefaultRequests;
  /**
   * The new revision's replicas (tier and replicas in one migration): its template gets initial-, min- and
   * max-scale of this count, so Knative reports it Ready only once that many pods are, and traffic moves then.
   */
  readonly replicas?: number;
}

/** Requests given to a re-tiered GPU container that has none of its own. */
export interface DefaultRequests {
  readonly cpu: string;
  readonly memory: string;
}

/** Extra verdicts the shell feeds in (the planner stays pure). */
export interface MigrationChecks {
  /** Result of the SLO check between traffic steps; `false` rolls back. `undefined`: no check. */
  readonly sloHealthy?: boolean;
}

/** A JSON merge patch of a Service (null deletes a key). */
export interface ServiceMergePatch {
  readonly metadata: {
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string | null>>;
  };
  readonly spec?: {
    readonly template?: RevisionTemplate;
    readonly traffic?: readonly TrafficTarget[];
  };
}

/** The event a step records on the Service. */
export interface StepEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The one next step of a migration; every variant says why. */
export type MigrationStep =
  | {
      readonly kind: 'patchService';
      readonly patch: ServiceMergePatch;
      /** The phase after the patch; `finished`/`rolledBack` mean the record is removed. */
      readonly nextPhase: MigrationPhase | 'finished' | 'rolledBack' | 'abandoned';
      readonly reason: string;
      readonly message: string;
      readonly event: StepEvent;
    }
  | {
      /** Carries the old revision's scale bounds (set by out/in) over to the new one. */
      readonly kind: 'annotateRevision';
      readonly revisionName: string;
      readonly annotations: Readonly<Record<string, string | null>>;
      readonly reason: string;
      readonly message: string;
      readonly event: StepEvent;
    }
  | {
      readonly kind: 'deleteRevision';
      readonly revisionName: string;
      readonly reason: string;
      readonly message: string;
      readonly event: StepEvent;
    }
  | {
      readonly kind: 'wait';
      readonly phase: MigrationPhase;
      /** When waiting can end at the earliest (pauses); absent when waiting on the cluster. */
      readonly untilMs?: number;
      readonly reason: string;
      readonly message: string;
    }
  | { readonly kind: 'idle'; readonly reason: 'noMigration'; readonly message: string }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string };
