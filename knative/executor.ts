import type { MigrationSettings } from '../autoscaler/index.js';
import { readMigrationRecord } from './annotations.js';
import { httpStatusOf, type KnativeClient } from './kube-client.js';
import { planMigration } from './migration-planner.js';
import {
  MIGRATION_ANNOTATION,
  type DesiredTier,
  type MigrationRecord,
  type MigrationStep,
  type ObservedKnative,
} from './types.js';

/** Wall time, injected. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Asked between traffic steps: is the SLO still met with `percentOnNew`% on the new revision? */
export type SloCheck = (
  service: { namespace: string; name: string },
  record: MigrationRecord,
) => Promise<boolean>;

/** What one executor run did: the last step planned and every step carried out. */
export interface MigrationRun {
  readonly last: MigrationStep;
  readonly applied: readonly MigrationStep[];
  /** A conflicting write (409) stopped the run; the next run re-observes. */
  readonly conflict: boolean;
}

/** Observes one Service, its revisions and pods, as the API server says now. */
export async function observeService(
  client: KnativeClient,
  namespace: string,
  name: string,
): Promise<ObservedKnative | undefined> {
  const service = await client.getService(namespace, name);
  if (service === undefined) return undefined;
  const [revisions, pods] = await Promise.all([
    client.listRevisions(namespace, name),
    client.listPods(namespace, name),
  ]);
  return { service, revisions, pods };
}

/**
 * Carries a migration forward: observe, plan one step, do it, and again, until the plan says wait (or idle,
 * or refused), or `maxSteps` were done. Never blocks on the cluster: waiting is the caller's next tick.
 */
export async function runMigration(
  client: KnativeClient,
  namespace: string,
  name: string,
  desired: DesiredTier | undefined,
  settings: MigrationSettings,
  clock: Clock,
  options: { readonly sloCheck?: SloCheck; readonly maxSteps?: number } = {},
): Promise<MigrationRun> {
  const applied: MigrationStep[] = [];
  const maxSteps = options.maxSteps ?? 8;
  let wanted = desired;
  for (let i = 0; ; i += 1) {
    const observed = await observeService(client, namespace, name);
    if (observed === undefined) {
      return {
        last: {
          kind: 'refused',
          reason: 'serviceNotFound',
          message: `Knative Service ${namespace}/${name} not found`,
        },
        applied,
        conflict: false,
      };
    }
    const record = readMigrationRecord(observed.service.metadata.annotations?.[MIGRATION_ANNOTATION]);
    let sloHealthy: boolean | undefined;
    if (record.ok && record.value?.phase === 'shifting' && options.sloCheck !== undefined) {
      sloHealthy = await options.sloCheck({ namespace, name }, record.value);
    }
    const step = planMigration(
      observed,
      wanted,
      settings,
      clock.now(),
      sloHealthy === undefined ? {} : { sloHealthy },
    );
    if (step.kind === 'wait' || step.kind === 'idle' || step.kind === 'refused' || i >= maxSteps) {
      return { last: step, applied, conflict: false };
    }
    try {
      if (step.kind === 'patchService') await client.patchService(namespace, name, step.patch);
      else if (step.kind === 'annotateRevision') {
        await client.patchRevisionAnnotations(namespace, step.revisionName, step.annotations);
      } else await client.deleteRevision(namespace, step.revisionName);
    } catch (error) {
      if (httpStatusOf(error) === 409) return { last: step, applied, conflict: true };
      throw error;
    }
    applied.push(step);
    await client
      .recordEvent(
        { namespace, name, uid: observed.service.metadata.uid },
        step.event.type,
        step.event.reason,
        step.event.message,
        new Date(clock.now()),
      )
      .catch(() => undefined); // an event that cannot be written never stops the migration
    if (step.kind === 'patchService' && ['finished', 'rolledBack', 'abandoned'].includes(step.nextPhase)) {
      return { last: step, applied, conflict: false };
    }
    wanted = undefined; // started (or resumed): from now on the record on the Service drives every step
  }
}
