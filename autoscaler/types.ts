import type { CapacitySnapshot, TierCatalog } from '../gpu-registry/types.js';

/** Whether a smaller value is better (latency) or a larger one (throughput). */
export type MetricDirection = 'lowerIsBetter' | 'higherIsBetter';
/** How several series of one query are combined into one value. */
export type SeriesAggregate = 'max' | 'avg' | 'sum';

/** One SLO metric of a service, as in the original ConfigMap format plus extensions. */
export interface MetricSpec {
  readonly name: string;
  /** PromQL; `%s` is the pod name; `{{namespace}}`, `{{service}}`, `{{revision}}`, `{{pod}}`, `{{podRegex}}`. */
  readonly query: string;
  readonly slo: number;
  readonly scaleUpFactor: number;
  readonly scaleDownFactor: number;
  readonly direction: MetricDirection;
  readonly aggregate: SeriesAggregate;
}

/**
 * `size`: the sizing planner (demand, capacity per tier, the cheapest tier x replicas, in one action);
 * `step`: the ladder walk, one tier or replica step per cooldown; `ksiss-original`: the Go original's rules.
 */
export type PolicyMode = 'size' | 'step' | 'ksiss-original';

/** What a service does when it is idle (request rate is exactly 0). */
export interface IdlePolicy {
  /** PromQL returning the request rate; 0 means idle. Same placeholders as metric queries. */
  readonly requestRateQuery: string;
  /** Step down to this tier (or the ladder's minimum) when idle for `afterSeconds`. */
  readonly afterSeconds: number;
}

/**
 * Step sizing under a growing load. The query returns how many times the load grew over the last two
 * minutes when that growth is sustained (each of the two minutes significantly above the one before), else
 * 1 (or no data). Under SLO pressure, when the next single step adds less capacity than `current x growth`,
 * DecideScale jumps instead: the cheapest tier (same replicas) or replica count (same tier) that reaches it,
 * at most `maxStepFactor` times the current serving capacity.
 */
export interface LoadGrowthPolicy {
  /**
   * PromQL counting the requests that arrived in the minute before its evaluation time; same placeholders
   * as metric queries. It runs evaluated now and 1, 2 and 3 minutes ago (`sustainedGrowth`).
   */
  readonly arrivalsQuery: string;
  readonly maxStepFactor: number;
}

/** How a tier migration is carried out on Knative. */
export interface MigrationSettings {
  readonly readyTimeoutSeconds: number;
  readonly drainSeconds: number;
  /** Traffic percentages to the new revision, in order, ending at 100. `[100]` is all at once. */
  readonly trafficSteps: readonly number[];
  readonly stepPauseSeconds: number;
  readonly tierBackoffSeconds: number;
}

/** Offered load of one service (arrivals, not completions: right while the service is saturated). */
export interface Demand {
  readonly arrivalsPerS: number;
  readonly promptTokensPerS: number;
  readonly outputTokensPerS: number;
}

/**
 * What one replica of a tier sustains within the service's SLOs. A replica's load is the sum, over the rates
 * given, of demand / capacity (time-sharing: prefill is compute-bound, decode bandwidth-bound, and both run in
 * the same engine iterations), so `{promptTokensPerS: 8000, outputTokensPerS: 900}` is full at 4,000 prompt
 * plus 450 output tokens per second.
 */
export interface TierCapacity {
  readonly promptTokensPerS?: number;
  readonly outputTokensPerS?: number;
  readonly requestsPerS?: number;
}

/** A per-model profile: the capacity of one replica per tier, as measured by a benchmark of each tier. */
export interface SizingProfile {
  readonly name: string;
  readonly tiers: Readonly<Record<string, TierCapacity>>;
}

/** The queries the planner reads demand from; each counts something over the minute before its evaluation. */
export interface SizingQueries {
  /** Requests that arrived (finished + change in running and waiting). Also run 1, 2 and 3 minutes ago. */
  readonly arrivalsQuery: string;
  /**
   * Requests that arrived in the last 30 seconds (the same count over a shorter window): a step of load
   * shows in it a whole window earlier (KPA's panic window plays this part).
   */
  readonly recentArrivalsQuery: string;
  /** Requests that finished. */
  readonly completionsQuery: string;
  /** Prompt tokens processed. */
  readonly promptTokensQuery: string;
  /** Output tokens generated. */
  readonly outputTokensQuery: string;
}

/** `settings.sizing`: the planner's settings. */
export interface SizingSettings {
  /** The resolved profile (ConfigMap key `_profiles`), if the block names one. */
  readonly profile?: SizingProfile;
  /**
   * The least headroom, and the dead band of the planner: a capacity short of demand x (1 + floor) is scaled
   * up, a saving under `floor` of the cost is not worth a change. Default 0.1, the HPA's tolerance.
   */
  readonly headroomFloor: number;
  /** The window the count queries count over (`[1m]`: 60) and that of `recentArrivalsQuery` (`[30s]`: 30). */
  readonly countWindowSeconds: number;
  readonly recentWindowSeconds: number;
  readonly queries: SizingQueries;
}

