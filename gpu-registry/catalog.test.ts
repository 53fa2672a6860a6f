import { DEFAULT_CATALOG, DEFAULT_LADDER, familyLadder, mergeCatalog } from './catalog.js';

describe('DEFAULT_CATALOG', () => {
  it.each([
    // name, resource, units, kind, compute, memoryGb, bandwidth, cost, model
    ['mig-1g.5gb', 'nvidia.com/mig-1g.5gb', 1, 'mig', 1 / 7, 5, 1 / 8, 1 / 7, 'A100-40GB'],
    ['mig-3g.20gb', 'nvidia.com/mig-3g.20gb', 1, 'mig', 3 / 7, 20, 4 / 8, 0.5, 'A100-40GB'],
    ['mig-7g.40gb', 'nvidia.com/mig-7g.40gb', 1, 'mig', 1, 40, 1, 1, 'A100-40GB'],
    ['mig-1g.10gb', 'nvidia.com/mig-1g.10gb', 1, 'mig', 1 / 7, 10, 1 / 8, 1 / 7, 'H100-80GB'],
    ['mig-1g.20gb', 'nvidia.com/mig-1g.20gb', 1, 'mig', 1 / 7, 20, 2 / 8, 2 / 8, 'H100-80GB'],
    ['mig-4g.40gb', 'nvidia.com/mig-4g.40gb', 1, 'mig', 4 / 7, 40, 4 / 8, 4 / 7, 'H100-80GB'],
    ['gpu.shared', 'nvidia.com/gpu.shared', 1, 'mps', 0.25, 20, 0.25, 0.25, 'H100-80GB'],
    ['gpu-10gb', 'nvidia.com/gpu-10gb', 1, 'mps', 10 / 80, 10, 10 / 80, 10 / 80, 'H100-80GB'],
    ['gpu-80gb', 'nvidia.com/gpu-80gb', 1, 'mps', 1, 80, 1, 1, 'H100-80GB'],
    ['gpu', 'nvidia.com/gpu', 1, 'gpu', 1, 80, 1, 1, 'H100-80GB'],
    ['gpu-x4', 'nvidia.com/gpu', 4, 'gpu', 4, 320, 4, 4, 'H100-80GB'],
  ] as const)('%s', (name, resource, unitsPerPod, kind, compute, memoryGb, bandwidth, cost, model) => {
    const tier = DEFAULT_CATALOG.get(name);
    expect(tier).toMatchObject({ name, resource, unitsPerPod, kind, memoryGb, gpuModel: model });
    expect(tier?.computeFraction).toBeCloseTo(compute, 10);
    expect(tier?.memoryBandwidthFraction).toBeCloseTo(bandwidth, 10);
    expect(tier?.relativeCost).toBeCloseTo(cost, 10);
  });

  it('sets the MPS thread percentage from the share', () => {
    expect(DEFAULT_CATALOG.get('gpu-1gb')?.mpsThreadPercentage).toBe(1);
    expect(DEFAULT_CATALOG.get('gpu-40gb')?.mpsThreadPercentage).toBe(50);
    expect(DEFAULT_CATALOG.get('mig-1g.10gb')?.mpsThreadPercentage).toBeUndefined();
  });

  it('knows every tier of the default ladder', () => {
    expect(DEFAULT_LADDER.every((name) => DEFAULT_CATALOG.has(name))).toBe(true);
  });
});

