/**
 * The simulator: replays Azure/Mooncake traces through the SAME decision code `k-siss run` uses
 * (decideScale, the tier resolution of gpu-registry, knative's migration planner) on a simulated cluster of continuous-batching
 * replicas (service-model), next to baseline autoscalers, an offline oracle and static peak provisioning.
 */
export {
  DEFAULT_TIMINGS,
  TERMINATION_GRACE_MS,
  type ActionRecord,
  type FailedRequest,
  type PlatformTimings,
} from './cluster.js';
export { LIGHT_PREFIX, START_MODES, coldStartTrace, type StartMode } from './cold-start.js';
export { modelErrorProblem, servingModelOf } from './model-error.js';
export {
  PROFILE_DEFAULTS,
  ProfileError,
  REFERENCE_MIXES,
  benchmarkAttainment,
  maxSustainableRatePerS,
  profileOf,
  profileYaml,
  solveTokenCapacity,
  type ProfileOptions,
  type ProfileResult,
  type ReferenceMix,
  type TierProfile,
} from './profile.js';
export { DEFAULT_KSISS_CONFIG_URL, parseKsissSimConfig, type KsissSimConfig } from './k-siss-config.js';
export { ksissPolicy, unknownSimulatedMetrics } from './k-siss-policy.js';
export {
  SIMULATED_SERIES,
  histogramQuantile,
  type ObservedMetrics,
  type SimulatedSeriesName,
} from './observations.js';
export {
  ORACLE_DEFAULTS,
  oraclePlan,
  planPolicy,
  reactionTickMs,
  reactivePlan,
  staticPeakProvision,
  windowAttainment,
  windowRequirements,
  type OracleOptions,
  type PlanStep,
  type Provision,
  type WindowRequirement,
} from './oracle.js';
export {
  POLICY_NAMES,
  PolicyFactory,
  REFERENCE_REQUEST,
  WHOLE_GPU_TIER,
  llmContainerConcurrency,
  oracleOptionsOf,
  type PolicyName,
  type PolicySetup,
} from './policies.js';
export type { MigrationStyle, PolicyAction, ServiceView, SimPolicy } from './policy.js';
export { renderReport, type RenderedReport, type ReportChart } from './report.js';
export {
  DEFAULT_SCRAPE_INTERVAL_MS,
  modelFitProblems,
  runPolicies,
  runPoliciesWithContext,
  type RunOutcome,
  type RunRequest,
} from './run.js';
export {
  OSCILLATION_WINDOW_MS,
  countOscillations,
  percentile,
  seededRandom,
  simulate,
  type SeriesPoint,
  type ServingPoint,
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
} from './simulate.js';
export { DEFAULT_SLO, meetsSlo, ttftTargetMs, type SloTargets } from './slo.js';
export { DEFAULT_SIM_TOPOLOGY, parseTopology, type SimNode, type SimTopology } from './topology.js';
export { parseTrace, traceNameOf, type Trace, type TraceFormat, type TraceParseResult } from './trace.js';
export { readTraceFile } from './trace-file.js';
export { defaultTracesDir } from './traces-dir.js';
