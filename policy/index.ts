/** Public face of the replica-policy controller: the AIInferenceAutoscalerPolicy CRD, its pure core and shell. */
export { runPolicyController } from './controller.js';
export type {
  PolicyClock,
  PolicyControllerOptions,
  PolicyLogger,
  PolicyReconcileRecord,
} from './controller.js';
export { combineRatios, evaluatePolicy, replicasForRatio } from './evaluate.js';
export type {
  EvaluateInput,
  Evaluation,
  HoldReason,
  MetricRatio,
  PolicyDecision,
  ScaleReason,
} from './evaluate.js';
export { defaultQuery, policyQueries, readingsFrom } from './queries.js';
export type { PolicyQuery } from './queries.js';
export { customQueryFields, enabledMetrics, parsePolicySpec } from './spec.js';
export type { SpecParse } from './spec.js';
export { eventsFor, mergePatch, nextStatus, setCondition, statusEqual } from './status.js';
export type { PolicyEvent, ReconcileOutcome } from './status.js';
export * from './types.js';
export { POLICY_CRD_FILE } from './crd-file.js';
export { installPolicyCrd, policyCrdManifest } from './install-crd.js';
