import {
  buildCapacitySnapshot,
  claim,
  freeUnits,
  hasUnitFor,
  hasUnitsFor,
  parseQuantity,
  release,
  unlimitedCapacity,
} from './capacity.js';
import { DEFAULT_CATALOG } from './catalog.js';
import type { NodeInfo } from './capacity.js';
import type { CapacitySnapshot, GpuTier } from './types.js';

const tier = (name: string): GpuTier => {
  const found = DEFAULT_CATALOG.get(name);
  if (found === undefined) throw new Error(`no tier ${name}`);
  return found;
};
const MIG1 = 'nvidia.com/mig-1g.10gb';

describe('buildCapacitySnapshot', () => {
  const nodes: readonly NodeInfo[] = [
    { name: 'b', allocatable: { [MIG1]: '7', cpu: '32', 'nvidia.com/gpu': 2 } },
    { name: 'a', allocatable: { [MIG1]: '3' } },
    { name: 'cordoned', allocatable: { [MIG1]: '7' }, unschedulable: true },
    { name: 'notready', allocatable: { [MIG1]: '7' }, ready: false },
  ];

  it.each([
    ['no pods: allocatable of usable nodes', [], { a: 3, b: 7, cordoned: 0, notready: 0 }],
    [
      'running and bound pending pods use units; terminal pods do not',
      [
        { nodeName: 'b', phase: 'Running', requests: { [MIG1]: '2' } },
        { nodeName: 'b', phase: 'Pending', requests: { [MIG1]: 1 } },
        { nodeName: 'a', phase: 'Succeeded', requests: { [MIG1]: '3' } },
        { nodeName: 'a', phase: 'Failed', requests: { [MIG1]: '3' } },
      ],
      { a: 3, b: 4, cordoned: 0, notready: 0 },
    ],
    [
      'an unscheduled pending pod is counted on the node with the most free units',
      [{ phase: 'Pending', requests: { [MIG1]: '1' } }],
      { a: 3, b: 6, cordoned: 0, notready: 0 },
    ],
    [
      'over-committed nodes stay at 0',
      [{ nodeName: 'a', phase: 'Running', requests: { [MIG1]: '5' } }],
      { a: 0, b: 7, cordoned: 0, notready: 0 },
    ],
  ])('%s', (_name, pods, expected) => {
    const snapshot = buildCapacitySnapshot(nodes, pods);
    expect(Object.fromEntries(snapshot.nodes.map((n) => [n.name, n.free[MIG1]]))).toEqual(expected);
  });

  it('tracks only extended resources', () => {
    const snapshot = buildCapacitySnapshot(nodes, []);
    expect(snapshot.nodes.find((n) => n.name === 'b')?.free).toEqual({ [MIG1]: 7, 'nvidia.com/gpu': 2 });
  });
});

describe('claim, release, hasUnitFor', () => {
  const snapshot: CapacitySnapshot = {
    nodes: [
      { name: 'n1', free: { [MIG1]: 1, 'nvidia.com/gpu': 3 } },
      { name: 'n2', free: { 'nvidia.com/gpu': 2 } },
    ],
  };

  it('claims the last slice once only', () => {
    const first = claim(snapshot, tier('mig-1g.10gb'));
    expect(first).toBeDefined();
    expect(first && hasUnitFor(first, tier('mig-1g.10gb'))).toBe(false);
    expect(first && claim(first, tier('mig-1g.10gb'))).toBeUndefined();
    expect(snapshot.nodes[0]?.free[MIG1]).toBe(1);
  });

  it('needs all units of a pod on one node', () => {
    expect(hasUnitFor(snapshot, tier('gpu-x2'))).toBe(true);
    expect(hasUnitFor(snapshot, tier('gpu-x4'))).toBe(false);
    expect(freeUnits(snapshot, 'nvidia.com/gpu')).toBe(5);
    expect(hasUnitsFor(snapshot, tier('gpu-x2'), 2)).toBe(true);
    expect(hasUnitsFor(snapshot, tier('gpu-x2'), 3)).toBe(false);
  });

  it('releases units back', () => {
    const claimed = claim(snapshot, tier('mig-1g.10gb'));
    const released = claimed && release(claimed, tier('mig-1g.10gb'));
    expect(released?.nodes[0]?.free[MIG1]).toBe(1);
    expect(release(snapshot, tier('gpu'), 2, 'n2').nodes[1]?.free['nvidia.com/gpu']).toBe(4);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['7', 7],
    ['500m', 0.5],
    ['2Ki', 2048],
    [3, 3],
    ['abc', undefined],
    ['1Zi', undefined],
  ] as const)('%s', (input, expected) => {
    expect(parseQuantity(input)).toBe(expected);
  });
});

describe('unlimitedCapacity', () => {
  it('offers every resource of the catalog', () => {
    const snapshot = unlimitedCapacity(DEFAULT_CATALOG.values());
    expect([...DEFAULT_CATALOG.values()].every((t) => hasUnitsFor(snapshot, t, 8))).toBe(true);
  });
});
