/** The part of a gpu-registry `GpuTier` the exporter reads (any `GpuTier` fits). */
export interface ExportedTier {
  readonly name: string;
  readonly kind: 'mig' | 'mps' | 'gpu';
  /** Share of one full GPU's SMs one pod gets (1/7 for a 1g slice, 2 for two GPUs). */
  readonly computeFraction: number;
  /** GPU memory one pod gets, GB. */
  readonly memoryGb: number;
}

/** Compute slices of a full GPU, as MIG counts them (an A100/H100 has 7). */
export const SLICES_PER_GPU = 7;

/**
 * The original K-SISS `KubeComp_gpu_resource` value of a tier: MIG compute slices (`mig-3g.20gb` -> 3),
 * MPS memory in GB, a whole GPU as 7 slices per GPU. `undefined` when the tier's numbers are unusable,
 * so the gauge is left unset rather than exported as NaN.
 */
export function gpuResourceValue(tier: ExportedTier): number | undefined {
  let value: number;
  switch (tier.kind) {
    case 'mig': {
      const slices = /(?:^|-)(\d+)g\./.exec(tier.name)?.[1];
      value = slices === undefined ? Math.round(tier.computeFraction * SLICES_PER_GPU) : Number(slices);
      break;
    }
    case 'mps':
      value = tier.memoryGb;
      break;
    case 'gpu':
      value = Math.round(tier.computeFraction * SLICES_PER_GPU);
      break;
  }
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
