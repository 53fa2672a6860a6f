import { z } from 'zod';

/** Peak numbers of one physical GPU model (whole device, dense, no sparsity). */
export interface GpuSpec {
  readonly name: string;
  /** HBM bandwidth, bytes per second. */
  readonly memoryBandwidthBytesPerS: number;
  /** Dense BF16/FP16 tensor-core peak, FLOP/s. */
  readonly bf16FlopsPerS: number;
  /** Dense FP8 tensor-core peak, FLOP/s; absent when the GPU has no FP8 tensor cores (A100). */
  readonly fp8FlopsPerS?: number;
  readonly memoryGb: number;
}

/**
 * Datasheet peaks (NVIDIA H100 SXM5 and A100 SXM4 datasheets; dense, i.e. without 2:4 sparsity).
 * H100 SXM 80GB: 3.35 TB/s HBM3, 989.4 TFLOP/s BF16, 1978.9 TFLOP/s FP8.
 * A100 SXM 80GB: 2.039 TB/s HBM2e, 312 TFLOP/s BF16. A100 40GB: 1.555 TB/s HBM2, 312 TFLOP/s BF16.
 */
export const DEFAULT_GPU_SPECS: Readonly<Record<string, GpuSpec>> = {
  'H100-80GB': {
    name: 'H100-80GB',
    memoryBandwidthBytesPerS: 3.35e12,
    bf16FlopsPerS: 989.4e12,
    fp8FlopsPerS: 1978.9e12,
    memoryGb: 80,
  },
  'A100-80GB': { name: 'A100-80GB', memoryBandwidthBytesPerS: 2.039e12, bf16FlopsPerS: 312e12, memoryGb: 80 },
  'A100-40GB': { name: 'A100-40GB', memoryBandwidthBytesPerS: 1.555e12, bf16FlopsPerS: 312e12, memoryGb: 40 },
};

/** A decoder-only transformer served with continuous batching; every field is documented in MODEL.md. */
export interface LlmModel {
  readonly name: string;
  /** Parameter count. */
  readonly parameters: number;
  /** Bytes per weight (FP8 = 1, BF16 = 2). */
  readonly weightBytesPerParameter: number;
  /** Precision the matmuls run in; FP8 falls back to BF16 peak on GPUs without FP8 (weight-only kernels). */
  readonly computePrecision: 'fp8' | 'bf16';
  readonly layers: number;
  readonly hiddenSize: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Bytes per KV-cache element (FP8 KV cache = 1). */
  readonly kvBytesPerElement: number;
  /** Longest prompt + output the model accepts. */
  readonly maxContextTokens: number;
  /** Share of the tier's memory the server may use (vLLM `gpu_memory_utilization`). */
  readonly usableMemoryFraction: number;
  /** Memory kept for activations, CUDA graphs and the CUDA context, GB. */
  readonly activationReserveGb: number;
  /** Share of peak HBM bandwidth decode kernels achieve. */
  readonly bandwidthEfficiency: number;
  /** Model FLOPs utilisation achieved by prefill/batched matmuls. */
  readonly mfu: number;
  /** Scheduler, sampling and launch overhead per engine iteration, ms. */
  readonly iterationOverheadMs: number;
  /** Prompt + decode tokens one iteration may process (vLLM `max_num_batched_tokens`, chunked prefill). */
  readonly maxBatchedTokens: number;
  /** Most sequences in one batch (vLLM `max_num_seqs`). */
  readonly maxRunningRequests: number;
  /** Efficiency of tensor parallelism for tiers spanning more than one GPU. */
  readonly multiGpuEfficiency: number;
}

/** Llama-3.1-8B-Instruct in FP8 (weights and KV cache), served by a vLLM-like engine. */
export const DEFAULT_MODEL: LlmModel = {
  name: 'llama-3.1-8b-fp8',
  parameters: 8.03e9,
  weightBytesPerParameter: 1,
  computePrecision: 'fp8',
  layers: 32,
  hiddenSize: 4096,
  kvHeads: 8,
  headDim: 128,
  kvBytesPerElement: 1,
  maxContextTokens: 131072,
  usableMemoryFraction: 0.92,
  activationReserveGb: 0.5,
  bandwidthEfficiency: 0.75,
  mfu: 0.35,
  iterationOverheadMs: 3,
  maxBatchedTokens: 2048,
  maxRunningRequests: 256,
  multiGpuEfficiency: 0.85,
};

const positive = z.number().finite().positive();
const fraction = z.number().finite().gt(0).lte(1);

const modelSchema = z.strictObject({
  name: z.string().min(1),
  parameters: positive,
  weightBytesPerParameter: positive,
  computePrecision: z.enum(['fp8', 'bf16']),
  layers: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  kvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  kvBytesPerElement: positive,
  maxContextTokens: z.number().int().positive(),
  usableMemoryFraction: fraction,
  activationReserveGb: z.number().finite().nonnegative(),
  bandwidthEfficiency: fraction,
  mfu: fraction,
  iterationOverheadMs: z.number().finite().nonnegative(),
  maxBatchedTokens: z.number().int().positive(),
  maxRunningRequests: z.number().int().positive(),
  multiGpuEfficiency: fraction,
});

/** The result of parsing a model document: the model, or every problem with field path and value. */
export type ModelParseResult =
  | { readonly ok: true; readonly model: LlmModel }
  | { readonly ok: false; readonly reason: 'invalidModel'; readonly message: string };

/**
 * Parses a model from a JSON/YAML object; missing fields take DEFAULT_MODEL's values.
 * Errors name the field path and the bad value (`model.mfu = 2: ...`).
 */
export function parseModel(data: unknown): ModelParseResult {
  if (data === undefined || data === null) return { ok: true, model: DEFAULT_MODEL };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      reason: 'invalidModel',
      message: `model = ${JSON.stringify(data)}: must be an object`,
    };
  }
  const merged: Record<string, unknown> = { ...DEFAULT_MODEL, ...(data as Record<string, unknown>) };
  const parsed = modelSchema.safeParse(merged);
  if (parsed.success) return { ok: true, model: parsed.data };
  const message = parsed.error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const value = issue.path.length > 0 ? merged[String(issue.path[0])] : data;
      return `model${path ? '.' + path : ''} = ${JSON.stringify(value)}: ${issue.message}`;
    })
    .join('; ');
  return { ok: false, reason: 'invalidModel', message };
}

/** KV-cache bytes one token occupies: K and V, every layer, every KV head. */
export function kvBytesPerToken(model: LlmModel): number {
  return 2 * model.layers * model.kvHeads * model.headDim * model.kvBytesPerElement;
}

/** Weight bytes. */
export function weightBytes(model: LlmModel): number {
  return model.parameters * model.weightBytesPerParameter;
}
