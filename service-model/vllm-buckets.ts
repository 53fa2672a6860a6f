/**
 * vLLM's histogram buckets (vllm/engine/metrics.py), shared by the emulated pods' exporter
 * (local-cluster/pod-metrics.ts) and the simulated Prometheus (simulator/observations.ts), so that a
 * `histogram_quantile` reads the same on the local cluster as in the simulator.
 */

/** `vllm:time_per_output_token_seconds`. */
export const VLLM_TPOT_BUCKETS_S: readonly number[] = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];

/** `vllm:time_to_first_token_seconds` (also used here for `vllm:request_queue_time_seconds`). */
export const VLLM_TTFT_BUCKETS_S: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640,
  2560,
];
