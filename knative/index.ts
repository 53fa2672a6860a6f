/**
 * Knative Serving: tier migrations as make-before-break revision changes (pure planner + executor),
 * replica changes through revision scale bounds, and the ServiceActuator the control loop drives.
 * Mechanism and crash-safety notes: knative/README.md.
 */
export { createKnativeActuator, toObservedService, type KnativeActuatorOptions } from './actuator.js';
export {
  readMigrationRecord,
  readPersistedState,
  withTierBackoff,
  writeMigrationRecord,
  writePersistedState,
  type AnnotationRead,
} from './annotations.js';
export { observeService, runMigration, type Clock, type MigrationRun, type SloCheck } from './executor.js';
export { KnativeClient } from './kube-client.js';
export { planMigration } from './migration-planner.js';
export { gpuContainerIndex, retierTemplate, revisionNameFor, tierOfSpec } from './template.js';
export {
  followsLatestRevision,
  trafficRewriteProblem,
  isRevisionReady,
  normalizeTrafficSteps,
  percentByRevision,
  servingRevisionName,
  splitTraffic,
  trafficSum,
} from './traffic.js';
export * from './types.js';
