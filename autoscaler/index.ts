/** Public face of the autoscaler: contracts, config parsing, DecideScale and the stabilization helpers. */
export * from './types.js';
export {
  DEFAULT_GLOBAL_SETTINGS,
  DEFAULT_IDLE_AFTER_SECONDS,
  DEFAULT_MAX_REPLICAS,
  DEFAULT_MIGRATION_SETTINGS,
  DEFAULT_PROMETHEUS_URL,
  DEFAULT_SERVICE_SETTINGS,
  KNOWN_PLACEHOLDERS,
  REQUEST_RATE_METRIC,
  RESERVED_KEYS,
  formatIssue,
  formatValue,
  globalFromEnvironment,
  isIgnored,
  metricThresholds,
  normalisePrometheusUrl,
  parseConfig,
  parseServiceBlock,
  unknownPlaceholders,
} from './config.js';
export type { Environment, ParsedConfig } from './config.js';
export {
  MAX_RECOMMENDATIONS,
  bandOf,
  compareCapacity,
  decideScale,
  describeAction,
  evaluateSignals,
  historyHorizonSeconds,
  idleSinceMs,
  providedCapacity,
  recommendationsInWindow,
  recordRecommendation,
  signalOf,
} from './decide-scale.js';
export type { BandState, DecideOutput, MetricSignal, ProvidedCapacity, SignalState } from './decide-scale.js';
export { applyScalingPolicies, cooldownRemainingMs, stabilizeReplicas } from './stabilization.js';
export type {
  PastScaleAction,
  ReplicaRecommendation,
  ReplicaScalingPolicy,
  SelectPolicy,
  StabilizationWindows,
} from './stabilization.js';
