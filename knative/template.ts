import type { GpuTier, TierCatalog } from '../gpu-registry/index.js';
import {
  MPS_THREAD_PERCENTAGE_ENV,
  type Container,
  type DefaultRequests,
  type EnvVar,
  type RevisionSpec,
  type RevisionTemplate,
} from './types.js';

/** Longest revision name that still leaves room for Knative's `-private`/`-deployment` suffixes (63). */
export const MAX_REVISION_NAME_LENGTH = 50;

function resourceAmount(container: Container, resource: string): string | undefined {
  return container.resources?.limits?.[resource] ?? container.resources?.requests?.[resource];
}

/** Index of the container that holds the GPU request: the first naming a catalog resource, else 0. */
export function gpuContainerIndex(spec: RevisionSpec, gpuResources: readonly string[]): number {
  const index = spec.containers.findIndex((c) =>
    gpuResources.some((r) => resourceAmount(c, r) !== undefined),
  );
  return index >= 0 ? index : 0;
}

/**
 * The catalog tier a revision runs on, from its containers' resources: same extended resource and units;
 * several MPS tiers sharing one resource are told apart by CUDA_MPS_ACTIVE_THREAD_PERCENTAGE.
 */
export function tierOfSpec(spec: RevisionSpec, catalog: TierCatalog): GpuTier | undefined {
  const resources = [...new Set([...catalog.values()].map((t) => t.resource))];
  const container = spec.containers[gpuContainerIndex(spec, resources)];
  if (container === undefined) return undefined;
  const mpsEnv = container.env?.find((e) => e.name === MPS_THREAD_PERCENTAGE_ENV)?.value;
  const candidates = [...catalog.values()].filter((tier) => {
    const amount = resourceAmount(container, tier.resource);
    return amount !== undefined && Number(amount) === tier.unitsPerPod;
  });
  if (candidates.length <= 1) return candidates[0];
  const byPercentage = candidates.find(
    (t) => t.mpsThreadPercentage !== undefined && String(t.mpsThreadPercentage) === mpsEnv,
  );
  return byPercentage ?? candidates.find((t) => t.mpsThreadPercentage === undefined) ?? candidates[0];
}

function withoutKeys(
  record: Readonly<Record<string, string>> | undefined,
  keys: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) if (!keys.includes(k)) out[k] = v;
  return out;
}

function retierEnv(
  env: readonly EnvVar[] | undefined,
  from: GpuTier | undefined,
  to: GpuTier,
): EnvVar[] | undefined {
  const list = [...(env ?? [])];
  const at = list.findIndex((e) => e.name === MPS_THREAD_PERCENTAGE_ENV);
  if (to.mpsThreadPercentage !== undefined) {
    const entry: EnvVar = { name: MPS_THREAD_PERCENTAGE_ENV, value: String(to.mpsThreadPercentage) };
    if (at >= 0) list[at] = entry;
    else list.push(entry);
  } else if (at >= 0 && (from?.kind === 'mps' || to.kind !== 'mps')) {
    // Leaving MPS (or the tier sets no share): a stale share would throttle the new slice.
    list.splice(at, 1);
  }
  return list.length > 0 || env !== undefined ? list : undefined;
}

/**
 * The template of the new revision: the same template with an explicit name and, on the GPU container only,
 * every catalog resource replaced by the new tier's (requests and limits, as extended resources need) and
 * the MPS share set or removed. Every other container, resource, env var and annotation is kept verbatim.
 */
export function retierTemplate(
  template: RevisionTemplate,
  from: GpuTier | undefined,
  to: GpuTier,
  revisionName: string,
  gpuResources: readonly string[],
  defaultRequests?: DefaultRequests,
): RevisionTemplate {
  const index = gpuContainerIndex(template.spec, gpuResources);
  const containers = template.spec.containers.map((container, i) => {
    if (i !== index) return container;
    const units = String(to.unitsPerPod);
    const own = container.resources?.requests;
    // A container that requests no CPU or memory gets the configured defaults, so the scheduler places
    // the new revision's pods with a real footprint (a request the user set is never changed).
    const filled = {
      ...(defaultRequests !== undefined && own?.['cpu'] === undefined ? { cpu: defaultRequests.cpu } : {}),
      ...(defaultRequests !== undefined && own?.['memory'] === undefined
        ? { memory: defaultRequests.memory }
        : {}),
    };
    const requests = { ...filled, ...withoutKeys(own, gpuResources), [to.resource]: units };
    const limits = { ...withoutKeys(container.resources?.limits, gpuResources), [to.resource]: units };
    const env = retierEnv(container.env, from, to);
    const next: Container = { ...container, resources: { ...container.resources, requests, limits } };
    if (env === undefined) return next;
    return { ...next, env };
  });
  return {
    ...template,
    metadata: { ...template.metadata, name: revisionName },
    spec: { ...template.spec, containers },
  };
}

/**
 * An explicit, DNS-safe revision name `{service}-{tier}-{suffix}` (Knative requires the `{service}-` prefix);
 * `suffix` should be unique per migration (the shell passes the start time in base 36).
 */
export function revisionNameFor(service: string, tierName: string, suffix: string): string {
  const slug = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '');
  const tail = slug(suffix).slice(-6) || '0';
  const room = MAX_REVISION_NAME_LENGTH - service.length - tail.length - 2;
  const tier =
    room > 1
      ? slug(tierName)
          .slice(0, room - 1)
          .replace(/-$/, '')
      : '';
  return tier.length > 0 ? `${service}-${tier}-${tail}` : `${service}-${tail}`;
}
