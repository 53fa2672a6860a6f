import type { GpuTier, TierCatalog } from '../gpu-registry/index.js';

/** The GPU tier a pod runs on, or why none could be determined. */
export type PodTierResult =
  | { readonly ok: true; readonly tier: GpuTier }
  | { readonly ok: false; readonly reason: 'noGpuRequest' | 'unknownTier'; readonly message: string };

/** Container resources as the API returns them (quantities are strings). */
export interface ContainerResources {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/**
 * Finds the pod's tier from the `nvidia.com/*` extended resources its containers request (extended
 * resources may be given as limits only). Several tiers share a resource name (whole GPUs differ in
 * units; MIG names are the same on A100-80GB and H100): units must match, and the node's GPU model wins ties.
 */
export function podTier(
  catalog: TierCatalog,
  containers: readonly ContainerResources[],
  nodeGpuModel?: string,
): PodTierResult {
  const units = new Map<string, number>();
  for (const c of containers) {
    const merged = { ...(c.limits ?? {}), ...(c.requests ?? {}) };
    for (const [resource, quantity] of Object.entries(merged)) {
      if (!resource.startsWith('nvidia.com/')) continue;
      units.set(resource, (units.get(resource) ?? 0) + Number(quantity));
    }
  }
  if (units.size === 0) {
    return { ok: false, reason: 'noGpuRequest', message: 'the pod requests no nvidia.com/* resource' };
  }
  for (const [resource, count] of units) {
    const candidates = [...catalog.values()].filter(
      (t) => t.resource === resource && t.unitsPerPod === count,
    );
    const best = candidates.find((t) => t.gpuModel === nodeGpuModel) ?? candidates[0];
    if (best !== undefined) return { ok: true, tier: best };
  }
  const asked = [...units].map(([r, n]) => `${r}=${n}`).join(', ');
  return { ok: false, reason: 'unknownTier', message: `no catalog tier matches ${asked}` };
}
