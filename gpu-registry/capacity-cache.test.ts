import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { effectivePodRequests, toNodeInfo, toPodInfo } from './capacity-cache.js';

const MIG = 'nvidia.com/mig-1g.10gb';

describe('effectivePodRequests', () => {
  const cases: ReadonlyArray<{ name: string; pod: V1Pod; want: Record<string, number> }> = [
    {
      name: 'containers are summed',
      pod: {
        spec: {
          containers: [
            { name: 'a', resources: { requests: { [MIG]: '1', cpu: '500m' } } },
            { name: 'b', resources: { requests: { [MIG]: '2' } } },
          ],
        },
      },
      want: { [MIG]: 3, cpu: 0.5 },
    },
    {
      name: 'limits only: requests default to limits',
      pod: { spec: { containers: [{ name: 'a', resources: { limits: { [MIG]: '1' } } }] } },
      want: { [MIG]: 1 },
    },
    {
      name: 'an ordinary init container counts only when it is the peak',
      pod: {
        spec: {
          initContainers: [{ name: 'init', resources: { requests: { [MIG]: '4' } } }],
          containers: [{ name: 'a', resources: { requests: { [MIG]: '1' } } }],
        },
      },
      want: { [MIG]: 4 },
    },
    {
      name: 'a sidecar (init with restartPolicy Always) adds to the containers',
      pod: {
        spec: {
          initContainers: [
            { name: 'side', restartPolicy: 'Always', resources: { requests: { [MIG]: '1' } } },
          ],
          containers: [{ name: 'a', resources: { requests: { [MIG]: '1' } } }],
        },
      },
      want: { [MIG]: 2 },
    },
    {
      name: 'pod overhead is added',
      pod: {
        spec: {
          overhead: { cpu: '250m' },
          containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }],
        },
      },
      want: { cpu: 1.25 },
    },
    { name: 'a pod without spec requests nothing', pod: {}, want: {} },
  ];
  test.each(cases)('$name', ({ pod, want }) => {
    expect(effectivePodRequests(pod)).toEqual(want);
  });
});

describe('toNodeInfo', () => {
  const cases: ReadonlyArray<{ name: string; node: V1Node; want: ReturnType<typeof toNodeInfo> }> = [
    {
      name: 'ready node',
      node: {
        metadata: { name: 'gpu-0' },
        status: { allocatable: { [MIG]: '7' }, conditions: [{ type: 'Ready', status: 'True' }] },
      },
      want: { name: 'gpu-0', allocatable: { [MIG]: '7' }, unschedulable: false, ready: true },
    },
    {
      name: 'cordoned, not ready',
      node: {
        metadata: { name: 'gpu-1' },
        spec: { unschedulable: true },
        status: { allocatable: {}, conditions: [{ type: 'Ready', status: 'Unknown' }] },
      },
      want: { name: 'gpu-1', allocatable: {}, unschedulable: true, ready: false },
    },
    {
      name: 'no Ready condition yet: readiness unknown, not assumed down',
      node: { metadata: { name: 'gpu-2' } },
      want: { name: 'gpu-2', allocatable: {}, unschedulable: false },
    },
  ];
  test.each(cases)('$name', ({ node, want }) => {
    expect(toNodeInfo(node)).toEqual(want);
  });
});

describe('toPodInfo', () => {
  test('bound running pod', () => {
    expect(
      toPodInfo({
        metadata: { namespace: 'ns', name: 'p' },
        spec: { nodeName: 'gpu-0', containers: [{ name: 'a', resources: { requests: { [MIG]: '1' } } }] },
        status: { phase: 'Running' },
      }),
    ).toEqual({ name: 'ns/p', nodeName: 'gpu-0', phase: 'Running', requests: { [MIG]: 1 } });
  });
  test('a pod with no status yet is Pending and unbound', () => {
    expect(toPodInfo({ metadata: { namespace: 'ns', name: 'q' }, spec: { containers: [] } })).toEqual({
      name: 'ns/q',
      phase: 'Pending',
      requests: {},
    });
  });
});
