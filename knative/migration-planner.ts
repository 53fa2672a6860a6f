import type { MigrationSettings } from '../autoscaler/index.js';
import {
  readMigrationRecord,
  readPersistedState,
  withTierBackoff,
  writeMigrationRecord,
  writePersistedState,
} from './annotations.js';
import { retierTemplate } from './template.js';
import {
  followsLatestRevision,
  isPinnedTo,
  isRevisionReady,
  normalizeTrafficSteps,
  percentByRevision,
  readyCondition,
  servingRevisionName,
  splitTraffic,
  trafficRewriteProblem,
} from './traffic.js';
import {
  INITIAL_SCALE_ANNOTATION,
  MAX_SCALE_ANNOTATION,
  MIGRATION_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  STATE_ANNOTATION,
  type DesiredTier,
  type KnativeRevision,
  type MigrationChecks,
  type MigrationRecord,
  type MigrationStep,
  type ObservedKnative,
  type RevisionTemplate,
  type ServiceMergePatch,
  type TrafficTarget,
} from './types.js';

/** Revision Ready=False reasons after which waiting longer cannot help. */
const TERMINAL_REVISION_REASONS = new Set(['ProgressDeadlineExceeded', 'ContainerMissing', 'ExitCode']);

function findRevision(observed: ObservedKnative, name: string): KnativeRevision | undefined {
  return observed.revisions.find((r) => r.metadata.name === name);
}

function patchOf(
  observed: ObservedKnative,
  annotations: Record<string, string | null>,
  spec?: ServiceMergePatch['spec'],
): ServiceMergePatch {
  // resourceVersion makes every patch conditional: two controllers cannot both act on one observation.
  const metadata = { resourceVersion: observed.service.metadata.resourceVersion, annotations };
  return spec === undefined ? { metadata } : { metadata, spec };
}

function withRecord(observed: ObservedKnative, record: MigrationRecord, spec?: ServiceMergePatch['spec']) {
  return patchOf(observed, { [MIGRATION_ANNOTATION]: writeMigrationRecord(record) }, spec);
}

/** Why the new revision is not ready, from its Ready condition and its pods (e.g. Unschedulable). */
function notReadyWhy(observed: ObservedKnative, revisionName: string): string {
  const revision = findRevision(observed, revisionName);
  if (revision === undefined) return `revision ${revisionName} not created yet`;
  const ready = readyCondition(revision.status?.conditions);
  const pod = observed.pods?.find((p) => p.revision === revisionName && p.unschedulableMessage !== undefined);
  const parts = [`revision ${revisionName} Ready=${ready?.status ?? 'Unknown'}`];
  if (ready?.reason) parts.push(`reason ${ready.reason}`);
  if (ready?.message) parts.push(ready.message);
  if (pod?.unschedulableMessage) parts.push(`pod ${pod.name} unschedulable: ${pod.unschedulableMessage}`);
  return parts.join(', ');
}

/**
 * The scale-bound annotations (`autoscaling.knative.dev/min-scale`/`max-scale`, written on the serving revision
 * by out/in) that the new revision lacks: the new revision starts with the replicas the old one had.
 */
