import { loadYamlBounded } from '../autoscaler/index.js';
import { z } from 'zod';

/** A simulated node: its allocatable extended resources. */
export interface SimNode {
  readonly name: string;
  readonly resources: Readonly<Record<string, number>>;
}

/** The simulated cluster's GPU nodes. */
export interface SimTopology {
  readonly nodes: readonly SimNode[];
}

/**
 * The local cluster's node kinds (local-cluster/topology.yaml: mixed-MIG H100s, an MPS-shared H100,
 * whole H100s), scaled to 41 H100s so that one service is limited by its own maxReplicas, not by the
 * cluster. MIG layouts are valid for an 80 GB H100 (at most 7 compute and 8 memory slices per GPU).
 */
export const DEFAULT_SIM_TOPOLOGY: SimTopology = {
  nodes: [
    // 4 GPUs x 7 x 1g.10gb
    { name: 'gpu-mig-1g', resources: { 'nvidia.com/mig-1g.10gb': 28 } },
    // 4 GPUs x (3 x 2g.20gb + 1 x 1g.10gb)
    { name: 'gpu-mig-2g', resources: { 'nvidia.com/mig-2g.20gb': 12, 'nvidia.com/mig-1g.10gb': 4 } },
    // 4 GPUs x 2 x 3g.40gb
    { name: 'gpu-mig-3g', resources: { 'nvidia.com/mig-3g.40gb': 8 } },
    // 4 GPUs x (4g.40gb + 3g.40gb)
    { name: 'gpu-mig-4g', resources: { 'nvidia.com/mig-4g.40gb': 4, 'nvidia.com/mig-3g.40gb': 4 } },
    // 8 GPUs x 7g.80gb
    { name: 'gpu-mig-7g', resources: { 'nvidia.com/mig-7g.80gb': 8 } },
    // 1 GPU shared 4 ways
    { name: 'gpu-mps', resources: { 'nvidia.com/gpu.shared': 4 } },
    // 2 nodes x 8 whole GPUs
    { name: 'gpu-whole-a', resources: { 'nvidia.com/gpu': 8 } },
    { name: 'gpu-whole-b', resources: { 'nvidia.com/gpu': 8 } },
  ],
};

const topologySchema = z.object({
  nodes: z
    .array(
      z.object({
        name: z.string().min(1),
        resources: z.record(z.string(), z.number().int().min(0)).default({}),
      }),
    )
    .min(1),
});

/** Parses a topology YAML (the local cluster's `topology.yaml` shape; non-GPU fields are ignored). */
export function parseTopology(
  text: string,
  source: string,
): { ok: true; topology: SimTopology } | { ok: false; message: string } {
  const loaded = loadYamlBounded(text);
  if (!loaded.ok) return { ok: false, message: `${source}: ${loaded.message}` };
  const data = loaded.value;
  const parsed = topologySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    return { ok: false, message: `${source}: ${path} ${issue?.message ?? 'invalid'}` };
  }
  return {
    ok: true,
    topology: {
      nodes: parsed.data.nodes.map((n) => ({
        name: n.name,
        resources: Object.fromEntries(Object.entries(n.resources).filter(([k]) => k.includes('/'))),
      })),
    },
  };
}
