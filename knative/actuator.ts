import type { KubeConfig } from '@kubernetes/client-node';
import type {
  ActDecision,
  ActuationResult,
  ObservedService,
  PersistedServiceState,
  ServiceActuator,
  ServiceConfig,
} from '../autoscaler/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { readPersistedState, writePersistedState } from './annotations.js';
import { runMigration, type Clock, type MigrationRun, type SloCheck } from './executor.js';
import { httpStatusOf, KnativeClient } from './kube-client.js';
import { revisionNameFor, tierOfSpec } from './template.js';
import { servingRevisionName } from './traffic.js';
import {
  MAX_SCALE_ANNOTATION,
  MIGRATION_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  STATE_ANNOTATION,
  type DefaultRequests,
  type KnativeRevision,
  type KnativeService,
  type PodSummary,
} from './types.js';

/** Options of the Knative actuator. */
export interface KnativeActuatorOptions {
  readonly catalog: TierCatalog;
  readonly clock: Clock;
  /** Checked between traffic steps (phase shifting); `false` rolls the migration back. */
  readonly sloCheck?: SloCheck;
  /** Field manager and event source. */
  readonly component?: string;
  /** CPU and memory for a re-tiered GPU container that requests none (global `defaultCpu`/`defaultMemory`). */
  readonly defaultRequests?: () => DefaultRequests | undefined;
}

/** Builds the ObservedService the control loop decides on, from one Service and its revisions and pods. */
export function toObservedService(
  service: KnativeService,
  revisions: readonly KnativeRevision[],
  pods: readonly PodSummary[],
  catalog: TierCatalog,
): ObservedService {
  const name = service.metadata.name;
  const servingRevision = servingRevisionName(service);
  const revision = revisions.find((r) => r.metadata.name === servingRevision);
  const readyPods = pods.filter((p) => p.revision === servingRevision && p.ready).map((p) => p.name);
  return {
    namespace: service.metadata.namespace ?? 'default',
    name,
    servingRevision,
    readyPods,
    tier: revision === undefined ? undefined : tierOfSpec(revision.spec, catalog)?.name,
    readyReplicas: readyPods.length,
    migrationInFlight: (service.metadata.annotations?.[MIGRATION_ANNOTATION] ?? '') !== '',
    state: readPersistedState(service.metadata.annotations?.[STATE_ANNOTATION]).state,
  };
}

function fromRun(run: MigrationRun): ActuationResult {
  const { last } = run;
  if (run.conflict) {
    return {
      outcome: 'inProgress',
      reason: 'conflict',
      message: `${last.message} (the Service changed meanwhile; retried next tick)`,
    };
  }
  switch (last.kind) {
    case 'wait':
      return { outcome: 'inProgress', reason: last.reason, message: last.message };
    case 'idle':
      return { outcome: 'done', reason: last.reason, message: last.message };
    case 'refused': {
      const configLike = [
        'invalidRevisionName',
        'alreadyOnTier',
        'tierBackoff',
        'serviceNotFound',
        'userTraffic',
      ].includes(last.reason);
      return {
        outcome: 'failed',
        reason: last.reason,
        message: last.message,
        errorClass: configLike ? 'config' : 'transient',
      };
    }
    case 'deleteRevision':
    case 'annotateRevision':
      return { outcome: 'inProgress', reason: last.reason, message: last.message };
    case 'patchService':
      if (last.nextPhase === 'finished')
        return { outcome: 'done', reason: last.reason, message: last.message };
      if (last.nextPhase === 'rolledBack' || last.nextPhase === 'abandoned') {
        return { outcome: 'failed', reason: last.reason, message: last.message, errorClass: 'transient' };
      }
      return { outcome: 'inProgress', reason: last.reason, message: last.message };
  }
}

function failure(error: unknown, what: string): ActuationResult {
  const status = httpStatusOf(error);
  const errorClass =
    status === 400 || status === 422 || status === 403
      ? 'config'
      : status === undefined
        ? 'bug'
        : 'transient';
  const detail = error instanceof Error ? error.message : String(error);
  return { outcome: 'failed', reason: 'apiError', message: `${what}: ${detail}`, errorClass };
}

/**
 * The ServiceActuator for Knative Services: tier changes are make-before-break revision migrations
 * (knative/migration-planner.ts), replica changes pin the serving revision's min/max scale and its Deployment.
 */
