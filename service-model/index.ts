/**
 * The LLM serving model shared by the simulator and the emulated workload: per-tier performance
 * from first principles (decode bandwidth-bound, prefill compute-bound, KV budget from memory),
 * a deterministic continuous-batching replica engine, and closed-form steady-state estimates.
 * Parameters and their sources: service-model/MODEL.md.
 */
export {
  DEFAULT_GPU_SPECS,
  DEFAULT_MODEL,
  kvBytesPerToken,
  parseModel,
  weightBytes,
  type GpuSpec,
  type LlmModel,
  type ModelParseResult,
} from './llm-model.js';
export {
  attentionFlops,
  decodeStepMs,
  isolatedPrefillMs,
  iterationMs,
  tierPerformance,
  type IterationWork,
  type TierPerformance,
  type TierPerformanceResult,
} from './tier-performance.js';
export {
  ReplicaEngine,
  type CompletedRequest,
  type InferenceRequest,
  type ReplicaSnapshot,
} from './replica-engine.js';
export { maxArrivalRatePerS, steadyState, type SteadyLoad, type SteadyState } from './steady-state.js';
export { seededRandom } from './seeded-random.js';
export { VLLM_TPOT_BUCKETS_S, VLLM_TTFT_BUCKETS_S } from './vllm-buckets.js';
