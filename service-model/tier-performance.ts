import type { GpuTier } from '../gpu-registry/index.js';
import { DEFAULT_GPU_SPECS, kvBytesPerToken, weightBytes, type GpuSpec, type LlmModel } from './llm-model.js';

/** What one replica of a model can do on one tier: the numbers every latency is derived from. */
export interface TierPerformance {
  readonly tierName: string;
  readonly model: LlmModel;
  /** Achievable HBM bandwidth of the replica, bytes/s. */
  readonly effectiveBandwidthBytesPerS: number;
  /** Achievable matmul throughput of the replica, FLOP/s. */
  readonly effectiveFlopsPerS: number;
  readonly weightBytes: number;
  readonly kvBytesPerToken: number;
  /** Tokens of KV cache the replica can hold (0 when the weights do not fit). */
  readonly kvCapacityTokens: number;
  /** Share of one whole GPU the replica counts for in GPU-hours: its compute fraction. */
  readonly gpuShare: number;
}

/** Performance of a tier, or why the model cannot run on it. */
export type TierPerformanceResult =
  | { readonly ok: true; readonly performance: TierPerformance }
  | {
      readonly ok: false;
      readonly reason: 'unknownGpuModel' | 'modelDoesNotFit';
      readonly message: string;
    };

/**
 * Derives a replica's performance on a tier from first principles: bandwidth and FLOPs are the
 * tier's shares of the physical GPU's peaks times efficiency factors; the KV budget is the usable
 * memory minus weights and the activation reserve.
 */
export function tierPerformance(
  tier: GpuTier,
  model: LlmModel,
  gpuSpecs: Readonly<Record<string, GpuSpec>> = DEFAULT_GPU_SPECS,
): TierPerformanceResult {
  const gpu = gpuSpecs[tier.gpuModel];
  if (gpu === undefined) {
    return {
      ok: false,
      reason: 'unknownGpuModel',
      message: `tier ${tier.name}: gpuModel = ${JSON.stringify(tier.gpuModel)} has no GPU spec (known: ${Object.keys(gpuSpecs).join(', ')})`,
    };
  }
  const multiGpu = tier.computeFraction > 1 ? model.multiGpuEfficiency : 1;
  const peakFlops =
    model.computePrecision === 'fp8' && gpu.fp8FlopsPerS !== undefined ? gpu.fp8FlopsPerS : gpu.bf16FlopsPerS;
  const weights = weightBytes(model);
  const kvPerToken = kvBytesPerToken(model);
  const usableBytes = tier.memoryGb * 1e9 * model.usableMemoryFraction - model.activationReserveGb * 1e9;
  const kvBytes = usableBytes - weights;
  if (kvBytes < kvPerToken * 1024) {
    return {
      ok: false,
      reason: 'modelDoesNotFit',
      message: `tier ${tier.name} (${tier.memoryGb} GB): ${model.name} needs ${(weights / 1e9).toFixed(2)} GB of weights plus KV cache, only ${(usableBytes / 1e9).toFixed(2)} GB usable`,
    };
  }
  return {
    ok: true,
    performance: {
      tierName: tier.name,
      model,
      effectiveBandwidthBytesPerS:
        gpu.memoryBandwidthBytesPerS * tier.memoryBandwidthFraction * model.bandwidthEfficiency * multiGpu,
      effectiveFlopsPerS: peakFlops * tier.computeFraction * model.mfu * multiGpu,
      weightBytes: weights,
      kvBytesPerToken: kvPerToken,
      kvCapacityTokens: Math.floor(kvBytes / kvPerToken),
      gpuShare: tier.computeFraction,
    },
  };
}

/** The work of one engine iteration, as the roofline sees it. */
export interface IterationWork {
  /** Tokens run through the weights (prompt chunk tokens + one per decoding sequence). */
  readonly tokens: number;
  /** KV-cache tokens read (the context of every sequence in the batch). */
  readonly kvTokensRead: number;
  /** Attention FLOPs beyond the weight matmuls. */
  readonly attentionFlops: number;
}

/**
 * Duration of one iteration, ms: overhead plus the larger of the memory time (weights once + KV read)
 * and the compute time (2 FLOPs per parameter per token + attention).
 */
export function iterationMs(perf: TierPerformance, work: IterationWork): number {
  const memoryS =
    (perf.weightBytes + work.kvTokensRead * perf.kvBytesPerToken) / perf.effectiveBandwidthBytesPerS;
  const computeS = (2 * perf.model.parameters * work.tokens + work.attentionFlops) / perf.effectiveFlopsPerS;
  return perf.model.iterationOverheadMs + Math.max(memoryS, computeS) * 1000;
}

/** Attention FLOPs of `tokens` new tokens at positions start..start+tokens-1 (QK^T and AV, causal). */
export function attentionFlops(model: LlmModel, startPosition: number, tokens: number): number {
  return 4 * model.layers * model.hiddenSize * tokens * (startPosition + tokens / 2);
}

/** Time to prefill a prompt alone on an idle replica, ms (chunked as the engine would). */
export function isolatedPrefillMs(perf: TierPerformance, promptTokens: number): number {
  let done = 0;
  let totalMs = 0;
  while (done < promptTokens) {
    const chunk = Math.min(perf.model.maxBatchedTokens, promptTokens - done);
    totalMs += iterationMs(perf, {
      tokens: chunk,
      kvTokensRead: done,
      attentionFlops: attentionFlops(perf.model, done, chunk),
    });
    done += chunk;
  }
  return totalMs;
}

/** Time of one decode iteration with `batch` sequences of mean context `meanContextTokens`, ms. */
export function decodeStepMs(perf: TierPerformance, batch: number, meanContextTokens: number): number {
  return iterationMs(perf, {
    tokens: batch,
    kvTokensRead: batch * meanContextTokens,
    attentionFlops: batch * 4 * perf.model.layers * perf.model.hiddenSize * meanContextTokens,
  });
}
