import type { CapacitySnapshot, GpuTier, TierCatalog } from '../gpu-registry/index.js';
import { claim } from '../gpu-registry/index.js';
import type { MetricFailure, MetricsSource, NamedQuery, ServiceMetrics } from '../prometheus/index.js';
import { mapBounded } from '../prometheus/index.js';
import type { Clock } from './clock.js';
import { ARRIVAL_COUNTS, DEFAULT_SERVICE_SETTINGS, isIgnored, REQUEST_RATE_METRIC } from './config.js';
import { prometheusSettingsKey } from './prometheus-auth.js';
import { HOLD_REASON_NAMES } from './types.js';
import type { DecideOutput } from './decide-scale.js';
import { decideScale, describeAction } from './decide-scale.js';
import { SIZING_METRICS } from './sizing.js';
import type { Logger } from './logger.js';
import { actionStarted, nextState, observationOf, shouldPersist } from './state.js';
import type {
  ActDecision,
  ActuationResult,
  AutoscalerConfig,
  Decision,
  GlobalSettings,
  HoldReason,
  MetricSpec,
  ObservedService,
  ServiceActuator,
  ServiceConfig,
  ServiceObservation,
} from './types.js';

/**
 * The control loop. One tick: list the services of every watched namespace through the actuator, read
 * their metrics concurrently (bounded), decide sequentially in a stable order on one shared capacity
 * snapshot (each up/out claims its pods, so two services cannot be promised the last slice), act
 * concurrently (bounded; a migration in flight is resumed instead of decided on), save the state that
 * must survive a restart on the Service. Ticks never overlap. A failure in one service never stops another.
 *
 * The planning functions at the top are pure and unit-tested; `createController` is the shell.
 */

// ------------------------------------------------------------------------------------------ pure planning

/** `namespace/name`, the key services are ordered and reported by. */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The namespaces to list: the global ones and every service block's own, sorted, without repeats. */
export function watchedNamespaces(config: AutoscalerConfig): string[] {
  const namespaces = new Set(config.global.namespaces);
  for (const service of config.services.values()) {
    if (service.settings.namespace !== undefined) namespaces.add(service.settings.namespace);
  }
  return [...namespaces].sort();
}

/** The config block of an observed service: same name, and its namespace when the block names one. */
export function configFor(config: AutoscalerConfig, service: ObservedService): ServiceConfig | undefined {
  const block = config.services.get(service.name);
  if (block === undefined) return undefined;
  const namespace = block.settings.namespace;
  if (namespace !== undefined) return namespace === service.namespace ? block : undefined;
  return config.global.namespaces.includes(service.namespace) ? block : undefined;
}

/**
 * The queries of a service: its metric blocks, plus the idle policy's request rate (summed over pods), the
 * arrivals (the planner's, or the load growth's for `step`) evaluated now and 1, 2 and 3 minutes ago, and
 * the planner's counts of completions and tokens.
 */
export function queriesOf(config: ServiceConfig): NamedQuery[] {
  const queries: NamedQuery[] = config.metrics.map((metric) => ({
    name: metric.name,
    query: metric.query,
    aggregate: metric.aggregate,
  }));
  if (config.settings.idle !== undefined && config.settings.policy === 'step') {
    queries.push({
      name: REQUEST_RATE_METRIC,
      query: config.settings.idle.requestRateQuery,
      aggregate: 'sum',
    });
  }
  const policy = config.settings.policy;
  const arrivalsQuery =
    policy === 'size'
      ? config.settings.sizing.queries.arrivalsQuery
      : policy === 'step'
        ? config.settings.loadGrowth?.arrivalsQuery
        : undefined;
  if (arrivalsQuery !== undefined) {
    for (const { name, offsetSeconds } of ARRIVAL_COUNTS) {
      queries.push({ name, query: arrivalsQuery, aggregate: 'sum', offsetSeconds });
    }
  }
  if (policy === 'size') {
    const q = config.settings.sizing.queries;
    queries.push(
      { name: SIZING_METRICS.recentArrivals, query: q.recentArrivalsQuery, aggregate: 'sum' },
      { name: SIZING_METRICS.completions, query: q.completionsQuery, aggregate: 'sum' },
      { name: SIZING_METRICS.promptTokens, query: q.promptTokensQuery, aggregate: 'sum' },
      { name: SIZING_METRICS.outputTokens, query: q.outputTokensQuery, aggregate: 'sum' },
    );
  }
  return queries;
}