/** Learned corrections: per tier, the factor the prior capacity is multiplied by. Persisted on the object. */
export type CapacityFactors = Readonly<Record<string, number>>;

/** Per-service settings block; every field has a documented default. */
export interface ServiceSettings {
  readonly namespace?: string;
  readonly policy: PolicyMode;
  /** Ordered tier names, smallest first. */
  readonly ladder: readonly string[];
  /**
   * Set when the block named no ladder (DEFAULT_LADDER filled in): a service running on a tier outside it
   * then moves within its own tier's family instead (gpu-registry `familyLadder`).
   */
  readonly ladderDefaulted?: true;
  readonly minTier?: string;
  readonly maxTier?: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly scaleUpStabilizationSeconds: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly cooldownSeconds: number;
  readonly idle?: IdlePolicy;
  readonly loadGrowth?: LoadGrowthPolicy;
  /** The sizing planner's settings (used by `policy: size`). */
  readonly sizing: SizingSettings;
  readonly dryRun: boolean;
  readonly migration: MigrationSettings;
}

/** A validated service block. */
export interface ServiceConfig {
  /** The Knative Service's exact name (the ConfigMap key). */
  readonly service: string;
  readonly metrics: readonly MetricSpec[];
  readonly settings: ServiceSettings;
}

/** A key of a Secret in the controller's own namespace. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** Where a credential is read from: a file (a mounted Secret) or a Secret through the API. */
export type CredentialSource = { readonly file: string } | { readonly secret: SecretKeyRef };

/** How the controller authenticates to Prometheus, as Prometheus's own clients do. */
export type PrometheusAuth =
  | { readonly kind: 'bearer'; readonly token: CredentialSource }
  | { readonly kind: 'basic'; readonly username: string; readonly password: CredentialSource };

/** TLS material for an https Prometheus; each a PEM file. */
export interface PrometheusTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Settings for the whole controller (ConfigMap `_global` key or environment). */
export interface GlobalSettings {
  readonly intervalSeconds: number;
  readonly namespaces: readonly string[];
  readonly prometheusUrl: string;
  readonly prometheusTimeoutMs: number;
  readonly prometheusHeaders: Readonly<Record<string, string>>;
  /** Bearer token or basic auth for Prometheus, from a file (re-read when it changes) or a Secret. */
  readonly prometheusAuth?: PrometheusAuth;
  /** CA bundle and client certificate for an https Prometheus (files, re-read when they change). */
  readonly prometheusTls?: PrometheusTls;
  readonly ignore: readonly string[];
  readonly configMapName: string;
  readonly configMapNamespace: string;
  readonly defaultCpu: string;
  readonly defaultMemory: string;
  readonly maxConcurrentServices: number;
}

