import type { MigrationSettings } from '../autoscaler/index.js';
import { planMigration, type DesiredTier, type MigrationStep, type PodSummary } from '../knative/index.js';
import type { SimKnativeObjects } from './knative-objects.js';

/** What one run of the simulated executor did (as knative's `MigrationRun`, plus a failed write). */
export interface SimMigrationRun {
  /** The last step planned (carried out unless it is a wait, idle or refusal, or the write failed). */
  readonly last: MigrationStep;
  readonly applied: readonly MigrationStep[];
  /** Why the last step could not be written (stale resourceVersion, object gone), if it could not. */
  readonly writeError?: string;
}

/** The steps that end a migration (the record is removed by them). */
const FINAL_PHASES = new Set(['finished', 'rolledBack', 'abandoned']);

/**
 * The simulator's executor: the same loop as knative's `runMigration` on the simulated objects. Observe,
 * ask the knative planner for the one next step, write it, let the simulated Knative react
 * (`afterWrite`), and again, until the plan says wait (or idle, or refused) or `maxSteps` were done.
 */
export function driveMigration(
  objects: SimKnativeObjects,
  pods: () => readonly PodSummary[],
  afterWrite: (step: MigrationStep) => void,
  desired: DesiredTier | undefined,
  settings: MigrationSettings,
  nowMs: number,
  maxSteps = 8,
): SimMigrationRun {
  const applied: MigrationStep[] = [];
  let wanted = desired;
  for (let i = 0; ; i += 1) {
    const step = planMigration(objects.observe(pods()), wanted, settings, nowMs);
    if (step.kind === 'wait' || step.kind === 'idle' || step.kind === 'refused' || i >= maxSteps) {
      return { last: step, applied };
    }
    const written = objects.write(step);
    if (written.outcome !== 'applied') return { last: step, applied, writeError: written.message };
    applied.push(step);
    afterWrite(step);
    if (step.kind === 'patchService' && FINAL_PHASES.has(step.nextPhase)) return { last: step, applied };
    wanted = undefined; // started (or resumed): from now on the record on the Service drives every step
  }
}