/** Holds whose Event is a Warning: the service may be worse off than it should be. */
const WARNING_HOLDS: ReadonlySet<HoldReason> = new Set<HoldReason>(['noData', 'noCapacity', 'atLimit']);

export type SkipReason = 'ignored' | 'noConfig' | 'unknownTier';

/** What a tick does with one observed service. */
export type ServicePlan =
  | {
      readonly kind: 'skip';
      readonly key: string;
      readonly service: ObservedService;
      readonly reason: SkipReason;
      readonly message: string;
    }
  | {
      readonly kind: 'resume';
      readonly key: string;
      readonly service: ObservedService;
      readonly config: ServiceConfig;
    }
  | {
      readonly kind: 'decide';
      readonly key: string;
      readonly service: ObservedService;
      readonly config: ServiceConfig;
      readonly observation: ServiceObservation;
      readonly queries: readonly NamedQuery[];
    };

export type DecidePlan = Extract<ServicePlan, { kind: 'decide' }>;

/** Sorts observed services into skip / resume / decide, in `namespace/name` order. */
export function planServices(config: AutoscalerConfig, observed: readonly ObservedService[]): ServicePlan[] {
  const plans = observed.map((service): ServicePlan => {
    const key = serviceKey(service.namespace, service.name);
    // A migration in flight is carried to its end (finished or rolled back) whatever happened to the
    // config since it started: ignored, block removed or invalid. The record on the Service holds its
    // deadline, steps, drain and backoff, so the block's settings are not needed; stopping half-way would
    // leave traffic split and two revisions running.
    if (service.migrationInFlight) {
      const block = configFor(config, service);
      return {
        kind: 'resume',
        key,
        service,
        config: block ?? { service: service.name, metrics: [], settings: DEFAULT_SERVICE_SETTINGS },
      };
    }
    if (isIgnored(service.name, config.global)) {
      return { kind: 'skip', key, service, reason: 'ignored', message: `${key} matches the ignore list` };
    }
    const block = configFor(config, service);
    if (block === undefined) {
      return {
        kind: 'skip',
        key,
        service,
        reason: 'noConfig',
        message: `${key} has no block in the ConfigMap`,
      };
    }
    const observation = observationOf(service);
    if (observation === undefined) {
      return {
        kind: 'skip',
        key,
        service,
        reason: 'unknownTier',
        message: `${key} requests no GPU tier of the catalog in its serving revision; it is left alone`,
      };
    }
    return { kind: 'decide', key, service, config: block, observation, queries: queriesOf(block) };
  });
  return plans.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A service's decision after capacity claiming; `act` is what the actuator is asked to do. */
export interface PlannedDecision {
  readonly plan: DecidePlan;
  readonly output: DecideOutput;
  /** The decision in force: DecideScale's, or `hold/noCapacity` when its pods could not be claimed. */
  readonly decision: Decision;
  readonly act: ActDecision | undefined;
}

/** The configuration an action asks for: its tier (or the current one) and its replicas (or those running). */
export function targetOf(
  decision: ActDecision,
  observation: Pick<ServiceObservation, 'tier' | 'readyReplicas'>,
): { readonly tier: string; readonly replicas: number } {
  if ('targetTier' in decision) {
    return {
      tier: decision.targetTier,
      replicas: decision.targetReplicas ?? Math.max(1, observation.readyReplicas),
    };
  }
  return { tier: observation.tier, replicas: decision.targetReplicas };
}

/** How many pods of which tier an action needs while it runs (a tier move runs both revisions for a while). */
export function podsNeeded(
  decision: ActDecision,
  observation: ServiceObservation,
  catalog: TierCatalog,
): { readonly tier: GpuTier; readonly pods: number } | undefined {
  switch (decision.action) {
    case 'up':
    case 'down': {
      const tier = catalog.get(decision.targetTier);
      return tier === undefined
        ? undefined
        : { tier, pods: decision.targetReplicas ?? Math.max(1, observation.readyReplicas) };
    }
    case 'out': {
      const tier = catalog.get(observation.tier);
      const pods = decision.targetReplicas - observation.readyReplicas;
      return tier === undefined || pods <= 0 ? undefined : { tier, pods };
    }
    case 'in':
      return undefined;
  }
}

/**
 * Pods an action was started for but that the capacity cache may not show yet (Knative creates them a
 * moment after the Service is patched): held until the change is over, so the next tick cannot promise
 * the same units to another service. Once the pods exist they are counted twice until the reservation
 * ends, which errs on the safe side (a service waits rather than getting a slice that is taken).
 */
export interface Reservation {
  readonly key: string;
  readonly action: ActDecision['action'];
  readonly tier: GpuTier;
  readonly pods: number;
  /** For `out`: the replica count that ends the reservation. */
  readonly targetReplicas?: number;
  readonly untilMs: number;
}

/** The reservations still needed given this tick's plans (pure). */
export function liveReservations(
  reservations: readonly Reservation[],
  plans: readonly ServicePlan[],
  nowMs: number,
): Reservation[] {
  const byKey = new Map(plans.map((plan) => [plan.key, plan]));
  return reservations.filter((reservation) => {
    const plan = byKey.get(reservation.key);
    if (plan === undefined || plan.kind === 'skip' || nowMs >= reservation.untilMs) return false;
    if (reservation.action === 'out') {
      return plan.service.readyReplicas < (reservation.targetReplicas ?? Number.POSITIVE_INFINITY);
    }
    // A tier move is over once no migration is in flight (finished or rolled back).
    return plan.kind === 'resume';
  });
}

/** Takes the reserved pods out of a snapshot; a reservation that no longer fits is already counted. */
export function applyReservations(
  capacity: CapacitySnapshot,
  reservations: readonly Reservation[],
): CapacitySnapshot {
  let left = capacity;
  for (const reservation of reservations) {
    left = claim(left, reservation.tier, reservation.pods) ?? left;
  }
  return left;
}

/**
 * Decides every service in the order given (stable: `namespace/name`) on one capacity snapshot. Each
 * action that needs new pods claims them before the next service is decided, so the next one sees only
 * what is left; an action whose pods no longer fit becomes `hold/noCapacity`.
 */
export function decideInOrder(
  items: ReadonlyArray<{ readonly plan: DecidePlan; readonly metrics: ServiceMetrics }>,
  catalog: TierCatalog,
  capacity: CapacitySnapshot,
  nowMs: number,
): { readonly decisions: PlannedDecision[]; readonly capacity: CapacitySnapshot } {
  let left = capacity;
  const decisions: PlannedDecision[] = [];
  for (const { plan, metrics } of items) {
    const output = decideScale({
      config: plan.config,
      catalog,
      observation: plan.observation,
      // A metric whose query failed counts as "no data": it can hold, never scale down.
      metrics: {
        ...Object.fromEntries(metrics.failures.map((failure) => [failure.metric, undefined])),
        ...metrics.values,
      },
      capacity: left,
      nowMs,
    });
    const decision = output.decision;
    if (decision.action === 'hold') {
      decisions.push({ plan, output, decision, act: undefined });
      continue;
    }
    const needed = podsNeeded(decision, plan.observation, catalog);
    if (needed === undefined) {
      decisions.push({ plan, output, decision, act: decision });
      continue;
    }
    const claimed = claim(left, needed.tier, needed.pods);
    if (claimed === undefined) {
      const held: Decision = {
        action: 'hold',
        reason: 'noCapacity',
        message:
          `no room left this tick for ${needed.pods} pod(s) of ${needed.tier.name} (claimed by services decided ` +
          `before); would ${describeAction(decision)}: ${decision.message}`,
      };
      decisions.push({ plan, output, decision: held, act: undefined });
      continue;
    }
    left = claimed;
    decisions.push({ plan, output, decision, act: decision });
  }
  return { decisions, capacity: left };
}

// ------------------------------------------------------------------------------------------------- shell

/** The exporter's recording API as the loop uses it (exporter/'s `ControllerMetrics` fits). */
export interface LoopMetrics {
  setServiceState(input: {
    readonly namespace: string;
    readonly service: string;
    readonly revision: string | undefined;
    readonly tier: GpuTier | undefined;
    readonly readyReplicas: number;
  }): void;
  removeService(namespace: string, service: string): void;
  recordDecision(
    namespace: string,
    service: string,
    decision: { readonly action: string; readonly reason: string },
  ): void;
  setSloMetric(service: string, metric: MetricSpec, value: number | undefined): void;
  observeMigration(
    namespace: string,
    service: string,
    result: 'succeeded' | 'rolledBack' | 'failed',
    durationSeconds: number,
  ): void;
  observeTick(seconds: number): void;
  setFreeCapacity(capacity: CapacitySnapshot): void;
}

/** Free capacity on demand (gpu-registry's `CapacityCache` fits). */
export interface CapacitySource {
  snapshot(): CapacitySnapshot;
}

/** The config in force (`ConfigWatch` fits). */
export interface ConfigSource {
  current(): AutoscalerConfig | undefined;
}

export interface ControllerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: ConfigSource;
  readonly capacity: CapacitySource;
  readonly actuator: ServiceActuator;
  /** The metrics source for the global settings in force (rebuilt when the Prometheus URL changes). */
  readonly metricsSource: (global: GlobalSettings) => MetricsSource;
  readonly metrics?: LoopMetrics;
  /** Only the leader acts; the others keep their caches warm and skip ticks. */
  readonly isLeader?: () => boolean;
  /** Overrides the config's `intervalSeconds` (tests, `--interval-seconds`). */
  readonly intervalMs?: number;
}

