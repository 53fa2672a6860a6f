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
// Control loop shell (core-shell helper): clock, logger, persisted state, config watch, controller.
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { createLogger, logLevelFromEnv } from './logger.js';
export type { LogLevel, Logger, LoggerOptions } from './logger.js';
export { actionStarted, nextState, observationOf, pruneBackoff, shouldPersist } from './state.js';
export type { StateUpdate } from './state.js';
export { applyConfigData, createConfigWatch, dataFingerprint } from './config-watch.js';
export type { ConfigApplied, ConfigReloadRecorder, ConfigWatch, ConfigWatchOptions } from './config-watch.js';
export {
  configFor,
  createController,
  decideInOrder,
  planServices,
  podsNeeded,
  queriesOf,
  serviceKey,
  watchedNamespaces,
} from './controller.js';
export type {
  CapacitySource,
  ConfigSource,
  Controller,
  ControllerDeps,
  DecidePlan,
  LoopMetrics,
  PlannedDecision,
  ServiceOutcome,
  ServicePlan,
  SkipReason,
  TickReport,
} from './controller.js';
// The control-loop shell (core-shell helper's files), exported whole so other folders import only this index.
export * from './clock.js';
export * from './config-watch.js';
export * from './controller.js';
export * from './logger.js';
export * from './state.js';