describe('mergeCatalog', () => {
  it('overrides the given fields of a known tier only', () => {
    const { catalog, issues } = mergeCatalog(DEFAULT_CATALOG, [
      { name: 'mig-2g.20gb', gpuModel: 'A100-80GB' },
    ]);
    expect(issues).toEqual([]);
    expect(catalog.get('mig-2g.20gb')).toMatchObject({
      gpuModel: 'A100-80GB',
      resource: 'nvidia.com/mig-2g.20gb',
    });
    expect(DEFAULT_CATALOG.get('mig-2g.20gb')?.gpuModel).toBe('H100-80GB');
  });

  it.each([
    [
      'not a list',
      { name: 'x' },
      [{ key: '_tiers', path: '', value: { name: 'x' }, message: 'must be a YAML list of tiers' }],
    ],
    [
      'duplicate name',
      [{ name: 'gpu' }, { name: 'gpu' }],
      [{ key: '_tiers', path: '[1].name', value: 'gpu', message: 'duplicate tier name' }],
    ],
    [
      'bad resource',
      [{ name: 'gpu', resource: 'gpu' }],
      [
        {
          key: '_tiers',
          path: '[0].resource',
          value: 'gpu',
          message: 'must be an extended resource name like nvidia.com/mig-1g.10gb',
        },
      ],
    ],
    [
      'thread percentage on a MIG tier',
      [{ name: 'mig-1g.10gb', mpsThreadPercentage: 50 }],
      [
        {
          key: '_tiers',
          path: '[0].mpsThreadPercentage',
          value: 50,
          message: 'only allowed for kind mps (this tier is mig)',
        },
      ],
    ],
    [
      'misspelt field',
      [{ name: 'gpu', relativeCosts: 2 }],
      [
        {
          key: '_tiers',
          path: '[0].relativeCosts',
          value: 2,
          message: 'unknown field (did you mean "relativeCost"?)',
        },
      ],
    ],
    [
      'negative cost',
      [{ name: 'gpu', relativeCost: -1 }],
      [{ key: '_tiers', path: '[0].relativeCost', value: -1, message: 'must be > 0' }],
    ],
    [
      'computeFraction 7 on a MIG tier (7 slices, not 7/7)',
      [{ name: 'mig-7g.80gb', computeFraction: 7 }],
      [
        {
          key: '_tiers',
          path: '[0].computeFraction',
          value: 7,
          message:
            'must be at most 1 for kind mig (a share of one GPU: g/7 for a MIG slice, e.g. 3/7 = 0.4286)',
        },
      ],
    ],
    [
      'computeFraction 1.5 on an MPS tier',
      [{ name: 'gpu-40gb', computeFraction: 1.5 }],
      [
        {
          key: '_tiers',
          path: '[0].computeFraction',
          value: 1.5,
          message: 'must be at most 1 for kind mps (a share of one GPU)',
        },
      ],
    ],
    [
      'memoryBandwidthFraction above 1 on a new MPS tier',
      [
        {
          name: 'mps-half',
          resource: 'example.com/mps-half',
          kind: 'mps',
          computeFraction: 0.5,
          memoryGb: 40,
          memoryBandwidthFraction: 2,
          relativeCost: 0.5,
          gpuModel: 'H100-80GB',
        },
      ],
      [
        {
          key: '_tiers',
          path: '[0].memoryBandwidthFraction',
          value: 2,
          message: 'must be at most 1 for kind mps (a share of one GPU)',
        },
      ],
    ],
  ])('rejects %s', (_name, overrides, expected) => {
    expect(mergeCatalog(DEFAULT_CATALOG, overrides).issues).toEqual(expected);
  });
});

describe('familyLadder', () => {
  it.each([
    ['mig-1g.5gb', ['mig-1g.5gb', 'mig-2g.10gb', 'mig-3g.20gb', 'mig-4g.20gb', 'mig-7g.40gb']],
    ['gpu-x2', ['gpu', 'gpu-x2', 'gpu-x4', 'gpu-x8']],
    ['gpu.shared', ['gpu.shared']],
  ] as const)('%s', (tier, ladder) => {
    expect(familyLadder(DEFAULT_CATALOG, tier)).toEqual(ladder);
  });
  it('MPS shares form one family, smallest first, without gpu.shared', () => {
    const ladder = familyLadder(DEFAULT_CATALOG, 'gpu-8gb') ?? [];
    expect(ladder.slice(0, 3)).toEqual(['gpu-1gb', 'gpu-2gb', 'gpu-3gb']);
    expect(ladder).not.toContain('gpu.shared');
    expect(ladder[ladder.length - 1]).toBe('gpu-80gb');
  });
  it('an unknown tier has none', () => {
    expect(familyLadder(DEFAULT_CATALOG, 'tpu-v5')).toBeUndefined();
  });
});
