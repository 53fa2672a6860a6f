import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { DEFAULT_TOPOLOGY_FILE, nodeManifest, parseTopology } from './topology.js';

describe('parseTopology', () => {
  const cases: Array<{ name: string; doc: unknown; error?: string; nodes?: number }> = [
    {
      name: 'the shipped topology is valid',
      doc: load(readFileSync(DEFAULT_TOPOLOGY_FILE, 'utf8')),
      nodes: 5,
    },
    { name: 'minimal node gets defaults', doc: { nodes: [{ name: 'n1', cpu: 4, memory: '8Gi' }] }, nodes: 1 },
    { name: 'no nodes', doc: { nodes: [] }, error: 'nodes = []' },
    { name: 'missing root', doc: null, error: '(root) = null' },
    {
      name: 'bad resource count names the path and value',
      doc: { nodes: [{ name: 'g', cpu: '1', memory: '1Gi', resources: { 'nvidia.com/gpu': -1 } }] },
      error: 'nodes.0.resources.nvidia.com/gpu = -1',
    },
    {
      name: 'bad resource name',
      doc: { nodes: [{ name: 'g', cpu: '1', memory: '1Gi', resources: { 'not a resource': 1 } }] },
      error: 'nodes.0.resources.not a resource = 1: Invalid key',
    },
    {
      name: 'bad memory quantity',
      doc: { nodes: [{ name: 'g', cpu: '1', memory: 'lots' }] },
      error: 'nodes.0.memory = "lots"',
    },
    {
      name: 'unknown field',
      doc: { nodes: [{ name: 'g', cpu: '1', memory: '1Gi', gpus: 3 }] },
      error: 'gpus',
    },
    {
      name: 'duplicate names',
      doc: {
        nodes: [
          { name: 'a', cpu: '1', memory: '1Gi' },
          { name: 'a', cpu: '1', memory: '1Gi' },
        ],
      },
      error: 'nodes.1.name = "a": duplicate',
    },
    {
      name: 'upper-case name',
      doc: { nodes: [{ name: 'GPU', cpu: '1', memory: '1Gi' }] },
      error: 'nodes.0.name = "GPU"',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const result = parseTopology(c.doc, 'topo.yaml');
      if (c.error !== undefined) {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.reason).toBe('invalidTopology');
          expect(result.message).toContain(c.error);
          expect(result.message).toContain('topo.yaml');
        }
      } else {
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.topology.nodes).toHaveLength(c.nodes ?? 0);
      }
    });
  }
});

describe('nodeManifest', () => {
  test('a GPU node carries kwok annotation, GPU labels and equal capacity/allocatable', () => {
    const result = parseTopology({
      nodes: [
        {
          name: 'gpu-a',
          gpuModel: 'H100-80GB',
          cpu: '8',
          memory: '32Gi',
          resources: { 'nvidia.com/mig-1g.10gb': 2 },
        },
      ],
    });
    if (!result.ok) throw new Error(result.message);
    const node = result.topology.nodes[0];
    if (node === undefined) throw new Error('no node');
    const m = nodeManifest(node);
    expect(m.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
    expect(m.metadata.labels['k-siss.io/gpu-model']).toBe('H100-80GB');
    expect(m.status.capacity).toEqual({
      cpu: '8',
      memory: '32Gi',
      pods: '110',
      'nvidia.com/mig-1g.10gb': '2',
    });
    expect(m.status.allocatable).toEqual(m.status.capacity);
    expect(m.spec.taints).toBeUndefined();
  });

  test('a CPU node has no GPU labels', () => {
    const result = parseTopology({
      nodes: [{ name: 'cpu', cpu: '2', memory: '4Gi', taints: [{ key: 'k', effect: 'NoSchedule' }] }],
    });
    if (!result.ok) throw new Error(result.message);
    const node = result.topology.nodes[0];
    if (node === undefined) throw new Error('no node');
    const m = nodeManifest(node);
    expect(m.metadata.labels['k-siss.io/gpu-model']).toBeUndefined();
    expect(m.spec.taints).toEqual([{ key: 'k', effect: 'NoSchedule' }]);
  });
});
