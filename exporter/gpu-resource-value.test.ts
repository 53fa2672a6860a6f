import { gpuResourceValue, type ExportedTier } from './gpu-resource-value.js';

const cases: ReadonlyArray<{ name: string; tier: ExportedTier; expected: number | undefined }> = [
  {
    name: 'MIG 1g slice',
    tier: { name: 'mig-1g.10gb', kind: 'mig', computeFraction: 1 / 7, memoryGb: 10 },
    expected: 1,
  },
  {
    name: 'MIG 7g slice',
    tier: { name: 'mig-7g.80gb', kind: 'mig', computeFraction: 1, memoryGb: 80 },
    expected: 7,
  },
  {
    name: 'MIG name without slices falls back to the compute fraction',
    tier: { name: 'custom-mig', kind: 'mig', computeFraction: 2 / 7, memoryGb: 20 },
    expected: 2,
  },
  {
    name: 'MPS share in GB',
    tier: { name: 'gpu-13gb', kind: 'mps', computeFraction: 0.3, memoryGb: 13 },
    expected: 13,
  },
  { name: 'whole GPU', tier: { name: 'gpu', kind: 'gpu', computeFraction: 1, memoryGb: 40 }, expected: 7 },
  {
    name: 'four GPUs',
    tier: { name: 'gpu-x4', kind: 'gpu', computeFraction: 4, memoryGb: 160 },
    expected: 28,
  },
  {
    name: 'NaN compute fraction gives no value',
    tier: { name: 'odd', kind: 'gpu', computeFraction: NaN, memoryGb: 1 },
    expected: undefined,
  },
  {
    name: 'negative memory gives no value',
    tier: { name: 'neg', kind: 'mps', computeFraction: 1, memoryGb: -1 },
    expected: undefined,
  },
];

describe('gpuResourceValue', () => {
  it.each(cases)('$name', ({ tier, expected }) => {
    expect(gpuResourceValue(tier)).toBe(expected);
  });
});
