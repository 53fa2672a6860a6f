import { z } from 'zod';
import { TIER_KINDS, type GpuTier, type TierCatalog } from './types.js';

/**
 * The default tier catalog and its merge with the `_tiers` ConfigMap key.
 *
 * Rules (documented for the README):
 * - MIG: `computeFraction` = g/7 (compute comes in sevenths of the SMs), `memoryBandwidthFraction` =
 *   memory slices/8 (memory and its bandwidth come in eighths).
 * - `relativeCost` = the share of the GPU the slice blocks for others = max(compute share, memory share).
 *   A 3g.40gb takes 3/7 of the SMs but half of the memory, so it costs 0.5 of a GPU.
 * - The A100-80GB and the H100-80GB expose the same resource names (`nvidia.com/mig-1g.10gb`, ...), so the
 *   default catalog maps them to `H100-80GB`; a `_tiers` entry `{name: mig-1g.10gb, gpuModel: A100-80GB}`
 *   overrides that for a cluster of A100-80GB cards.
 * - MPS: Nebuly-style `nvidia.com/gpu-<N>gb` shares N GB of an 80 GB GPU, so compute, bandwidth and cost are
 *   all N/80 and the MPS thread percentage is round(100·N/80) (at least 1). On 40 GB cards override with `_tiers`.
 *   `nvidia.com/gpu.shared` (device-plugin sharing) is taken as one quarter of an 80 GB GPU (4 replicas).
 * - Whole GPUs: `gpu`, `gpu-x2`, `gpu-x4`, `gpu-x8` request 1/2/4/8 `nvidia.com/gpu`; fractions above 1.
 */

/** One validation problem of the catalog; the same shape as the autoscaler's `ConfigIssue`. */
export interface TierIssue {
  readonly key: string;
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

const MIG_COMPUTE_SLICES = 7;
const MIG_MEMORY_SLICES = 8;

interface MigProfile {
  readonly profile: string;
  readonly computeSlices: number;
  readonly memorySlices: number;
  readonly memoryGb: number;
}

function migTier(gpuModel: string, p: MigProfile): GpuTier {
  const computeFraction = p.computeSlices / MIG_COMPUTE_SLICES;
  const memoryBandwidthFraction = p.memorySlices / MIG_MEMORY_SLICES;
  return {
    name: `mig-${p.profile}`,
    resource: `nvidia.com/mig-${p.profile}`,
    unitsPerPod: 1,
    kind: 'mig',
    computeFraction,
    memoryGb: p.memoryGb,
    memoryBandwidthFraction,
    relativeCost: Math.max(computeFraction, memoryBandwidthFraction),
    gpuModel,
  };
}

const A100_40GB_PROFILES: readonly MigProfile[] = [
  { profile: '1g.5gb', computeSlices: 1, memorySlices: 1, memoryGb: 5 },
  { profile: '2g.10gb', computeSlices: 2, memorySlices: 2, memoryGb: 10 },
  { profile: '3g.20gb', computeSlices: 3, memorySlices: 4, memoryGb: 20 },
  { profile: '4g.20gb', computeSlices: 4, memorySlices: 4, memoryGb: 20 },
  { profile: '7g.40gb', computeSlices: 7, memorySlices: 8, memoryGb: 40 },
];

const GPU_80GB_PROFILES: readonly MigProfile[] = [
  { profile: '1g.10gb', computeSlices: 1, memorySlices: 1, memoryGb: 10 },
  { profile: '1g.20gb', computeSlices: 1, memorySlices: 2, memoryGb: 20 },
  { profile: '2g.20gb', computeSlices: 2, memorySlices: 2, memoryGb: 20 },
  { profile: '3g.40gb', computeSlices: 3, memorySlices: 4, memoryGb: 40 },
  { profile: '4g.40gb', computeSlices: 4, memorySlices: 4, memoryGb: 40 },
  { profile: '7g.80gb', computeSlices: 7, memorySlices: 8, memoryGb: 80 },
];

/** The GB sizes of the Nebuly-style `nvidia.com/gpu-<N>gb` MPS shares in the default catalog. */
export const MPS_SHARE_SIZES_GB: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 24, 32, 40, 48, 64, 80,
];
const MPS_GPU_MEMORY_GB = 80;
const DEFAULT_GPU_MODEL = 'H100-80GB';

function mpsShareTier(sizeGb: number): GpuTier {
  const fraction = sizeGb / MPS_GPU_MEMORY_GB;
  return {
    name: `gpu-${sizeGb}gb`,
    resource: `nvidia.com/gpu-${sizeGb}gb`,
    unitsPerPod: 1,
    kind: 'mps',
    computeFraction: fraction,
    memoryGb: sizeGb,
    memoryBandwidthFraction: fraction,
    relativeCost: fraction,
    gpuModel: DEFAULT_GPU_MODEL,
    mpsThreadPercentage: Math.max(1, Math.round(100 * fraction)),
  };
}

