import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

import { gpuResourceValue, type ExportedTier } from './gpu-resource-value.js';

/** Buckets for one control-loop tick, seconds. */
export const TICK_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Buckets for one Prometheus query, seconds. */
export const QUERY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Buckets for one tier migration (new revision ready, traffic moved, old one drained), seconds. */
export const MIGRATION_BUCKETS_SECONDS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200] as const;

/** The outcomes of a finished tier migration. */
export const MIGRATION_RESULTS = ['succeeded', 'rolledBack', 'failed'] as const;
export type MigrationResult = (typeof MIGRATION_RESULTS)[number];
/** The outcome of one ConfigMap (re)load. */
export type ConfigReloadResult = 'success' | 'failure';
/** Which bound of an SLO metric's band a threshold series is. */
export type ThresholdBound = 'up' | 'down' | 'slo';

/** A decision as the exporter needs it (structurally, any `Decision` of autoscaler/ fits). */
export interface DecisionLike {
  readonly action: string;
  readonly reason: string;
}

/** An SLO metric's spec as the exporter needs it (structurally, any `MetricSpec` of autoscaler/ fits). */
export interface SloMetricLike {
  readonly name: string;
  readonly slo: number;
  readonly scaleUpFactor: number;
  readonly scaleDownFactor: number;
}

/** A config problem as the exporter needs it (any `ConfigIssue` of autoscaler/ fits). */
export interface ConfigIssueLike {
  readonly key: string;
}

/** Free units per node, as in gpu-registry's `CapacitySnapshot`. */
export interface CapacityLike {
  readonly nodes: ReadonlyArray<{ readonly free: Readonly<Record<string, number>> }>;
}

/** What one service looks like now, for the tier/replica series. */
export interface ServiceStateInput {
  readonly namespace: string;
  readonly service: string;
  /** The revision serving (most of) the traffic; labels the original `KubeComp_gpu_resource` gauge. */
  readonly revision: string | undefined;
  /** The serving revision's tier; `undefined` when it is not known (its series are then removed). */
  readonly tier: ExportedTier | undefined;
  readonly readyReplicas: number;
}

/** The typed recording API the control loop calls; every series lives in the registry it was made with. */
export interface ControllerMetrics {
  /** Sets tier, replicas, compute fraction and the original per-revision gauge of one service. */
  setServiceState(input: ServiceStateInput): void;
  /** Removes every series of a service (it left the config or was deleted). */
  removeService(namespace: string, service: string): void;
  /** Counts one decision (hold included) by action and reason. */
  recordDecision(namespace: string, service: string, decision: DecisionLike): void;
  /** Sets an SLO metric's value and thresholds; `undefined`/NaN/Inf removes the value series. */
  setSloMetric(service: string, metric: SloMetricLike, value: number | undefined): void;
  /** Removes the value and threshold series of one metric of a service. */
  removeSloMetric(service: string, metricName: string): void;
  /** Counts a finished migration and observes its duration. */
  observeMigration(
    namespace: string,
    service: string,
    result: MigrationResult,
    durationSeconds: number,
  ): void;
  /** Observes how long one control-loop tick took. */
  observeTick(seconds: number): void;
  /** Observes one Prometheus query; `errorClass` set when it failed (transient, http, promql, parse...). */
  observePrometheusQuery(seconds: number, errorClass?: string): void;
  /** Sets free units per extended GPU resource, summed over nodes; resources no longer seen are removed. */
  setFreeCapacity(capacity: CapacityLike): void;
  /** Counts a ConfigMap (re)load and, per ConfigMap key, the blocks skipped as invalid. */
  recordConfigReload(result: ConfigReloadResult, issues: readonly ConfigIssueLike[]): void;
  /** Sets whether this replica holds the leader lease. */
  setLeader(isLeader: boolean): void;
}

const SERVICE_LABELS = ['namespace', 'service'] as const;