/** What happened to one service in a tick. */
export type ServiceOutcome =
  | { readonly key: string; readonly kind: 'skipped'; readonly reason: SkipReason; readonly message: string }
  | { readonly key: string; readonly kind: 'resumed'; readonly result: ActuationResult }
  | {
      readonly key: string;
      readonly kind: 'decided';
      readonly decision: Decision;
      readonly metricFailures: readonly MetricFailure[];
      readonly result?: ActuationResult;
    }
  | { readonly key: string; readonly kind: 'failed'; readonly reason: string; readonly message: string };

/** The result of one tick. */
export type TickReport =
  | {
      readonly kind: 'skipped';
      readonly reason: 'noConfig' | 'notLeader' | 'aborted';
      readonly message: string;
    }
  | {
      readonly kind: 'ran';
      readonly atMs: number;
      readonly services: readonly ServiceOutcome[];
      /** Namespaces that could not be listed this tick. */
      readonly listFailures: readonly { readonly namespace: string; readonly message: string }[];
    };

export interface Controller {
  /** One tick; never throws for a service's failure. */
  tick(signal?: AbortSignal): Promise<TickReport>;
  /** Ticks every interval until `signal` aborts; the tick in progress finishes (its queries are aborted). */
  run(signal: AbortSignal): Promise<void>;
  /** When the last tick ended (for the liveness probe). */
  lastTickAtMs(): number | undefined;
}

