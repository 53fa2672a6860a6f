/**
 * The exporter: the controller's Prometheus series in their own registry, the /metrics /healthz /readyz
 * server, and the Grafana dashboard (`exporter/grafana-dashboard.json`).
 */
export { Registry } from 'prom-client';
export {
  createControllerMetrics,
  MIGRATION_BUCKETS_SECONDS,
  MIGRATION_RESULTS,
  QUERY_BUCKETS_SECONDS,
  TICK_BUCKETS_SECONDS,
} from './controller-metrics.js';
export type {
  CapacityLike,
  ConfigIssueLike,
  ConfigReloadResult,
  ControllerMetrics,
  DecisionLike,
  MigrationResult,
  ServiceStateInput,
  SloMetricLike,
  ThresholdBound,
} from './controller-metrics.js';
export { createPolicyMetrics } from './policy-metrics.js';
export type { PolicyMetrics } from './policy-metrics.js';
export { gpuResourceValue, SLICES_PER_GPU } from './gpu-resource-value.js';
export type { ExportedTier } from './gpu-resource-value.js';
export { startMetricsServer } from './metrics-server.js';
export type { MetricsServer, MetricsServerOptions, NamedCheck, ProbeResult } from './metrics-server.js';
export { apiServerCheck, configLoadedCheck, loopProgressCheck } from './probes.js';
export { DASHBOARD_URL, dashboardQueries, readDashboard, substituteVariables } from './dashboard.js';
export type { DashboardQuery, VariableValues } from './dashboard.js';