/** One validation problem: `key[index].field = value: message`. */
export interface ConfigIssue {
  readonly key: string;
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** The result of validating a whole ConfigMap document. */
export interface AutoscalerConfig {
  readonly global: GlobalSettings;
  readonly catalog: TierCatalog;
  readonly services: ReadonlyMap<string, ServiceConfig>;
  /** Problems of blocks that were skipped; the other services go on. */
  readonly issues: readonly ConfigIssue[];
}

export type ScaleAction = 'hold' | 'up' | 'down' | 'out' | 'in';

/** A past recommendation, kept for stabilization windows (survives restarts on the Service). */
export interface Recommendation {
  readonly atMs: number;
  readonly tier: string;
  readonly replicas: number;
  /** True when the idle policy saw a request rate of exactly 0 at this tick (tracks how long it has been idle). */
  readonly idle?: boolean;
}

/** What the controller saw of one service (one revision serving it) at `now`. */
export interface ServiceObservation {
  readonly tier: string;
  readonly readyReplicas: number;
  readonly migrationInFlight: boolean;
  readonly recommendations: readonly Recommendation[];
  readonly lastActionAtMs?: number;
  readonly lastAction?: Exclude<ScaleAction, 'hold'>;
  /** Tiers that recently failed to become ready, until when (ms since epoch). */
  readonly tierBackoffUntilMs?: Readonly<Record<string, number>>;
  /** The sizing planner's learned capacity corrections. */
  readonly capacityFactors?: CapacityFactors;
  /** The configuration the last action asked for, while it is not yet in place. */
  readonly pendingTarget?: PendingTarget;
  /** When the last action's configuration was seen in place (the planner's cooldown counts from it). */
  readonly lastReadyAtMs?: number;
}

/** An action's wanted configuration, from when it started until it is seen in place. */
export interface PendingTarget {
  readonly tier: string;
  readonly replicas: number;
  readonly sinceMs: number;
}

/** Metric name -> value; `undefined` means the query returned no series. NaN is kept as NaN. */
export type MetricValues = Readonly<Record<string, number | undefined>>;

/** Everything DecideScale needs; it does no I/O and reads no clock. */
export interface DecideInput {
  readonly config: ServiceConfig;
  readonly catalog: TierCatalog;
  readonly observation: ServiceObservation;
  readonly metrics: MetricValues;
  readonly capacity: CapacitySnapshot;
  readonly nowMs: number;
}

/** Why DecideScale held. */
export type HoldReason =
  | 'withinBand' // every metric inside its band, or metrics disagree (pressure on none, slack not on all)
  | 'noData' // a metric has no series, or is NaN: never a scale-down
  | 'noCapacity' // pressure, but no free unit for a bigger tier nor for one more replica
  | 'cooldown' // an action happened less than cooldownSeconds ago
  | 'stabilizing' // slack, but the stabilization window still holds a higher recommendation
  | 'migrationInFlight' // a tier migration is running: nothing else happens meanwhile
  | 'atLimit' // pressure/slack but already at max/min tier and replicas
  | 'dryRun'; // the decision is computed and reported but not carried out (message says which)

/**
 * The Kubernetes-style name of each hold reason (Events; the policy path's condition reasons), kept in the
 * core so that both decision paths say `Cooldown`, `Stabilizing` and `AtLimit` the same way.
 */
export const HOLD_REASON_NAMES = {
  withinBand: 'WithinBand',
  noData: 'NoData',
  noCapacity: 'NoCapacity',
  cooldown: 'Cooldown',
  stabilizing: 'Stabilizing',
  migrationInFlight: 'MigrationInFlight',
  atLimit: 'AtLimit',
  dryRun: 'DryRun',
} as const satisfies Record<HoldReason, string>;

/** Why DecideScale acted. */
export type ActReason =
  | 'sloPressure' // an SLO metric is past its pressure threshold
  | 'demand' // the sizing planner: the demand needs more capacity than runs now
  | 'slack' // every metric is slack (step), or the planner found a cheaper configuration that covers the demand
  | 'idle'
  | 'belowMinimum'
  | 'aboveMaximum';

/** The outcome of DecideScale; every variant says why, for machines (`reason`) and people (`message`). */
export type Decision =
  | { readonly action: 'hold'; readonly reason: HoldReason; readonly message: string }
  | {
      readonly action: 'up' | 'down';
      readonly targetTier: string;
      /** The replicas of the new tier (set by the sizing planner); absent: as many as run now. */
      readonly targetReplicas?: number;
      readonly reason: ActReason;
      readonly message: string;
    }
  | {
      readonly action: 'out' | 'in';
      readonly targetReplicas: number;
      readonly reason: ActReason;
      readonly message: string;
    };

/** A decision that changes something. */
export type ActDecision = Exclude<Decision, { action: 'hold' }>;

/** State kept on the cluster object (annotation `autoscaler.k-siss.io/state`) so a restart forgets nothing. */
export interface PersistedServiceState {
  readonly recommendations: readonly Recommendation[];
  readonly lastActionAtMs?: number;
  readonly lastAction?: Exclude<ScaleAction, 'hold'>;
  readonly tierBackoffUntilMs?: Readonly<Record<string, number>>;
  readonly capacityFactors?: CapacityFactors;
  readonly pendingTarget?: PendingTarget;
  readonly lastReadyAtMs?: number;
}

/** One Knative Service as the control loop sees it (built by knative/ from the API server). */
export interface ObservedService {
  readonly namespace: string;
  readonly name: string;
  /** The revision serving 100% of traffic (or most of it during a migration). */
  readonly servingRevision: string | undefined;
  /** Names of the Ready pods of the serving revision (for `%s` / `{{pod}}` queries). */
  readonly readyPods: readonly string[];
  readonly tier: string | undefined;
  readonly readyReplicas: number;
  readonly migrationInFlight: boolean;
  readonly state: PersistedServiceState;
}

/** The result of one actuation step; failures are values, classified. */
export type ActuationResult =
  | { readonly outcome: 'done' | 'inProgress'; readonly reason: string; readonly message: string }
  | {
      readonly outcome: 'failed';
      readonly reason: string;
      readonly message: string;
      readonly errorClass: 'config' | 'transient' | 'bug';
    };

/** What the control loop needs from the platform the services run on (implemented in knative/). */
export interface ServiceActuator {
  /** Lists and observes the services of a namespace as the API server says now. */
  list(namespace: string): Promise<readonly ObservedService[]>;
  /** Starts or advances the change a decision asks for; idempotent, derived from the current objects. */
  act(service: ObservedService, decision: ActDecision, config: ServiceConfig): Promise<ActuationResult>;
  /** Advances (or rolls back) a migration in flight; called on every tick while one is. */
  resume(service: ObservedService, config: ServiceConfig): Promise<ActuationResult>;
  /** Writes the persisted state (merge patch of one annotation on the Service, no new revision). */
  saveState(service: ObservedService, state: PersistedServiceState): Promise<void>;
  /** Records a Kubernetes Event on the Service. */
  event(service: ObservedService, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}
