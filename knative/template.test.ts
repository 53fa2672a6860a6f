import { retierTemplate, revisionNameFor, tierOfSpec, MAX_REVISION_NAME_LENGTH } from './template.js';
import { CATALOG, GPU_RESOURCES, TIERS, specOn } from './test-fixtures.js';
import type { GpuTier } from '../gpu-registry/index.js';
import type { RevisionSpec } from './types.js';

const MPS = 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE';

describe('retierTemplate', () => {
  const cases: Array<{
    name: string;
    spec: RevisionSpec;
    from: GpuTier | undefined;
    to: GpuTier;
    resources: Record<string, Record<string, string>>;
    mpsEnv: string | undefined;
  }> = [
    {
      name: 'MIG up one step keeps cpu/memory',
      spec: specOn('nvidia.com/mig-1g.10gb'),
      from: TIERS.mig1g,
      to: TIERS.mig2g,
      resources: {
        requests: { cpu: '1', memory: '10Gi', 'nvidia.com/mig-2g.20gb': '1' },
        limits: { memory: '10Gi', 'nvidia.com/mig-2g.20gb': '1' },
      },
      mpsEnv: undefined,
    },
    {
      name: 'MIG -> MPS sets the thread percentage',
      spec: specOn('nvidia.com/mig-1g.10gb'),
      from: TIERS.mig1g,
      to: TIERS.mps25,
      resources: {
        requests: { cpu: '1', memory: '10Gi', 'nvidia.com/gpu.shared': '1' },
        limits: { memory: '10Gi', 'nvidia.com/gpu.shared': '1' },
      },
      mpsEnv: '25',
    },
    {
      name: 'MPS 25 -> MPS 50 replaces the percentage',
      spec: specOn('nvidia.com/gpu.shared', '1', [{ name: MPS, value: '25' }]),
      from: TIERS.mps25,
      to: TIERS.mps50,
      resources: {
        requests: { cpu: '1', memory: '10Gi', 'nvidia.com/gpu.shared': '1' },
        limits: { memory: '10Gi', 'nvidia.com/gpu.shared': '1' },
      },
      mpsEnv: '50',
    },
    {
      name: 'MPS -> whole GPU removes the stale percentage',
      spec: specOn('nvidia.com/gpu.shared', '1', [{ name: MPS, value: '50' }]),
      from: TIERS.mps50,
      to: TIERS.gpu,
      resources: {
        requests: { cpu: '1', memory: '10Gi', 'nvidia.com/gpu': '1' },
        limits: { memory: '10Gi', 'nvidia.com/gpu': '1' },
      },
      mpsEnv: undefined,
    },
    {
      name: 'gpu -> gpu-x2 changes the units',
      spec: specOn('nvidia.com/gpu'),
      from: TIERS.gpu,
      to: TIERS.gpuX2,
      resources: {
        requests: { cpu: '1', memory: '10Gi', 'nvidia.com/gpu': '2' },
        limits: { memory: '10Gi', 'nvidia.com/gpu': '2' },
      },
      mpsEnv: undefined,
    },
  ];
  it.each(cases)('$name', ({ spec, from, to, resources, mpsEnv }) => {
    const template = { metadata: { annotations: { a: 'b' } }, spec };
    const out = retierTemplate(template, from, to, 'gpt2-x', GPU_RESOURCES);
    expect(out.metadata).toEqual({ annotations: { a: 'b' }, name: 'gpt2-x' });
    expect(out.spec.containers[0]?.resources).toEqual(resources);
    expect(out.spec.containers[0]?.env?.find((e) => e.name === MPS)?.value).toBe(mpsEnv);
    expect(out.spec.containers[0]?.env?.find((e) => e.name === 'MODEL')).toEqual({
      name: 'MODEL',
      value: 'gpt2',
    });
    expect(out.spec.containers[1]).toBe(spec.containers[1]);
    expect(out.spec.timeoutSeconds).toBe(300);
    expect(tierOfSpec(out.spec, CATALOG)?.name).toBe(to.name);
  });

  it('gives a GPU container without cpu/memory requests the configured defaults, and keeps its own', () => {
    const base = specOn('nvidia.com/mig-1g.10gb');
    const bare = {
      ...base,
      containers: base.containers.map((c, i) =>
        i === 0 ? { ...c, resources: { limits: { 'nvidia.com/mig-1g.10gb': '1' } } } : c,
      ),
    };
    const defaults = { cpu: '2', memory: '20Gi' };
    const out = retierTemplate({ spec: bare }, TIERS.mig1g, TIERS.mig2g, 'gpt2-z', GPU_RESOURCES, defaults);
    expect(out.spec.containers[0]?.resources?.requests).toEqual({
      cpu: '2',
      memory: '20Gi',
      'nvidia.com/mig-2g.20gb': '1',
    });
    const own = retierTemplate({ spec: base }, TIERS.mig1g, TIERS.mig2g, 'gpt2-z', GPU_RESOURCES, defaults);
    expect(own.spec.containers[0]?.resources?.requests).toEqual({
      cpu: '1',
      memory: '10Gi',
      'nvidia.com/mig-2g.20gb': '1',
    });
  });

  it('finds the GPU container wherever it is (not containers[0])', () => {
    const base = specOn('nvidia.com/mig-1g.10gb');
    const spec = { ...base, containers: [base.containers[1] ?? {}, base.containers[0] ?? {}] };
    const out = retierTemplate({ spec }, TIERS.mig1g, TIERS.mig2g, 'gpt2-y', GPU_RESOURCES);
    expect(out.spec.containers[0]).toBe(spec.containers[0]);
    expect(out.spec.containers[1]?.resources?.limits?.['nvidia.com/mig-2g.20gb']).toBe('1');
  });
});

describe('revisionNameFor', () => {
  it.each([
    { service: 'gpt2', tier: 'mig-2g.20gb', suffix: 'lz3k9a1', want: 'gpt2-mig-2g-20gb-z3k9a1' },
    { service: 'gpt2', tier: 'gpu', suffix: 'abc', want: 'gpt2-gpu-abc' },
    {
      service: 'a-very-long-service-name-for-a-large-language-model',
      tier: 'mig-7g.80gb',
      suffix: '123456',
      want: undefined,
    },
  ])('$service on $tier', ({ service, tier, suffix, want }) => {
    const name = revisionNameFor(service, tier, suffix);
    if (want !== undefined) expect(name).toBe(want);
    expect(name.startsWith(`${service}-`)).toBe(true);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    if (service.length < 40) expect(name.length).toBeLessThanOrEqual(MAX_REVISION_NAME_LENGTH);
  });
});

describe('tierOfSpec', () => {
  it.each([
    { name: 'mig', spec: specOn('nvidia.com/mig-1g.10gb'), want: 'mig-1g.10gb' },
    { name: 'two gpus', spec: specOn('nvidia.com/gpu', '2'), want: 'gpu-x2' },
    {
      name: 'mps by percentage',
      spec: specOn('nvidia.com/gpu.shared', '1', [{ name: MPS, value: '50' }]),
      want: 'mps-50',
    },
    { name: 'unknown resource', spec: specOn('example.com/fpga'), want: undefined },
  ])('$name', ({ spec, want }) => expect(tierOfSpec(spec, CATALOG)?.name).toBe(want));
});