function wholeGpuTier(count: number): GpuTier {
  return {
    name: count === 1 ? 'gpu' : `gpu-x${count}`,
    resource: 'nvidia.com/gpu',
    unitsPerPod: count,
    kind: 'gpu',
    computeFraction: count,
    memoryGb: MPS_GPU_MEMORY_GB * count,
    memoryBandwidthFraction: count,
    relativeCost: count,
    gpuModel: DEFAULT_GPU_MODEL,
  };
}

const SHARED_GPU_FRACTION = 0.25;

function buildDefaultCatalog(): TierCatalog {
  const tiers: GpuTier[] = [
    ...A100_40GB_PROFILES.map((p) => migTier('A100-40GB', p)),
    ...GPU_80GB_PROFILES.map((p) => migTier(DEFAULT_GPU_MODEL, p)),
    {
      name: 'gpu.shared',
      resource: 'nvidia.com/gpu.shared',
      unitsPerPod: 1,
      kind: 'mps',
      computeFraction: SHARED_GPU_FRACTION,
      memoryGb: MPS_GPU_MEMORY_GB * SHARED_GPU_FRACTION,
      memoryBandwidthFraction: SHARED_GPU_FRACTION,
      relativeCost: SHARED_GPU_FRACTION,
      gpuModel: DEFAULT_GPU_MODEL,
      mpsThreadPercentage: 100 * SHARED_GPU_FRACTION,
    },
    ...MPS_SHARE_SIZES_GB.map(mpsShareTier),
    ...[1, 2, 4, 8].map(wholeGpuTier),
  ];
  return new Map(tiers.map((tier) => [tier.name, tier]));
}

/** Every tier the registry knows without configuration. */
export const DEFAULT_CATALOG: TierCatalog = buildDefaultCatalog();

/** The ladder a service uses when its settings name none: the 80 GB MIG profiles, smallest first. */
export const DEFAULT_LADDER: readonly string[] = [
  'mig-1g.10gb',
  'mig-2g.20gb',
  'mig-3g.40gb',
  'mig-4g.40gb',
  'mig-7g.80gb',
];

/** Tiers of one family share kind, GPU model and resource naming (digits aside): `mig-1g.5gb` and `mig-7g.40gb`. */
function familyKey(tier: GpuTier): string {
  return `${tier.kind}|${tier.gpuModel}|${tier.resource.replace(/\d+/g, '#')}`;
}

/**
 * The ladder of the family `tierName` belongs to, smallest first (compute, then memory): what a service
 * whose settings name no ladder uses when it runs on a tier outside DEFAULT_LADDER. An original K-SISS
 * config on A100-40GB slices (`mig-1g.5gb`) then moves within the 40 GB profiles, an MPS service within
 * the MPS shares, as the original did (one type only). Undefined for a tier the catalog does not know.
 */
export function familyLadder(catalog: TierCatalog, tierName: string): readonly string[] | undefined {
  const tier = catalog.get(tierName);
  if (tier === undefined) return undefined;
  const key = familyKey(tier);
  return [...catalog.values()]
    .filter((t) => familyKey(t) === key)
    .sort(
      (a, b) =>
        a.computeFraction - b.computeFraction || a.memoryGb - b.memoryGb || a.name.localeCompare(b.name),
    )
    .map((t) => t.name);
}

const TIER_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const RESOURCE_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

const positive = (what: string) =>
  z
    .number({ error: (iss) => (iss.input === undefined ? 'required' : `must be a ${what}`) })
    .positive({ error: 'must be > 0' });

/** The fields of one `_tiers` entry; all but `name` optional (an override of a known tier). */
const tierEntrySchema = z.strictObject({
  name: z
    .string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a string') })
    .regex(TIER_NAME_PATTERN, { error: 'must be lower-case letters, digits, dots and dashes' }),
  resource: z
    .string({ error: 'must be a string' })
    .regex(RESOURCE_PATTERN, { error: 'must be an extended resource name like nvidia.com/mig-1g.10gb' })
    .optional(),
  unitsPerPod: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be >= 1' })
    .optional(),
  kind: z.enum(TIER_KINDS, { error: `must be one of ${TIER_KINDS.join(', ')}` }).optional(),
  computeFraction: positive('number').optional(),
  memoryGb: positive('number').optional(),
  memoryBandwidthFraction: positive('number').optional(),
  relativeCost: positive('number').optional(),
  gpuModel: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
  mpsThreadPercentage: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be between 1 and 100' })
    .max(100, { error: 'must be between 1 and 100' })
    .optional(),
});

/** One `_tiers` entry: a new tier (every field but `mpsThreadPercentage` given) or an override of a known one. */
export type TierOverride = z.infer<typeof tierEntrySchema>;

