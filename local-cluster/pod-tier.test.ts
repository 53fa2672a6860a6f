import { DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { podTier } from './pod-tier.js';

describe('podTier', () => {
  const cases = [
    {
      name: 'MIG slice from requests',
      containers: [{ requests: { 'nvidia.com/mig-2g.20gb': '1', cpu: '1' } }],
      tier: 'mig-2g.20gb',
    },
    {
      name: 'limits only (extended resources)',
      containers: [{ limits: { 'nvidia.com/mig-1g.10gb': '1' } }],
      tier: 'mig-1g.10gb',
    },
    { name: 'shared GPU', containers: [{ requests: { 'nvidia.com/gpu.shared': '1' } }], tier: 'gpu.shared' },
    { name: 'one whole GPU', containers: [{ limits: { 'nvidia.com/gpu': '1' } }], tier: 'gpu' },
    { name: 'two whole GPUs', containers: [{ limits: { 'nvidia.com/gpu': '2' } }], tier: 'gpu-x2' },
    {
      name: 'sidecar without GPU is ignored',
      containers: [{ requests: { cpu: '100m' } }, { limits: { 'nvidia.com/mig-3g.40gb': '1' } }],
      tier: 'mig-3g.40gb',
    },
    { name: 'no GPU request', containers: [{ requests: { cpu: '1' } }], reason: 'noGpuRequest' },
    {
      name: 'three whole GPUs: no such tier',
      containers: [{ limits: { 'nvidia.com/gpu': '3' } }],
      reason: 'unknownTier',
    },
    {
      name: 'unknown resource',
      containers: [{ limits: { 'nvidia.com/mig-9g.99gb': '1' } }],
      reason: 'unknownTier',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const result = podTier(DEFAULT_CATALOG, c.containers);
      if (c.tier !== undefined) {
        expect(result.ok && result.tier.name).toBe(c.tier);
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toBe(c.reason);
      }
    });
  }
  test('the node GPU model breaks ties between same-named tiers', () => {
    const a100 = {
      ...[...DEFAULT_CATALOG.values()].find((t) => t.name === 'mig-1g.10gb'),
      name: 'mig-1g.10gb-a100',
      gpuModel: 'A100-80GB',
    };
    const catalog = new Map([...DEFAULT_CATALOG, ['mig-1g.10gb-a100', a100 as never]]);
    const result = podTier(catalog, [{ limits: { 'nvidia.com/mig-1g.10gb': '1' } }], 'A100-80GB');
    expect(result.ok && result.tier.gpuModel).toBe('A100-80GB');
  });
});
