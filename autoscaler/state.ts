import { recordRecommendation } from './decide-scale.js';
import type {
  ActuationResult,
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
  return {
    recommendations,
    ...(lastAction !== undefined ? { lastAction } : {}),
    ...(lastActionAtMs !== undefined ? { lastActionAtMs } : {}),
    ...(backoff !== undefined ? { tierBackoffUntilMs: backoff } : {}),
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
  };
}

/** Whether an actuation result means the action was started (and so counts for the cooldown). */
export function actionStarted(result: ActuationResult): boolean {
  return result.outcome === 'done' || result.outcome === 'inProgress';
}