export function createKnativeActuator(
  kubeConfig: KubeConfig,
  options: KnativeActuatorOptions,
): ServiceActuator {
  const client = new KnativeClient(kubeConfig, options.component);
  const { catalog, clock } = options;
  const gpuResources = [...new Set([...catalog.values()].map((t) => t.resource))];

  async function scale(service: ObservedService, replicas: number): Promise<ActuationResult> {
    const revision = service.servingRevision;
    if (revision === undefined) {
      return {
        outcome: 'failed',
        reason: 'noServingRevision',
        message: `${service.name} has no serving revision`,
        errorClass: 'transient',
      };
    }
    // Knative's revision reconciler copies the revision's autoscaling.knative.dev/* annotations to its
    // PodAutoscaler, whose KPA then scales the Deployment within [min-scale, max-scale]: no new revision.
    const bound = String(replicas);
    await client.patchRevisionAnnotations(service.namespace, revision, {
      [MIN_SCALE_ANNOTATION]: bound,
      [MAX_SCALE_ANNOTATION]: bound,
    });
    return {
      outcome: 'done',
      reason: 'scaled',
      message: `${service.name}: revision ${revision} pinned to ${replicas} replica(s) (min-scale = max-scale = ${replicas})`,
    };
  }

  const actuator: ServiceActuator = {
    async list(namespace) {
      const [services, revisions, pods] = await Promise.all([
        client.listServices(namespace),
        client.listRevisions(namespace),
        client.listPods(namespace),
      ]);
      return services.map((service) => {
        const name = service.metadata.name;
        const own = revisions.filter((r) => r.metadata.labels?.['serving.knative.dev/service'] === name);
        const ownRevisionNames = new Set(own.map((r) => r.metadata.name));
        return toObservedService(
          service,
          own,
          pods.filter((p) => ownRevisionNames.has(p.revision)),
          catalog,
        );
      });
    },

    async act(service, decision: ActDecision, config: ServiceConfig) {
      try {
        await actuator.event(
          service,
          'Normal',
          `Decision${decision.action[0]?.toUpperCase()}${decision.action.slice(1)}`,
          `${decision.reason}: ${decision.message}`,
        );
        if (!('targetTier' in decision)) {
          const result = await scale(service, decision.targetReplicas);
          await actuator.event(service, 'Normal', 'Scaled', result.message);
          return result;
        }
        const toTier = catalog.get(decision.targetTier);
        if (toTier === undefined) {
          return {
            outcome: 'failed',
            reason: 'unknownTier',
            message: `tier ${decision.targetTier} is not in the catalog`,
            errorClass: 'config',
          };
        }
        const fromTier = service.tier === undefined ? undefined : catalog.get(service.tier);
        const defaults = options.defaultRequests?.();
        const desired = {
          toTier,
          fromTier,
          revisionName: revisionNameFor(service.name, toTier.name, clock.now().toString(36)),
          gpuResources,
          ...(defaults === undefined ? {} : { defaultRequests: defaults }),
          ...(decision.targetReplicas === undefined ? {} : { replicas: decision.targetReplicas }),
        };
        const run = await runMigration(
          client,
          service.namespace,
          service.name,
          desired,
          config.settings.migration,
          clock,
          {
            ...(options.sloCheck === undefined ? {} : { sloCheck: options.sloCheck }),
          },
        );
        return fromRun(run);
      } catch (error) {
        return failure(error, `acting on ${service.namespace}/${service.name}`);
      }
    },

    async resume(service, config) {
      try {
        const run = await runMigration(
          client,
          service.namespace,
          service.name,
          undefined,
          config.settings.migration,
          clock,
          {
            ...(options.sloCheck === undefined ? {} : { sloCheck: options.sloCheck }),
          },
        );
        return fromRun(run);
      } catch (error) {
        return failure(error, `resuming the migration of ${service.namespace}/${service.name}`);
      }
    },

    async saveState(service, state: PersistedServiceState) {
      await client.patchService(service.namespace, service.name, {
        metadata: { annotations: { [STATE_ANNOTATION]: writePersistedState(state) } },
      });
    },

    async event(service, type, reason, message) {
      await client.recordEvent(service, type, reason, message, new Date(clock.now()));
    },
  };
  return actuator;
}