/** Registers the controller's series in `registry` (never the global one) and returns the recording API. */
export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const registers = [registry];
  const tierInfo = new Gauge({
    name: 'ksiss_service_tier_info',
    help: 'GPU tier of the revision serving a service (always 1; the tier is the label).',
    labelNames: [...SERVICE_LABELS, 'tier'],
    registers,
  });
  const replicas = new Gauge({
    name: 'ksiss_service_replicas',
    help: 'Ready replicas of the revision serving a service.',
    labelNames: SERVICE_LABELS,
    registers,
  });
  const computeFraction = new Gauge({
    name: 'ksiss_service_tier_compute_fraction',
    help: "Share of one full GPU's compute one replica of the service gets at its current tier.",
    labelNames: SERVICE_LABELS,
    registers,
  });
  const gpuResource = new Gauge({
    name: 'KubeComp_gpu_resource',
    help: 'GPU resource of a revision as the original K-SISS exported it: MIG compute slices, or MPS GB (a whole GPU counts 7 slices).',
    labelNames: ['revision'],
    registers,
  });
  const decisions = new Counter({
    name: 'ksiss_decisions_total',
    help: 'Scaling decisions by action (hold, up, down, out, in) and reason.',
    labelNames: [...SERVICE_LABELS, 'action', 'reason'],
    registers,
  });
  const sloValue = new Gauge({
    name: 'ksiss_slo_metric_value',
    help: 'Last value of an SLO metric of a service (absent when the query returned no data or NaN).',
    labelNames: ['service', 'metric'],
    registers,
  });
  const sloThreshold = new Gauge({
    name: 'ksiss_slo_metric_threshold',
    help: 'Thresholds of an SLO metric: bound="slo" the SLO, "up" slo*scaleUpFactor, "down" slo*scaleDownFactor.',
    labelNames: ['service', 'metric', 'bound'],
    registers,
  });
  const migrations = new Counter({
    name: 'ksiss_migrations_total',
    help: 'Finished tier migrations by result.',
    labelNames: [...SERVICE_LABELS, 'result'],
    registers,
  });
  const migrationDuration = new Histogram({
    name: 'ksiss_migration_duration_seconds',
    help: 'Duration of finished tier migrations, seconds.',
    labelNames: ['service', 'result'],
    buckets: [...MIGRATION_BUCKETS_SECONDS],
    registers,
  });
  const tickDuration = new Histogram({
    name: 'ksiss_tick_duration_seconds',
    help: 'Duration of one control-loop tick, seconds.',
    buckets: [...TICK_BUCKETS_SECONDS],
    registers,
  });
  const queryDuration = new Histogram({
    name: 'ksiss_prometheus_query_duration_seconds',
    help: 'Duration of Prometheus queries, seconds.',
    buckets: [...QUERY_BUCKETS_SECONDS],
    registers,
  });
  const queryErrors = new Counter({
    name: 'ksiss_prometheus_query_errors_total',
    help: 'Failed Prometheus queries by error class.',
    labelNames: ['class'],
    registers,
  });
  const freeCapacity = new Gauge({
    name: 'ksiss_gpu_free_units',
    help: 'Free units of an extended GPU resource, summed over nodes (allocatable minus requested).',
    labelNames: ['resource'],
    registers,
  });
  const configReloads = new Counter({
    name: 'ksiss_config_reloads_total',
    help: 'ConfigMap loads by result (failure: the last good config stays in force).',
    labelNames: ['result'],
    registers,
  });
  const invalidBlocks = new Counter({
    name: 'ksiss_config_invalid_blocks_total',
    help: 'ConfigMap blocks skipped as invalid, by ConfigMap key, counted on every load.',
    labelNames: ['key'],
    registers,
  });
  const leader = new Gauge({
    name: 'ksiss_leader',
    help: '1 when this replica holds the leader lease and acts, 0 otherwise.',
    registers,
  });

  // Label values currently exported per service, so a change of tier or revision removes the old series.
  const tierByService = new Map<string, string>();
  const revisionByService = new Map<string, string>();
  const metricsByService = new Map<string, Set<string>>();
  const freeResources = new Set<string>();
  const seenServices = new Set<string>();
  const serviceKey = (namespace: string, service: string): string => `${namespace}/${service}`;

  /** Starts a new service's migration series at 0, so rates and dashboards show 0 instead of no data. */
  const initialiseService = (namespace: string, service: string): void => {
    const key = serviceKey(namespace, service);
    if (seenServices.has(key)) return;
    seenServices.add(key);
    for (const result of MIGRATION_RESULTS) {
      migrations.inc({ namespace, service, result }, 0);
      migrationDuration.zero({ service, result });
    }
  };

  const removeSloMetric = (service: string, metricName: string): void => {
    sloValue.remove({ service, metric: metricName });
    for (const bound of ['up', 'down', 'slo'] as const) {
      sloThreshold.remove({ service, metric: metricName, bound });
    }
    metricsByService.get(service)?.delete(metricName);
  };

  const removeTierSeries = (namespace: string, service: string): void => {
    const key = serviceKey(namespace, service);
    const oldTier = tierByService.get(key);
    if (oldTier !== undefined) tierInfo.remove({ namespace, service, tier: oldTier });
    tierByService.delete(key);
    computeFraction.remove({ namespace, service });
  };

  const removeRevisionSeries = (namespace: string, service: string): void => {
    const key = serviceKey(namespace, service);
    const oldRevision = revisionByService.get(key);
    if (oldRevision !== undefined) gpuResource.remove({ revision: oldRevision });
    revisionByService.delete(key);
  };

  return {
    setServiceState({ namespace, service, revision, tier, readyReplicas }) {
      const key = serviceKey(namespace, service);
      initialiseService(namespace, service);
      if (isFiniteNumber(readyReplicas)) replicas.set({ namespace, service }, readyReplicas);
      else replicas.remove({ namespace, service });

      if (tier === undefined) {
        removeTierSeries(namespace, service);
      } else {
        if (tierByService.get(key) !== tier.name) {
          removeTierSeries(namespace, service);
          tierInfo.set({ namespace, service, tier: tier.name }, 1);
          tierByService.set(key, tier.name);
        }
        if (isFiniteNumber(tier.computeFraction))
          computeFraction.set({ namespace, service }, tier.computeFraction);
        else computeFraction.remove({ namespace, service });
      }

      const resourceValue = tier === undefined ? undefined : gpuResourceValue(tier);
      if (revision === undefined || resourceValue === undefined) {
        removeRevisionSeries(namespace, service);
      } else {
        if (revisionByService.get(key) !== revision) removeRevisionSeries(namespace, service);
        gpuResource.set({ revision }, resourceValue);
        revisionByService.set(key, revision);
      }
    },

    removeService(namespace, service) {
      removeTierSeries(namespace, service);
      removeRevisionSeries(namespace, service);
      replicas.remove({ namespace, service });
      for (const metricName of [...(metricsByService.get(service) ?? [])])
        removeSloMetric(service, metricName);
      metricsByService.delete(service);
      for (const result of MIGRATION_RESULTS) {
        migrations.remove({ namespace, service, result });
        migrationDuration.remove({ service, result });
      }
      seenServices.delete(serviceKey(namespace, service));
    },

    recordDecision(namespace, service, decision) {
      decisions.inc({ namespace, service, action: decision.action, reason: decision.reason });
    },

    setSloMetric(service, metric, value) {
      const labels = { service, metric: metric.name };
      let known = metricsByService.get(service);
      if (known === undefined) {
        known = new Set();
        metricsByService.set(service, known);
      }
      known.add(metric.name);
      if (value !== undefined && isFiniteNumber(value)) sloValue.set(labels, value);
      else sloValue.remove(labels);
      const thresholds: Record<ThresholdBound, number> = {
        slo: metric.slo,
        up: metric.slo * metric.scaleUpFactor,
        down: metric.slo * metric.scaleDownFactor,
      };
      for (const [bound, threshold] of Object.entries(thresholds)) {
        if (isFiniteNumber(threshold)) sloThreshold.set({ ...labels, bound }, threshold);
        else sloThreshold.remove({ ...labels, bound });
      }
    },

    removeSloMetric,

    observeMigration(namespace, service, result, durationSeconds) {
      migrations.inc({ namespace, service, result });
      if (isFiniteNumber(durationSeconds) && durationSeconds >= 0) {
        migrationDuration.observe({ service, result }, durationSeconds);
      }
    },

    observeTick(seconds) {
      if (isFiniteNumber(seconds) && seconds >= 0) tickDuration.observe(seconds);
    },

    observePrometheusQuery(seconds, errorClass) {
      if (isFiniteNumber(seconds) && seconds >= 0) queryDuration.observe(seconds);
      if (errorClass !== undefined) queryErrors.inc({ class: errorClass });
    },

    setFreeCapacity(capacity) {
      const totals = new Map<string, number>();
      for (const node of capacity.nodes) {
        for (const [resource, units] of Object.entries(node.free)) {
          if (!isFiniteNumber(units)) continue;
          totals.set(resource, (totals.get(resource) ?? 0) + units);
        }
      }
      for (const resource of [...freeResources]) {
        if (!totals.has(resource)) {
          freeCapacity.remove({ resource });
          freeResources.delete(resource);
        }
      }
      for (const [resource, units] of totals) {
        freeCapacity.set({ resource }, units);
        freeResources.add(resource);
      }
    },

    recordConfigReload(result, issues) {
      configReloads.inc({ result });
      for (const key of new Set(issues.map((issue) => issue.key))) invalidBlocks.inc({ key });
    },

    setLeader(isLeader) {
      leader.set(isLeader ? 1 : 0);
    },
  };
}

function isFiniteNumber(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}