/** A short error text: Kubernetes API errors as `HTTP 404: <status message>` rather than their whole headers. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if ('code' in error && typeof error.code === 'number' && 'body' in error) {
    const body: unknown = error.body;
    const detail =
      typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
        ? body.message
        : typeof body === 'string'
          ? body.trim()
          : '';
    return `HTTP ${error.code}${detail === '' ? '' : `: ${detail.slice(0, 300)}`}`;
  }
  return error.message;
}

function actuationFailure(error: unknown): ActuationResult {
  return { outcome: 'failed', reason: 'actuatorThrew', message: errorText(error), errorClass: 'bug' };
}

/** The control loop on its dependencies. */
export function createController(deps: ControllerDeps): Controller {
  const { clock, logger, actuator } = deps;
  let lastTickAt: number | undefined;
  let source: { readonly key: string; readonly source: MetricsSource } | undefined;
  /** Per service: the last hold reason / event message, so steady states are not logged or evented every tick. */
  const lastHold = new Map<string, string>();
  const lastEvent = new Map<string, string>();
  const lastListError = new Map<string, string>();
  const lastMetricFailure = new Map<string, string>();
  const exported = new Set<string>();
  let reservations: Reservation[] = [];

  const sourceFor = (global: GlobalSettings): MetricsSource => {
    const key = prometheusSettingsKey(global);
    if (source?.key !== key) source = { key, source: deps.metricsSource(global) };
    return source.source;
  };

  const event = async (
    service: ObservedService,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => {
    try {
      await actuator.event(service, type, reason, message);
    } catch (error) {
      logger.warn('could not record an Event', {
        namespace: service.namespace,
        service: service.name,
        reason,
        error: errorText(error),
      });
    }
  };

  /** An event only when `signature` differs from the last one for this service and topic (no event storms). */
  const eventOnChange = async (
    service: ObservedService,
    topic: string,
    signature: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => {
    const key = `${serviceKey(service.namespace, service.name)}#${topic}`;
    if (lastEvent.get(key) === signature) return;
    lastEvent.set(key, signature);
    await event(service, type, reason, message);
  };

  async function listAll(config: AutoscalerConfig) {
    const namespaces = watchedNamespaces(config);
    const listed = await mapBounded(namespaces, config.global.maxConcurrentServices, async (namespace) => {
      try {
        return { namespace, services: await actuator.list(namespace) };
      } catch (error) {
        return { namespace, error: errorText(error) };
      }
    });
    const observed: ObservedService[] = [];
    const listFailures: { namespace: string; message: string }[] = [];
    for (const entry of listed) {
      if ('services' in entry && entry.services !== undefined) {
        observed.push(...entry.services);
        lastListError.delete(entry.namespace);
      } else {
        const message = entry.error ?? 'unknown';
        listFailures.push({ namespace: entry.namespace, message });
        // Warn when the failure starts or changes; the same failure tick after tick is debug.
        const repeated = lastListError.get(entry.namespace) === message;
        lastListError.set(entry.namespace, message);
        logger.log(repeated ? 'debug' : 'warn', 'could not list services', {
          namespace: entry.namespace,
          error: message,
        });
      }
    }
    return { observed, listFailures };
  }

  async function resume(
    plan: Extract<ServicePlan, { kind: 'resume' }>,
    nowMs: number,
  ): Promise<ServiceOutcome> {
    const { service } = plan;
    const fields = { namespace: service.namespace, service: service.name };
    let result: ActuationResult;
    try {
      result = await actuator.resume(service, plan.config);
    } catch (error) {
      result = actuationFailure(error);
    }
    logger.info('migration step', {
      ...fields,
      outcome: result.outcome,
      reason: result.reason,
      message: result.message,
    });
    if (result.outcome === 'failed') {
      const text = `${result.reason}: ${result.message}`;
      await eventOnChange(service, 'resume', text, 'Warning', 'MigrationStepFailed', text);
    }
    if (result.outcome === 'failed' || (result.outcome === 'done' && result.reason !== 'noMigration')) {
      const startedAt = service.state.lastActionAtMs ?? nowMs;
      const rolledBack = /roll(ed)?[ -]?back/i.test(result.reason);
      deps.metrics?.observeMigration(
        service.namespace,
        service.name,
        result.outcome === 'failed' ? 'failed' : rolledBack ? 'rolledBack' : 'succeeded',
        Math.max(0, (nowMs - startedAt) / 1000),
      );
    }
    return { key: plan.key, kind: 'resumed', result };
  }

  async function carryOut(
    planned: PlannedDecision,
    metricFailures: readonly MetricFailure[],
    nowMs: number,
    catalog: TierCatalog,
  ) {
    const { plan, decision, act } = planned;
    const { service, config } = plan;
    const fields = { namespace: service.namespace, service: service.name };
    let result: ActuationResult | undefined;
    if (act !== undefined) {
      try {
        result = await actuator.act(service, act, config);
      } catch (error) {
        result = actuationFailure(error);
      }
      if (actionStarted(result)) {
        const needed = podsNeeded(act, plan.observation, catalog);
        if (needed !== undefined) {
          reservations.push({
            key: plan.key,
            action: act.action,
            tier: needed.tier,
            pods: needed.pods,
            ...(act.action === 'out' ? { targetReplicas: act.targetReplicas } : {}),
            untilMs: nowMs + config.settings.migration.readyTimeoutSeconds * 1000,
          });
        }
        // The decision's Normal event is recorded by the actuator as it acts (with the same reason and message).
        logger.info('action started', {
          ...fields,
          decision: act.action,
          reason: act.reason,
          outcome: result.outcome,
          message: result.message,
        });
      } else {
        logger.warn('action failed', {
          ...fields,
          decision: act.action,
          reason: result.reason,
          errorClass: result.outcome === 'failed' ? result.errorClass : undefined,
          message: result.message,
        });
        const text = `${describeAction(act)} failed (${result.reason}): ${result.message}`;
        await eventOnChange(
          service,
          'act',
          `${describeAction(act)}/${result.reason}`,
          'Warning',
          'ScalingFailed',
          text,
        );
      }
    } else if (decision.action === 'hold') {
      // Every hold is an Event, once per change of reason (and of what would be done), not every tick;
      // the message carries the values of the tick that changed it.
      const would = planned.output.wouldAct;
      const signature = `${decision.reason}/${would === undefined ? '' : describeAction(would)}`;
      await eventOnChange(
        service,
        'hold',
        signature,
        WARNING_HOLDS.has(decision.reason) ? 'Warning' : 'Normal',
        HOLD_REASON_NAMES[decision.reason],
        decision.message,
      );
    }
    // After an action the next hold is news again.
    if (decision.action !== 'hold') lastEvent.delete(`${plan.key}#hold`);
    const state = nextState(
      service.state,
      {
        recommendation: planned.output.recommendation,
        ...(act !== undefined && result !== undefined && actionStarted(result)
          ? { startedAction: act.action, startedTarget: targetOf(act, plan.observation) }
          : {}),
        ...(planned.output.capacityFactors === undefined
          ? {}
          : { capacityFactors: planned.output.capacityFactors }),
        observed: {
          tier: plan.observation.tier,
          readyReplicas: plan.observation.readyReplicas,
          migrationInFlight: plan.observation.migrationInFlight,
        },
      },
      config.settings,
      nowMs,
    );
    if (shouldPersist(service.state, state)) {
      try {
        await actuator.saveState(service, state);
      } catch (error) {
        logger.error('could not save the service state', { ...fields, error: errorText(error) });
      }
    }
    return {
      key: plan.key,
      kind: 'decided' as const,
      decision,
      metricFailures,
      ...(result !== undefined ? { result } : {}),
    };
  }

  function logDecision(planned: PlannedDecision): void {
    const { plan, decision } = planned;
    const fields = {
      namespace: plan.service.namespace,
      service: plan.service.name,
      revision: plan.service.servingRevision,
      tier: plan.observation.tier,
      replicas: plan.observation.readyReplicas,
      decision: decision.action,
      reason: decision.reason,
      signals: planned.output.signals.map((signal) => ({
        metric: signal.name,
        value: signal.value === undefined || Number.isNaN(signal.value) ? null : signal.value,
        state: signal.state,
      })),
    };
    const signature = `${decision.action}/${decision.reason}`;
    const changed = lastHold.get(plan.key) !== signature;
    lastHold.set(plan.key, signature);
    if (decision.action !== 'hold' || changed) logger.info(decision.message, fields);
    else logger.debug(decision.message, fields);
  }

  async function tick(signal?: AbortSignal): Promise<TickReport> {
    const config = deps.config.current();
    if (config === undefined) {
      logger.warn('no usable config yet: nothing to do this tick');
      return { kind: 'skipped', reason: 'noConfig', message: 'no usable config yet' };
    }
    if (deps.isLeader !== undefined && !deps.isLeader()) {
      return { kind: 'skipped', reason: 'notLeader', message: 'another replica holds the leader lease' };
    }
    const nowMs = clock.now();
    const limit = config.global.maxConcurrentServices;
    const { observed, listFailures } = await listAll(config);
    const plans = planServices(config, observed);
    const outcomes: ServiceOutcome[] = [];
    const seen = new Set<string>();

    for (const plan of plans) {
      if (plan.kind === 'skip') {
        outcomes.push({ key: plan.key, kind: 'skipped', reason: plan.reason, message: plan.message });
        if (plan.reason === 'unknownTier') {
          await eventOnChange(plan.service, 'tier', plan.message, 'Warning', 'UnknownTier', plan.message);
        } else logger.debug('service skipped', { service: plan.key, reason: plan.reason });
        continue;
      }
      seen.add(plan.key);
      deps.metrics?.setServiceState({
        namespace: plan.service.namespace,
        service: plan.service.name,
        revision: plan.service.servingRevision,
        tier: plan.service.tier === undefined ? undefined : config.catalog.get(plan.service.tier),
        readyReplicas: plan.service.readyReplicas,
      });
    }
    for (const key of [...exported]) {
      if (!seen.has(key)) {
        const [namespace = '', name = ''] = key.split('/');
        deps.metrics?.removeService(namespace, name);
        exported.delete(key);
      }
    }
    seen.forEach((key) => exported.add(key));

    // Metrics of every service to decide on, concurrently (the source bounds the HTTP queries).
    const toDecide = plans.filter((plan): plan is DecidePlan => plan.kind === 'decide');
    const metricsSource = sourceFor(config.global);
    const read = await mapBounded(toDecide, limit, async (plan) => {
      const { service } = plan;
      try {
        return await metricsSource.read(
          {
            namespace: service.namespace,
            service: service.name,
            revision: service.servingRevision,
            readyPods: service.readyPods,
          },
          plan.queries,
          signal,
        );
      } catch (error) {
        const failures = plan.queries.map((query) => ({
          metric: query.name,
          errorClass: 'bug' as const,
          reason: 'serverError' as const,
          message: `service ${plan.key} metric ${query.name}: ${errorText(error)}`,
        }));
        return { values: {}, failures };
      }
    });
    if (signal?.aborted === true) {
      return {
        kind: 'skipped',
        reason: 'aborted',
        message: 'shutting down: the tick was abandoned before deciding',
      };
    }
    for (const [index, plan] of toDecide.entries()) {
      const metrics = read[index] ?? { values: {}, failures: [] };
      for (const spec of plan.config.metrics)
        deps.metrics?.setSloMetric(plan.service.name, spec, metrics.values[spec.name]);
      for (const failure of metrics.failures) {
        // Warn when a failure starts or changes; the same failure tick after tick is debug.
        const failureKey = `${plan.key}#${failure.metric}`;
        const repeated = lastMetricFailure.get(failureKey) === failure.message;
        lastMetricFailure.set(failureKey, failure.message);
        logger.log(repeated ? 'debug' : 'warn', 'metric query failed', {
          namespace: plan.service.namespace,
          service: plan.service.name,
          metric: failure.metric,
          errorClass: failure.errorClass,
          reason: failure.reason,
          message: failure.message,
        });
        if (failure.errorClass === 'config') {
          const topic = `metric:${failure.metric}`;
          await eventOnChange(
            plan.service,
            topic,
            failure.message,
            'Warning',
            'MetricQueryInvalid',
            failure.message,
          );
        }
      }
    }

    // Decide in a stable order on one snapshot, claiming capacity as we go.
    const observedCapacity = deps.capacity.snapshot();
    deps.metrics?.setFreeCapacity(observedCapacity);
    reservations = liveReservations(reservations, plans, nowMs);
    const capacity = applyReservations(observedCapacity, reservations);
    const { decisions } = decideInOrder(
      toDecide.map((plan, index) => ({ plan, metrics: read[index] ?? { values: {}, failures: [] } })),
      config.catalog,
      capacity,
      nowMs,
    );
    for (const planned of decisions) {
      deps.metrics?.recordDecision(
        planned.plan.service.namespace,
        planned.plan.service.name,
        planned.decision,
      );
      logDecision(planned);
    }

    // Act (and resume migrations) concurrently, bounded; one action per service per tick.
    const resumes = plans.filter(
      (plan): plan is Extract<ServicePlan, { kind: 'resume' }> => plan.kind === 'resume',
    );
    const jobs: Array<{ readonly key: string; readonly run: () => Promise<ServiceOutcome> }> = [
      ...resumes.map((plan) => ({ key: plan.key, run: () => resume(plan, nowMs) })),
      ...decisions.map((planned, index) => ({
        key: planned.plan.key,
        run: () => carryOut(planned, read[index]?.failures ?? [], nowMs, config.catalog),
      })),
    ];
    const results = await mapBounded(jobs, limit, async (job): Promise<ServiceOutcome> => {
      try {
        return await job.run();
      } catch (error) {
        // A bug in one service's handling must not take the others down.
        logger.error('service handling failed', { service: job.key, error: errorText(error) });
        return { key: job.key, kind: 'failed', reason: 'bug', message: errorText(error) };
      }
    });
    outcomes.push(...results);
    outcomes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { kind: 'ran', atMs: nowMs, services: outcomes, listFailures };
  }

  return {
    tick,
    async run(signal) {
      while (!signal.aborted) {
        const startedAt = clock.now();
        try {
          await tick(signal);
        } catch (error) {
          logger.error('tick failed', { error: errorText(error) });
        }
        lastTickAt = clock.now();
        const tookMs = lastTickAt - startedAt;
        deps.metrics?.observeTick(tookMs / 1000);
        const intervalMs = deps.intervalMs ?? (deps.config.current()?.global.intervalSeconds ?? 10) * 1000;
        if (tookMs > intervalMs) logger.warn('tick took longer than the interval', { tookMs, intervalMs });
        await clock.sleep(Math.max(0, intervalMs - tookMs), signal);
      }
    },
    lastTickAtMs: () => lastTickAt,
  };
}
