/** API group, version and names of the AIInferenceAutoscalerPolicy custom resource (policy/crd.yaml). */
export const POLICY_GROUP = 'autoscaling.k-siss.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'aiinferenceautoscalerpolicies';
export const POLICY_KIND = 'AIInferenceAutoscalerPolicy';

/** The metrics a policy can scale on; also the keys of `spec.algorithm.weights`. */
export const POLICY_METRIC_NAMES = [
  'latencyP99',
  'latencyP95',
  'gpuUtilization',
  'gpuMemory',
  'requestQueueDepth',
] as const;
export type PolicyMetricName = (typeof POLICY_METRIC_NAMES)[number];

export type TargetKind = 'Deployment' | 'StatefulSet';
export type AlgorithmName = 'MaxRatio' | 'AverageRatio' | 'WeightedRatio';
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

/** One HPA-style rate limit: at most `value` pods (or percent) per `periodSeconds`. */
export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** `spec.scaleUp` / `spec.scaleDown`, defaults applied. */
export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: SelectPolicy;
  /** Empty means the HPA defaults (see `defaultPolicies` in evaluate.ts). */
  readonly policies: readonly ScalingPolicy[];
}

export interface LatencyMetricSpec {
  readonly enabled: boolean;
  readonly targetP99Ms?: number;
  readonly targetP95Ms?: number;
  readonly histogramMetric: string;
  /** p99 in seconds; placeholders as in the autoscaler ConfigMap. */
  readonly prometheusQuery?: string;
  /** p95 in seconds. */
  readonly p95PrometheusQuery?: string;
}

export interface PercentageMetricSpec {
  readonly enabled: boolean;
  readonly targetPercentage?: number;
  readonly prometheusQuery?: string;
}

export interface QueueDepthMetricSpec {
  readonly enabled: boolean;
  readonly targetDepth?: number;
  readonly prometheusQuery?: string;
}

/** `spec` of an AIInferenceAutoscalerPolicy with every default applied. */
export interface PolicySpec {
  readonly targetRef: { readonly apiVersion: string; readonly kind: TargetKind; readonly name: string };
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cooldownPeriodSeconds: number;
  readonly metrics: {
    readonly latency?: LatencyMetricSpec;
    readonly gpuUtilization?: PercentageMetricSpec;
    readonly gpuMemory?: PercentageMetricSpec;
    readonly requestQueueDepth?: QueueDepthMetricSpec;
  };
  readonly algorithm: {
    readonly name: AlgorithmName;
    readonly tolerance: number;
    readonly weights: Readonly<Partial<Record<PolicyMetricName, number>>>;
  };
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
  readonly fallback?: { readonly failureThreshold: number; readonly replicas: number };
}

/** An enabled metric with its target, in the unit of the status (ms, percent, requests per replica). */
export interface EnabledMetric {
  readonly name: PolicyMetricName;
  readonly target: number;
  /** Custom PromQL from the spec, when given. */
  readonly customQuery?: string;
}

/** The value read for one metric; NaN, Inf and no data are values to decide on, not exceptions. */
export type MetricReading =
  | { readonly kind: 'value'; readonly value: number }
  | {
      readonly kind: 'unavailable';
      readonly reason: 'noData' | 'notFinite' | 'queryFailed' | 'noPods';
      readonly message: string;
    };

export type MetricReadings = Readonly<Partial<Record<PolicyMetricName, MetricReading>>>;

export type ConditionType = 'Ready' | 'MetricsAvailable' | 'ScalingActive' | 'AlgorithmValid';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A metav1.Condition as stored in the status. */
export interface PolicyCondition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** A run of equal raw recommendations, first seen at `time` (RFC 3339). */
export interface StoredRecommendation {
  readonly time: string;
  readonly replicas: number;
}

/** A scaling action, for the rate policies (`replicasChange` > 0 up, < 0 down). */
export interface StoredScaleEvent {
  readonly time: string;
  readonly replicasChange: number;
}

/** Status units: ms for latency, percent for GPU, requests per replica for the queue. */
export interface CurrentMetrics {
  readonly latencyP99Ms?: number;
  readonly latencyP95Ms?: number;
  readonly gpuUtilizationPercentage?: number;
  readonly gpuMemoryPercentage?: number;
  readonly requestQueueDepth?: number;
}

/** `status` of an AIInferenceAutoscalerPolicy; everything the controller needs after a restart. */
export interface PolicyStatus {
  readonly observedGeneration?: number;
  readonly currentReplicas?: number;
  readonly desiredReplicas?: number;
  readonly lastScaleTime?: string;
  readonly lastScaleReason?: string;
  readonly lastAlgorithm?: string;
  readonly consecutiveMetricFailures?: number;
  readonly currentMetrics?: CurrentMetrics;
  readonly recommendations?: readonly StoredRecommendation[];
  readonly scaleEvents?: readonly StoredScaleEvent[];
  readonly conditions?: readonly PolicyCondition[];
}

/** The resource as read from the API server (spec not yet validated). */
export interface PolicyObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: string | Date;
  };
  readonly spec: unknown;
  readonly status?: PolicyStatus;
}

/** One problem in a policy spec: `spec.path = value: message`. */
export interface PolicyIssue {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}