function missingScaleBounds(
  from: KnativeRevision | undefined,
  to: KnativeRevision | undefined,
): Record<string, string> | undefined {
  if (from === undefined || to === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const key of [MIN_SCALE_ANNOTATION, MAX_SCALE_ANNOTATION]) {
    const want = from.metadata.annotations?.[key];
    if (want !== undefined && to.metadata.annotations?.[key] !== want) out[key] = want;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A template whose revision starts with, and keeps, exactly `replicas` pods. */
function withReplicas(template: RevisionTemplate, replicas: number): RevisionTemplate {
  const count = String(replicas);
  return {
    ...template,
    metadata: {
      ...template.metadata,
      annotations: {
        ...template.metadata?.annotations,
        [INITIAL_SCALE_ANNOTATION]: count,
        [MIN_SCALE_ANNOTATION]: count,
        [MAX_SCALE_ANNOTATION]: count,
      },
    },
  };
}

function startMigration(
  observed: ObservedKnative,
  desired: DesiredTier,
  settings: MigrationSettings,
  nowMs: number,
): MigrationStep {
  const { service } = observed;
  const name = service.metadata.name;
  const fromRevision = servingRevisionName(service);
  const state = readPersistedState(service.metadata.annotations?.[STATE_ANNOTATION]).state;
  const backoffUntilMs = state.tierBackoffUntilMs?.[desired.toTier.name];
  if (!desired.revisionName.startsWith(`${name}-`)) {
    return {
      kind: 'refused',
      reason: 'invalidRevisionName',
      message: `revision name ${desired.revisionName} must start with ${name}-`,
    };
  }
  if (desired.fromTier?.name === desired.toTier.name) {
    return {
      kind: 'refused',
      reason: 'alreadyOnTier',
      message: `${name} already runs on ${desired.toTier.name}`,
    };
  }
  if (backoffUntilMs !== undefined && backoffUntilMs > nowMs) {
    return {
      kind: 'refused',
      reason: 'tierBackoff',
      message: `tier ${desired.toTier.name} failed recently; unavailable for ${Math.ceil((backoffUntilMs - nowMs) / 1000)} s more`,
    };
  }
  const trafficProblem = trafficRewriteProblem(service.spec.traffic);
  if (trafficProblem !== undefined) {
    return {
      kind: 'refused',
      reason: 'userTraffic',
      message: `${name}: ${trafficProblem}, which a tier migration would have to rewrite; not migrating (remove them, or add the service to the ignore list)`,
    };
  }
  if (fromRevision === undefined || !isRevisionReady(findRevision(observed, fromRevision))) {
    return {
      kind: 'refused',
      reason: 'servingRevisionNotReady',
      message: `${name} has no ready serving revision (${fromRevision ?? 'none'}); not migrating`,
    };
  }
  const generation = service.metadata.generation;
  if (generation !== undefined && service.status?.observedGeneration !== generation) {
    return {
      kind: 'refused',
      reason: 'serviceNotSettled',
      message: `${name} generation ${generation} not yet reconciled by Knative (observed ${service.status?.observedGeneration ?? 'none'})`,
    };
  }
  if (findRevision(observed, desired.revisionName) !== undefined) {
    return {
      kind: 'refused',
      reason: 'revisionNameTaken',
      message: `revision ${desired.revisionName} already exists`,
    };
  }
  const template = service.spec.template;
  const record: MigrationRecord = {
    fromRevision,
    toRevision: desired.revisionName,
    fromTier: desired.fromTier?.name,
    toTier: desired.toTier.name,
    phase: 'creating',
    stepIndex: 0,
    startedAtMs: nowMs,
    phaseSinceMs: nowMs,
    deadlineMs: nowMs + settings.readyTimeoutSeconds * 1000,
    trafficSteps: normalizeTrafficSteps(settings.trafficSteps),
    stepPauseSeconds: settings.stepPauseSeconds,
    drainSeconds: settings.drainSeconds,
    tierBackoffSeconds: settings.tierBackoffSeconds,
    restoreLatestRevision: followsLatestRevision(service.spec.traffic),
    ...(desired.replicas === undefined ? {} : { toReplicas: desired.replicas }),
    fromTemplateMetadata: {
      ...(template.metadata?.name !== undefined ? { name: template.metadata.name } : {}),
      ...(template.metadata?.annotations !== undefined ? { annotations: template.metadata.annotations } : {}),
      ...(template.metadata?.labels !== undefined ? { labels: template.metadata.labels } : {}),
    },
  };
  const retiered = retierTemplate(
    template,
    desired.fromTier,
    desired.toTier,
    desired.revisionName,
    desired.gpuResources,
    desired.defaultRequests,
  );
  const newTemplate = desired.replicas === undefined ? retiered : withReplicas(retiered, desired.replicas);
  const replicas = desired.replicas === undefined ? '' : ` x ${desired.replicas} replica(s)`;
  const message = `migrating ${name} from ${desired.fromTier?.name ?? 'unknown tier'} (${fromRevision}) to ${desired.toTier.name}${replicas} (${desired.revisionName}); traffic pinned to ${fromRevision} until the new revision is Ready`;
  return {
    kind: 'patchService',
    patch: withRecord(observed, record, {
      template: newTemplate,
      traffic: [{ revisionName: fromRevision, percent: 100 }],
    }),
    nextPhase: 'creating',
    reason: 'migrationStarted',
    message,
    event: { type: 'Normal', reason: 'TierMigrationStarted', message },
  };
}

function startRollback(
  observed: ObservedKnative,
  record: MigrationRecord,
  nowMs: number,
  reason: string,
  why: string,
): MigrationStep {
  const from = findRevision(observed, record.fromRevision);
  const name = observed.service.metadata.name;
  if (from === undefined || !isRevisionReady(from)) {
    // Nothing ready to return to: traffic stays where it is (never on a not-ready revision) and we give up.
    const message = `cannot roll ${name} back to ${record.fromRevision} (${from === undefined ? 'gone' : 'not ready'}) after ${why}; migration record dropped, traffic left as is`;
    return {
      kind: 'patchService',
      patch: patchOf(observed, { [MIGRATION_ANNOTATION]: null }),
      nextPhase: 'abandoned',
      reason: 'rollbackImpossible',
      message,
      event: { type: 'Warning', reason: 'TierMigrationAbandoned', message },
    };
  }
  const next: MigrationRecord = {
    ...record,
    phase: 'rollingBack',
    phaseSinceMs: nowMs,
    rollbackReason: reason,
    rollbackMessage: why,
  };
  const template = {
    metadata: { ...record.fromTemplateMetadata, name: record.fromRevision },
    spec: from.spec,
  };
  const message = `rolling ${name} back to ${record.fromRevision} (${record.fromTier ?? 'unknown tier'}): ${why}`;
  return {
    kind: 'patchService',
    patch: withRecord(observed, next, {
      template,
      traffic: [{ revisionName: record.fromRevision, percent: 100 }],
    }),
    nextPhase: 'rollingBack',
    reason,
    message,
    event: { type: 'Warning', reason: 'TierMigrationRollingBack', message },
  };
}

function shiftTo(
  observed: ObservedKnative,
  record: MigrationRecord,
  stepIndex: number,
  nowMs: number,
): MigrationStep {
  const percent = record.trafficSteps[stepIndex] ?? 100;
  const traffic = splitTraffic(record.fromRevision, record.toRevision, percent);
  const phase = percent >= 100 ? 'draining' : 'shifting';
  const next: MigrationRecord = { ...record, phase, stepIndex, phaseSinceMs: nowMs };
  const message =
    percent >= 100
      ? `100% of ${observed.service.metadata.name} traffic on ${record.toRevision}; ${record.fromRevision} drains for ${record.drainSeconds} s`
      : `${percent}% of ${observed.service.metadata.name} traffic on ${record.toRevision}, ${100 - percent}% on ${record.fromRevision}`;
  return {
    kind: 'patchService',
    patch: withRecord(observed, next, { traffic }),
    nextPhase: phase,
    reason: 'trafficShifted',
    message,
    event: { type: 'Normal', reason: 'TierMigrationTrafficShifted', message },
  };
}

function stepCreating(observed: ObservedKnative, record: MigrationRecord, nowMs: number): MigrationStep {
  const name = observed.service.metadata.name;
  const to = findRevision(observed, record.toRevision);
  const templateName = observed.service.spec.template.metadata?.name;
  if (to === undefined && templateName !== record.toRevision) {
    // Someone else changed the template meanwhile: their change wins; we only unpin traffic.
    const message = `${name} template now names ${templateName ?? 'no revision'}, not ${record.toRevision}: migration abandoned, the newer change wins`;
    const traffic: TrafficTarget[] = record.restoreLatestRevision
      ? [{ latestRevision: true, percent: 100 }]
      : [{ revisionName: record.fromRevision, percent: 100 }];
    return {
      kind: 'patchService',
      patch: patchOf(observed, { [MIGRATION_ANNOTATION]: null }, { traffic }),
      nextPhase: 'abandoned',
      reason: 'supersededByUser',
      message,
      event: { type: 'Warning', reason: 'TierMigrationAbandoned', message },
    };
  }
  // A migration that sets its own replicas wrote them into the new template; else the old bounds carry over.
  const bounds =
    record.toReplicas === undefined
      ? missingScaleBounds(findRevision(observed, record.fromRevision), to)
      : undefined;
  if (to !== undefined && bounds !== undefined) {
    const message = `carrying the replica bounds of ${record.fromRevision} over to ${record.toRevision} (${Object.entries(
      bounds,
    )
      .map(([k, v]) => `${k.split('/')[1] ?? k}=${v ?? 'unset'}`)
      .join(', ')})`;
    return {
      kind: 'annotateRevision',
      revisionName: record.toRevision,
      annotations: bounds,
      reason: 'replicaBoundsCopied',
      message,
      event: { type: 'Normal', reason: 'TierMigrationReplicasKept', message },
    };
  }
  if (isRevisionReady(to)) return shiftTo(observed, record, 0, nowMs);
  const ready = readyCondition(to?.status?.conditions);
  if (
    ready?.status === 'False' &&
    ready.reason !== undefined &&
    TERMINAL_REVISION_REASONS.has(ready.reason)
  ) {
    return startRollback(
      observed,
      record,
      nowMs,
      'newRevisionFailed',
      notReadyWhy(observed, record.toRevision),
    );
  }
  if (nowMs >= record.deadlineMs) {
    const timeoutS = Math.round((record.deadlineMs - record.startedAtMs) / 1000);
    return startRollback(
      observed,
      record,
      nowMs,
      'readyTimeout',
      `new revision not Ready within ${timeoutS} s: ${notReadyWhy(observed, record.toRevision)}`,
    );
  }
  return {
    kind: 'wait',
    phase: 'creating',
    reason: 'waitingForNewRevision',
    message: `waiting for ${notReadyWhy(observed, record.toRevision)} (deadline in ${Math.ceil((record.deadlineMs - nowMs) / 1000)} s)`,
  };
}

function stepShifting(
  observed: ObservedKnative,
  record: MigrationRecord,
  nowMs: number,
  checks: MigrationChecks,
): MigrationStep {
  const to = findRevision(observed, record.toRevision);
  if (!isRevisionReady(to)) {
    return startRollback(
      observed,
      record,
      nowMs,
      'newRevisionNotReady',
      notReadyWhy(observed, record.toRevision),
    );
  }
  if (checks.sloHealthy === false) {
    const percent = record.trafficSteps[record.stepIndex] ?? 0;
    return startRollback(
      observed,
      record,
      nowMs,
      'sloCheckFailed',
      `SLO check failed with ${percent}% of traffic on ${record.toRevision}`,
    );
  }
  const untilMs = record.phaseSinceMs + record.stepPauseSeconds * 1000;
  if (nowMs < untilMs) {
    return {
      kind: 'wait',
      phase: 'shifting',
      untilMs,
      reason: 'stepPause',
      message: `pausing ${Math.ceil((untilMs - nowMs) / 1000)} s at ${record.trafficSteps[record.stepIndex] ?? 0}% before the next traffic step`,
    };
  }
  return shiftTo(observed, record, record.stepIndex + 1, nowMs);
}

function stepDraining(observed: ObservedKnative, record: MigrationRecord, nowMs: number): MigrationStep {
  const name = observed.service.metadata.name;
  const to = findRevision(observed, record.toRevision);
  const from = findRevision(observed, record.fromRevision);
  if (from !== undefined && !isRevisionReady(to)) {
    return startRollback(
      observed,
      record,
      nowMs,
      'newRevisionNotReady',
      notReadyWhy(observed, record.toRevision),
    );
  }
  const untilMs = record.phaseSinceMs + record.drainSeconds * 1000;
  if (nowMs < untilMs) {
    return {
      kind: 'wait',
      phase: 'draining',
      untilMs,
      reason: 'draining',
      message: `draining ${record.fromRevision} for ${Math.ceil((untilMs - nowMs) / 1000)} s more`,
    };
  }
  if (from !== undefined) {
    const routed = percentByRevision(observed.service.status?.traffic).get(record.fromRevision) ?? 0;
    if (routed > 0) {
      return {
        kind: 'wait',
        phase: 'draining',
        reason: 'routeNotUpdated',
        message: `the route still sends ${routed}% to ${record.fromRevision}; not deleting it yet`,
      };
    }
    const message = `deleting ${record.fromRevision} (${record.fromTier ?? 'unknown tier'}) after a ${record.drainSeconds} s drain`;
    return {
      kind: 'deleteRevision',
      revisionName: record.fromRevision,
      reason: 'oldRevisionDrained',
      message,
      event: { type: 'Normal', reason: 'TierMigrationOldRevisionDeleted', message },
    };
  }
  const latestReady = observed.service.status?.latestReadyRevisionName;
  const traffic: TrafficTarget[] =
    record.restoreLatestRevision && latestReady === record.toRevision
      ? [{ latestRevision: true, percent: 100 }]
      : [{ revisionName: record.toRevision, percent: 100 }];
  const message = `${name} now runs on ${record.toTier} (${record.toRevision}); migration took ${Math.round((nowMs - record.startedAtMs) / 1000)} s`;
  return {
    kind: 'patchService',
    patch: patchOf(observed, { [MIGRATION_ANNOTATION]: null }, { traffic }),
    nextPhase: 'finished',
    reason: 'migrationCompleted',
    message,
    event: { type: 'Normal', reason: 'TierMigrationCompleted', message },
  };
}

function stepRollingBack(observed: ObservedKnative, record: MigrationRecord, nowMs: number): MigrationStep {
  const { service } = observed;
  const name = service.metadata.name;
  if (
    !isPinnedTo(service.spec.traffic, record.fromRevision) ||
    service.spec.template.metadata?.name !== record.fromRevision
  ) {
    // The rollback patch is atomic with the phase, so this means someone edited the Service: re-assert.
    return startRollback(
      observed,
      record,
      nowMs,
      record.rollbackReason ?? 'rollback',
      record.rollbackMessage ?? 'rollback re-asserted',
    );
  }
  const routedToNew = percentByRevision(service.status?.traffic).get(record.toRevision) ?? 0;
  if (routedToNew > 0) {
    return {
      kind: 'wait',
      phase: 'rollingBack',
      reason: 'routeNotUpdated',
      message: `the route still sends ${routedToNew}% to ${record.toRevision}; waiting before deleting it`,
    };
  }
  if (findRevision(observed, record.toRevision) !== undefined) {
    const message = `deleting failed revision ${record.toRevision} (${record.toTier}): ${record.rollbackMessage ?? record.rollbackReason ?? 'rolled back'}`;
    return {
      kind: 'deleteRevision',
      revisionName: record.toRevision,
      reason: 'failedRevisionDeleted',
      message,
      event: { type: 'Warning', reason: 'TierMigrationRevisionDeleted', message },
    };
  }
  const latestReady = service.status?.latestReadyRevisionName;
  if (record.restoreLatestRevision && latestReady !== record.fromRevision) {
    return {
      kind: 'wait',
      phase: 'rollingBack',
      reason: 'configurationNotUpdated',
      message: `waiting for Knative to make ${record.fromRevision} the latest ready revision again (now ${latestReady ?? 'none'})`,
    };
  }
  const state = readPersistedState(service.metadata.annotations?.[STATE_ANNOTATION]).state;
  const backoffUntilMs = nowMs + record.tierBackoffSeconds * 1000;
  const nextState = withTierBackoff(state, record.toTier, backoffUntilMs, nowMs);
  const traffic: TrafficTarget[] = record.restoreLatestRevision
    ? [{ latestRevision: true, percent: 100 }]
    : [{ revisionName: record.fromRevision, percent: 100 }];
  const message = `${name} rolled back to ${record.fromTier ?? 'its previous tier'} (${record.fromRevision}); tier ${record.toTier} unavailable for ${record.tierBackoffSeconds} s: ${record.rollbackMessage ?? record.rollbackReason ?? ''}`;
  return {
    kind: 'patchService',
    patch: patchOf(
      observed,
      { [MIGRATION_ANNOTATION]: null, [STATE_ANNOTATION]: writePersistedState(nextState) },
      { traffic },
    ),
    nextPhase: 'rolledBack',
    reason: record.rollbackReason ?? 'rolledBack',
    message,
    event: { type: 'Warning', reason: 'TierMigrationRolledBack', message },
  };
}

/**
 * The one next step of a tier migration, derived only from what the API server says now and the record on
 * the Service. Make-before-break: pin traffic, create the new revision, wait for Ready, shift traffic
 * (in steps), drain, delete the old revision; on timeout or failure, return traffic and delete the new one.
 * `desired` is only used when no migration is in flight.
 */
export function planMigration(
  observed: ObservedKnative,
  desired: DesiredTier | undefined,
  settings: MigrationSettings,
  nowMs: number,
  checks: MigrationChecks = {},
): MigrationStep {
  const read = readMigrationRecord(observed.service.metadata.annotations?.[MIGRATION_ANNOTATION]);
  if (!read.ok) {
    const message = `${read.message}; record dropped, traffic left as is`;
    return {
      kind: 'patchService',
      patch: patchOf(observed, { [MIGRATION_ANNOTATION]: null }),
      nextPhase: 'abandoned',
      reason: read.reason,
      message,
      event: { type: 'Warning', reason: 'TierMigrationAbandoned', message },
    };
  }
  const record = read.value;
  if (record === undefined) {
    if (desired === undefined)
      return { kind: 'idle', reason: 'noMigration', message: 'no migration in flight' };
    return startMigration(observed, desired, settings, nowMs);
  }
  switch (record.phase) {
    case 'creating':
      return stepCreating(observed, record, nowMs);
    case 'shifting':
      return stepShifting(observed, record, nowMs, checks);
    case 'draining':
      return stepDraining(observed, record, nowMs);
    case 'rollingBack':
      return stepRollingBack(observed, record, nowMs);
  }
}