const REQUIRED_FOR_NEW: readonly (keyof TierOverride)[] = [
  'resource',
  'kind',
  'computeFraction',
  'memoryGb',
  'memoryBandwidthFraction',
  'relativeCost',
  'gpuModel',
];

const TIER_FIELDS = Object.keys(tierEntrySchema.shape);

/** Renders a zod path (`[0, 'slo']`) as `[0].slo`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}

/** The value at `path` inside `root` (undefined when absent). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** Edit distance, for "did you mean" hints on misspelt field names. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previousDiagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, previousDiagonal + cost);
      previousDiagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** `unknown field (did you mean "x"?)` when a known field is close, else `unknown field (known: ...)`. */
export function unknownFieldMessage(field: string, known: readonly string[]): string {
  const ranked = known
    .map((name) => ({ name, distance: editDistance(field, name) }))
    .sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  if (best !== undefined && best.distance <= Math.max(2, Math.floor(best.name.length / 4))) {
    return `unknown field (did you mean "${best.name}"?)`;
  }
  return `unknown field (known: ${known.join(', ')})`;
}

/** Converts zod issues to `TierIssue`s under `key`, one per unknown field, with the offending value. */
export function zodIssuesToConfigIssues(
  key: string,
  basePath: readonly PropertyKey[],
  root: unknown,
  issues: readonly z.core.$ZodIssue[],
  knownFields: (path: readonly PropertyKey[]) => readonly string[],
): TierIssue[] {
  const out: TierIssue[] = [];
  for (const issue of issues) {
    const path = [...basePath, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const field of issue.keys) {
        const fieldPath = [...path, field];
        out.push({
          key,
          path: formatPath(fieldPath),
          value: valueAt(root, fieldPath),
          message: unknownFieldMessage(field, knownFields(issue.path)),
        });
      }
      continue;
    }
    out.push({ key, path: formatPath(path), value: valueAt(root, path), message: issue.message });
  }
  return out;
}

/**
 * Merges `_tiers` entries into a catalog. An entry naming a known tier overrides the fields it gives;
 * a new name must give every field. Any issue means the caller should not use the result
 * (the `_tiers` key is then invalid and the whole document is unusable).
 */
export function mergeCatalog(
  defaults: TierCatalog,
  overrides: unknown,
  key = '_tiers',
): { catalog: TierCatalog; issues: TierIssue[] } {
  const merged = new Map(defaults);
  if (overrides === undefined || overrides === null) return { catalog: merged, issues: [] };
  if (!Array.isArray(overrides)) {
    return {
      catalog: merged,
      issues: [{ key, path: '', value: overrides, message: 'must be a YAML list of tiers' }],
    };
  }
  const issues: TierIssue[] = [];
  const seen = new Set<string>();
  overrides.forEach((entry: unknown, index) => {
    const parsed = tierEntrySchema.safeParse(entry);
    if (!parsed.success) {
      issues.push(
        ...zodIssuesToConfigIssues(key, [index], overrides, parsed.error.issues, () => TIER_FIELDS),
      );
      return;
    }
    const override = parsed.data;
    const at = (field: string): string => `[${index}].${field}`;
    if (seen.has(override.name)) {
      issues.push({ key, path: at('name'), value: override.name, message: 'duplicate tier name' });
      return;
    }
    seen.add(override.name);
    const base = merged.get(override.name);
    if (base === undefined) {
      const missing = REQUIRED_FOR_NEW.filter((field) => override[field] === undefined);
      for (const field of missing) {
        issues.push({
          key,
          path: at(field),
          value: undefined,
          message: `required for a new tier (${override.name} is not in the default catalog)`,
        });
      }
      if (missing.length > 0) return;
    }
    const tier = { ...base, unitsPerPod: base?.unitsPerPod ?? 1, ...stripUndefined(override) } as GpuTier;
    if (tier.kind !== 'mps' && tier.mpsThreadPercentage !== undefined) {
      issues.push({
        key,
        path: at('mpsThreadPercentage'),
        value: tier.mpsThreadPercentage,
        message: `only allowed for kind mps (this tier is ${tier.kind})`,
      });
      return;
    }
    // A MIG slice or an MPS share is a part of one GPU: a fraction above 1 is a typo (7 for 7/7, 1.5).
    const parts = tier.kind === 'gpu' ? [] : (['computeFraction', 'memoryBandwidthFraction'] as const);
    const tooLarge = parts.filter((field) => tier[field] > 1);
    for (const field of tooLarge) {
      issues.push({
        key,
        path: at(field),
        value: tier[field],
        message: `must be at most 1 for kind ${tier.kind} (a share of one GPU${tier.kind === 'mig' ? ': g/7 for a MIG slice, e.g. 3/7 = 0.4286' : ''})`,
      });
    }
    if (tooLarge.length > 0) return;
    merged.set(tier.name, tier);
  });
  return { catalog: merged, issues };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
