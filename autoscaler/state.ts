import { recordRecommendation } from './decide-scale.js';
import type {
  ActuationResult,
  CapacityFactors,
  PendingTarget,
  ObservedService,
  PersistedServiceState,
  Recommendation,
  ScaleAction,
  ServiceObservation,
  ServiceSettings,
} from './types.js';

/**
 * The per-service state that must survive a restart (pure): the recommendation history for the
 * stabilization windows and the idle time, the last action for the cooldown, and tier back-offs. It lives
 * on the Service annotation (written through the actuator); these functions only compute it.
 */

/** Back-offs still running at `nowMs`; undefined when none is. */
export function pruneBackoff(
  backoff: Readonly<Record<string, number>> | undefined,
  nowMs: number,
): Readonly<Record<string, number>> | undefined {
  const running = Object.entries(backoff ?? {}).filter(([, untilMs]) => untilMs > nowMs);
  return running.length === 0
    ? undefined
    : Object.fromEntries(running.sort(([a], [b]) => a.localeCompare(b)));
}

/** What happened to a service in one tick, as far as its state is concerned. */
export interface StateUpdate {
  /** DecideScale's recommendation of this tick (absent when no decision was taken). */
  readonly recommendation?: Recommendation;
  /** An action that was started (the actuator said `done` or `inProgress`). */
  readonly startedAction?: Exclude<ScaleAction, 'hold'>;
  /** The configuration the started action asks for (kept until it is seen in place). */
  readonly startedTarget?: { readonly tier: string; readonly replicas: number };
  /** The sizing planner's capacity corrections after this tick. */
  readonly capacityFactors?: CapacityFactors;
  /** What runs now, to tell when a pending target is in place. */
  readonly observed?: {
    readonly tier: string;
    readonly readyReplicas: number;
    readonly migrationInFlight: boolean;
  };
}

/** Whether the observed configuration is the pending target (no migration in flight). */
export function targetInPlace(
  pending: PendingTarget,
  observed: NonNullable<StateUpdate['observed']>,
): boolean {
  return (
    !observed.migrationInFlight &&
    observed.tier === pending.tier &&
    observed.readyReplicas === pending.replicas
  );
}

/**
 * The state after one tick: the recommendation recorded (run-length, pruned to the longest window by
 * DecideScale's own `recordRecommendation`), the started action stamped with `nowMs`, expired back-offs
 * dropped. Back-offs themselves are written by the actuator when a migration rolls back.
 */
export function nextState(
  previous: PersistedServiceState,
  update: StateUpdate,
  settings: ServiceSettings,
  nowMs: number,
): PersistedServiceState {
  const recommendations =
    update.recommendation === undefined
      ? previous.recommendations
      : recordRecommendation(previous.recommendations, update.recommendation, settings);
  const backoff = pruneBackoff(previous.tierBackoffUntilMs, nowMs);
  const lastAction = update.startedAction ?? previous.lastAction;
  const lastActionAtMs = update.startedAction !== undefined ? nowMs : previous.lastActionAtMs;
  // A pending target ends when it is seen in place (the cooldown then counts from now) or when the
  // migration's ready timeout has passed (the action failed or was superseded).
  let pendingTarget: PendingTarget | undefined = previous.pendingTarget;
  let lastReadyAtMs = previous.lastReadyAtMs;
  if (pendingTarget !== undefined) {
    if (update.observed !== undefined && targetInPlace(pendingTarget, update.observed)) {
      lastReadyAtMs = nowMs;
      pendingTarget = undefined;
    } else if (nowMs >= pendingTarget.sinceMs + settings.migration.readyTimeoutSeconds * 1000) {
      pendingTarget = undefined;
    }
  }
  if (update.startedAction !== undefined && update.startedTarget !== undefined) {
    pendingTarget = { ...update.startedTarget, sinceMs: nowMs };
  }
  const capacityFactors = update.capacityFactors ?? previous.capacityFactors;
  return {
    recommendations,
    ...(lastAction !== undefined ? { lastAction } : {}),
    ...(lastActionAtMs !== undefined ? { lastActionAtMs } : {}),
    ...(backoff !== undefined ? { tierBackoffUntilMs: backoff } : {}),
    ...(capacityFactors !== undefined && Object.keys(capacityFactors).length > 0 ? { capacityFactors } : {}),
    ...(pendingTarget !== undefined ? { pendingTarget } : {}),
    ...(lastReadyAtMs !== undefined ? { lastReadyAtMs } : {}),
  };
}

function canonical(state: PersistedServiceState): string {
  return JSON.stringify({
    recommendations: [...state.recommendations]
      .sort((a, b) => a.atMs - b.atMs)
      .map((rec) => [rec.atMs, rec.tier, rec.replicas, rec.idle === true]),
    lastAction: state.lastAction ?? null,
    lastActionAtMs: state.lastActionAtMs ?? null,
    tierBackoffUntilMs: Object.entries(state.tierBackoffUntilMs ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    capacityFactors: Object.entries(state.capacityFactors ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    pendingTarget: state.pendingTarget ?? null,
    lastReadyAtMs: state.lastReadyAtMs ?? null,
  });
}

/**
 * Whether `next` differs from `saved` (what the Service's annotation holds now). The history is
 * run-length, so a steady service writes nothing tick after tick.
 */
export function shouldPersist(saved: PersistedServiceState, next: PersistedServiceState): boolean {
  return canonical(saved) !== canonical(next);
}

/** What DecideScale sees of an observed service; undefined when its tier is not known (nothing to decide). */
export function observationOf(service: ObservedService): ServiceObservation | undefined {
  if (service.tier === undefined) return undefined;
  const { state } = service;
  return {
    tier: service.tier,
    readyReplicas: service.readyReplicas,
    migrationInFlight: service.migrationInFlight,
    recommendations: state.recommendations,
    ...(state.lastActionAtMs !== undefined ? { lastActionAtMs: state.lastActionAtMs } : {}),
    ...(state.lastAction !== undefined ? { lastAction: state.lastAction } : {}),
    ...(state.tierBackoffUntilMs !== undefined ? { tierBackoffUntilMs: state.tierBackoffUntilMs } : {}),
    ...(state.capacityFactors !== undefined ? { capacityFactors: state.capacityFactors } : {}),
    ...(state.pendingTarget !== undefined ? { pendingTarget: state.pendingTarget } : {}),
    ...(state.lastReadyAtMs !== undefined ? { lastReadyAtMs: state.lastReadyAtMs } : {}),
  };
}

/** Whether an actuation result means the action was started (and so counts for the cooldown). */
export function actionStarted(result: ActuationResult): boolean {
  return result.outcome === 'done' || result.outcome === 'inProgress';
}
