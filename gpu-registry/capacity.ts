import type { CapacitySnapshot, GpuTier, NodeCapacity } from './types.js';

/**
 * Free capacity arithmetic (pure). Free = allocatable - requests of every non-terminal pod.
 *
 * - Only extended resources (names with a `/`, e.g. `nvidia.com/mig-1g.10gb`) are tracked.
 * - Terminal pods (phase Succeeded or Failed) free their units; every other pod holds them, including a pod
 *   that is being deleted (it still runs until it is gone) and a Pending pod bound to a node.
 * - A Pending pod not yet bound to a node is counted against the node with the most free units of each
 *   resource it requests (where the default scheduler's spreading would most likely put it), never below 0.
 *   So a waiting pod is never forgotten, and two services cannot both count on the same last slice.
 * - A node that is cordoned (`unschedulable`) or not Ready offers nothing.
 */

/** A node as the capacity arithmetic needs it (built from the API server's Node objects). */
export interface NodeInfo {
  readonly name: string;
  /** `status.allocatable`: quantities as strings (`"7"`) or numbers. */
  readonly allocatable: Readonly<Record<string, string | number>>;
  readonly unschedulable?: boolean;
  readonly ready?: boolean;
}

/** A pod as the capacity arithmetic needs it: phase, node and the resources it requests in total. */
export interface PodInfo {
  readonly name?: string;
  readonly nodeName?: string;
  readonly phase: string;
  /** Effective requests of the pod (sum over containers, as the scheduler counts them). */
  readonly requests: Readonly<Record<string, string | number>>;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

const QUANTITY_SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Parses a Kubernetes quantity (`"7"`, `"500m"`, `"2Ki"`); undefined when it is not one. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (match === null) return undefined;
  const multiplier = QUANTITY_SUFFIXES[match[2] ?? ''];
  if (multiplier === undefined) return undefined;
  return Number(match[1]) * multiplier;
}

const isExtendedResource = (name: string): boolean => name.includes('/');

/** Builds the free-capacity snapshot from nodes and pods (see the module comment for the rules). */
export function buildCapacitySnapshot(
  nodes: readonly NodeInfo[],
  pods: readonly PodInfo[],
): CapacitySnapshot {
  const free = new Map<string, Record<string, number>>();
  for (const node of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const usable = node.unschedulable !== true && node.ready !== false;
    const units: Record<string, number> = {};
    for (const [resource, quantity] of Object.entries(node.allocatable)) {
      if (!isExtendedResource(resource)) continue;
      units[resource] = usable ? Math.max(0, parseQuantity(quantity) ?? 0) : 0;
    }
    free.set(node.name, units);
  }
  const unbound: PodInfo[] = [];
  for (const pod of pods) {
    if (TERMINAL_PHASES.has(pod.phase)) continue;
    if (pod.nodeName === undefined || pod.nodeName === '') {
      unbound.push(pod);
      continue;
    }
    const units = free.get(pod.nodeName);
    if (units === undefined) continue;
    for (const [resource, quantity] of Object.entries(pod.requests)) {
      if (!isExtendedResource(resource) || units[resource] === undefined) continue;
      units[resource] = Math.max(0, units[resource] - (parseQuantity(quantity) ?? 0));
    }
  }
  for (const pod of unbound) {
    for (const [resource, quantity] of Object.entries(pod.requests)) {
      if (!isExtendedResource(resource)) continue;
      const target = nodeWithMostFree(free, resource);
      if (target === undefined) continue;
      target[resource] = Math.max(0, (target[resource] ?? 0) - (parseQuantity(quantity) ?? 0));
    }
  }
  return { nodes: [...free].map(([name, units]) => ({ name, free: units })) };
}

function nodeWithMostFree(
  free: ReadonlyMap<string, Record<string, number>>,
  resource: string,
): Record<string, number> | undefined {
  let best: Record<string, number> | undefined;
  for (const units of free.values()) {
    const available = units[resource];
    if (available === undefined || available <= 0) continue;
    if (best === undefined || available > (best[resource] ?? 0)) best = units;
  }
  return best;
}

/** Free units of `resource` over the whole cluster. */
export function freeUnits(snapshot: CapacitySnapshot, resource: string): number {
  return snapshot.nodes.reduce((sum, node) => sum + (node.free[resource] ?? 0), 0);
}

/** Whether one more pod of `tier` fits on some node (a pod's units must come from one node). */
export function hasUnitFor(snapshot: CapacitySnapshot, tier: GpuTier): boolean {
  return hasUnitsFor(snapshot, tier, 1);
}

/** Whether `pods` more pods of `tier` fit, each on one node (greedy packing, exact for unitsPerPod 1). */
export function hasUnitsFor(snapshot: CapacitySnapshot, tier: GpuTier, pods: number): boolean {
  let current: CapacitySnapshot | undefined = snapshot;
  for (let i = 0; i < pods && current !== undefined; i += 1) current = claim(current, tier);
  return current !== undefined;
}

/**
 * Takes the units of one pod of `tier` from the node with the most free units of its resource (ties: the
 * first by name), and returns the new snapshot; undefined when no node has room. Claiming for every
 * decision of a tick keeps two services from both getting the last slice.
 */
export function claim(snapshot: CapacitySnapshot, tier: GpuTier, pods = 1): CapacitySnapshot | undefined {
  let nodes: NodeCapacity[] = [...snapshot.nodes];
  for (let i = 0; i < pods; i += 1) {
    let bestIndex = -1;
    nodes.forEach((node, index) => {
      const available = node.free[tier.resource] ?? 0;
      if (available < tier.unitsPerPod) return;
      const bestFree = bestIndex < 0 ? -1 : (nodes[bestIndex]?.free[tier.resource] ?? 0);
      if (available > bestFree) bestIndex = index;
    });
    const node = nodes[bestIndex];
    if (node === undefined) return undefined;
    nodes = nodes.map((n, index) =>
      index === bestIndex
        ? {
            name: n.name,
            free: { ...n.free, [tier.resource]: (n.free[tier.resource] ?? 0) - tier.unitsPerPod },
          }
        : n,
    );
  }
  return { nodes };
}

/**
 * Gives back the units of `pods` pods of `tier` to `nodeName` (or, without one, to the first node that
 * lists the resource). Returns the snapshot unchanged when no node lists the resource.
 */
export function release(
  snapshot: CapacitySnapshot,
  tier: GpuTier,
  pods = 1,
  nodeName?: string,
): CapacitySnapshot {
  const index = snapshot.nodes.findIndex((node) =>
    nodeName === undefined ? node.free[tier.resource] !== undefined : node.name === nodeName,
  );
  if (index < 0) return snapshot;
  return {
    nodes: snapshot.nodes.map((node, i) =>
      i === index
        ? {
            name: node.name,
            free: {
              ...node.free,
              [tier.resource]: (node.free[tier.resource] ?? 0) + tier.unitsPerPod * pods,
            },
          }
        : node,
    ),
  };
}

/** A snapshot with `unitsPerResource` free units of every resource of `tiers` on one node named `unlimited`. */
export function unlimitedCapacity(tiers: Iterable<GpuTier>, unitsPerResource = 1_000_000): CapacitySnapshot {
  const free: Record<string, number> = {};
  for (const tier of tiers) free[tier.resource] = unitsPerResource;
  return { nodes: [{ name: 'unlimited', free }] };
}
