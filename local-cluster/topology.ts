import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlBounded, MAX_DOCUMENT_BYTES } from '../autoscaler/index.js';
import { z } from 'zod';
import { LOCAL_CLUSTER_DIR } from './paths.js';

/** One fake node of the local cluster, as written in a topology file. */
export interface TopologyNode {
  readonly name: string;
  /** GPU model of the node's cards (label `k-siss.io/gpu-model`), absent on CPU-only nodes. */
  readonly gpuModel?: string;
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  /** Extended resources, e.g. `nvidia.com/mig-1g.10gb: 2`. */
  readonly resources: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
}

/** A parsed topology: the nodes kwok will manage. */
export interface Topology {
  readonly nodes: readonly TopologyNode[];
}

/** Result of parsing a topology document: every problem names its field path and value. */
export type TopologyParseResult =
  | { readonly ok: true; readonly topology: Topology }
  | { readonly ok: false; readonly reason: 'invalidTopology'; readonly message: string };

/** The default topology file. */
export const DEFAULT_TOPOLOGY_FILE = join(LOCAL_CLUSTER_DIR, 'topology.yaml');

/** Annotation kwok's `--manage-nodes-with-annotation-selector` selects on. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Label carrying the node's GPU model. */
export const GPU_MODEL_LABEL = 'k-siss.io/gpu-model';

const dnsName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const resourceName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const quantity = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const nodeSchema = z.strictObject({
  name: z.string().regex(dnsName, 'must be a DNS subdomain (lower case, digits, - and .)').max(253),
  gpuModel: z.string().min(1).optional(),
  cpu: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(quantity, 'must be a quantity')),
  memory: z.string().regex(quantity, 'must be a quantity such as 64Gi'),
  pods: z.number().int().positive().default(110),
  resources: z
    .record(
      z.string().regex(resourceName, 'must be a resource name such as nvidia.com/mig-1g.10gb'),
      z.number().int().nonnegative(),
    )
    .default({}),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      }),
    )
    .default([]),
});

const topologySchema = z.strictObject({ nodes: z.array(nodeSchema).min(1) });

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Validates a topology document (already parsed from YAML). `source` names the file in messages. */
export function parseTopology(data: unknown, source = 'topology'): TopologyParseResult {
  const parsed = topologySchema.safeParse(data);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => {
        const path = issue.path.map(String).join('.');
        return `${source}: ${path || '(root)'} = ${JSON.stringify(valueAt(data, issue.path))}: ${issue.message}`;
      })
      .join('; ');
    return { ok: false, reason: 'invalidTopology', message };
  }
  const seen = new Set<string>();
  for (const [i, node] of parsed.data.nodes.entries()) {
    if (seen.has(node.name)) {
      return {
        ok: false,
        reason: 'invalidTopology',
        message: `${source}: nodes.${i}.name = "${node.name}": duplicate node name`,
      };
    }
    seen.add(node.name);
  }
  return { ok: true, topology: parsed.data };
}

/** Reads and validates a topology file; throws with every problem named. */
export function loadTopologyFile(file: string = DEFAULT_TOPOLOGY_FILE): Topology {
  let text: string;
  try {
    // A topology is a few KiB: refuse a huge file before reading it.
    if (statSync(file).size > MAX_DOCUMENT_BYTES) throw new Error(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`topology ${file}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  const loaded = loadYamlBounded(text);
  if (!loaded.ok) throw new Error(`topology ${file}: ${loaded.message}`);
  const result = parseTopology(loaded.value, file);
  if (!result.ok) throw new Error(result.message);
  return result.topology;
}

/** A Node object (metadata, spec, status) in the shape the apiserver accepts on create. */
export interface NodeManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Node';
  readonly metadata: {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly spec: { readonly taints?: ReadonlyArray<{ key: string; value?: string; effect: string }> };
  readonly status: {
    readonly capacity: Record<string, string>;
    readonly allocatable: Record<string, string>;
  };
}

/** The Node object for a topology node: labels and annotation kwok manages, capacity = allocatable. */
export function nodeManifest(node: TopologyNode): NodeManifest {
  const resources: Record<string, string> = { cpu: node.cpu, memory: node.memory, pods: String(node.pods) };
  for (const [name, count] of Object.entries(node.resources)) resources[name] = String(count);
  const gpuLabels: Record<string, string> =
    node.gpuModel === undefined ? {} : { [GPU_MODEL_LABEL]: node.gpuModel, 'nvidia.com/gpu.present': 'true' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...gpuLabels,
        ...node.labels,
      },
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: node.taints.length > 0 ? { taints: node.taints.map((t) => ({ ...t })) } : {},
    status: { capacity: { ...resources }, allocatable: { ...resources } },
  };
}
