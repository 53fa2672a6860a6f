/** The three ways a GPU is shared out to pods. */
export const TIER_KINDS = ['mig', 'mps', 'gpu'] as const;
export type TierKind = (typeof TIER_KINDS)[number];

/** One GPU tier: the extended resource a pod requests and what it buys. */
export interface GpuTier {
  /** Catalog key used in ladders, e.g. `mig-1g.10gb`, `gpu.shared`, `gpu-10gb`, `gpu`, `gpu-x2`. */
  readonly name: string;
  /** Extended resource requested by the pod, e.g. `nvidia.com/mig-1g.10gb`. */
  readonly resource: string;
  /** Units of `resource` one pod requests (whole-GPU tiers: 1, 2, 4, 8). */
  readonly unitsPerPod: number;
  readonly kind: TierKind;
  /** Share of one full GPU's SMs that one pod gets (1/7 for a 1g slice, 2 for two GPUs). */
  readonly computeFraction: number;
  /** GPU memory one pod gets, GB. */
  readonly memoryGb: number;
  /** Share of one full GPU's memory bandwidth that one pod gets (MIG: memory slices / 8). */
  readonly memoryBandwidthFraction: number;
  /** Cost of one pod-hour relative to one whole GPU-hour of the same model (= 1). */
  readonly relativeCost: number;
  /** The physical GPU the tier is cut from, e.g. `A100-40GB`, `A100-80GB`, `H100-80GB`. */
  readonly gpuModel: string;
  /** For MPS tiers: CUDA_MPS_ACTIVE_THREAD_PERCENTAGE to set on the container, if any. */
  readonly mpsThreadPercentage?: number;
}

/** The tiers known to the registry, by name. */
export type TierCatalog = ReadonlyMap<string, GpuTier>;

/** Free units of each extended resource on each node, at one moment. */
export interface CapacitySnapshot {
  readonly nodes: ReadonlyArray<NodeCapacity>;
}

/** One node's free (allocatable minus requested by non-terminal pods) units per resource. */
export interface NodeCapacity {
  readonly name: string;
  readonly free: Readonly<Record<string, number>>;
}
