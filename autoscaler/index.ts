/** Public face of the autoscaler: contracts, config parsing, DecideScale and the stabilization helpers. */
export * from './types.js';
export {
  DEFAULT_GLOBAL_SETTINGS,
  DEFAULT_IDLE_AFTER_SECONDS,
  DEFAULT_MAX_REPLICAS,
  DEFAULT_MIGRATION_SETTINGS,
  DEFAULT_PROMETHEUS_URL,
  DEFAULT_SERVICE_SETTINGS,
  DEFAULT_SIZING_QUERIES,
  DEFAULT_SIZING_SETTINGS,
  DEFAULT_HEADROOM_FLOOR,
  DEFAULT_COOLDOWN_SECONDS,
  parseProfiles,
  effectiveSettings,
  KNOWN_PLACEHOLDERS,
  MAX_DURATION_SECONDS,
  MAX_TIMER_MS,
  REQUEST_RATE_METRIC,
  ARRIVAL_COUNTS,
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
  REDACTED,
  MIN_SCRUBBED_LENGTH,
  createSecretRedactor,
  credentialsInConfigMap,
  redactConfigIssue,
  redactHeaders,
  redactUrl,
  secretValuesOf,
} from './redact.js';
export type { SecretRedactor } from './redact.js';
export { CREDENTIAL_ENV, credentialsFromEnvironment, prometheusSettingsKey } from './prometheus-auth.js';
export {
  MAX_DOCUMENT_BYTES,
  MAX_NESTING_DEPTH,
  MAX_YAML_ALIASES,
  MAX_YAML_VALUES,
  checkSize,
  describeBytes,
  expandedSize,
  jsonNestingDepth,
  loadAllYamlBounded,
  loadYamlBounded,
  parseJsonBounded,
  renderBounded,
} from './bounded-input.js';
export type { BoundedParse, BoundedYamlOptions } from './bounded-input.js';
export { configDataFromText, MAX_CONFIG_FILE_BYTES } from './config-file.js';
export type { ConfigDataResult } from './config-file.js';
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
export {
  SIZING_METRICS,
  MISS_BUDGET,
  allowedTiers,
  capacityFactor,
  correctCapacity,
  coverageOf,
  demandOf,
  describeDemand,
  describePlan,
  headroomOf,
  inverseNormalLoss,
  loadOn,
  normalLoss,
  planTarget,
  priorCapacity,
  scaleCapacity,
} from './sizing.js';
export type { Candidate, DemandReading, Headroom, Plan, PlanInput } from './sizing.js';
export { decideSize, readyCooldownRemainingMs } from './decide-size.js';
export { arrivalCountsOf, mapArrivalCounts, sustainedGrowth, type ArrivalCounts } from './load-growth.js';
export type { BandState, DecideOutput, MetricSignal, ProvidedCapacity, SignalState } from './decide-scale.js';
export {
  applyScalingPolicies,
  cooldownRemainingMs,
  runEnds,
  stabilizeReplicas,
  windowExtreme,
  type TimedValue,
} from './stabilization.js';
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
  applyReservations,
  configFor,
  createController,
  decideInOrder,
  liveReservations,
  planServices,
  podsNeeded,
  targetOf,
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
  Reservation,
  ServiceOutcome,
  ServicePlan,
  SkipReason,
  TickReport,
} from './controller.js';
