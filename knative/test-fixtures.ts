import type { MigrationSettings } from '../autoscaler/index.js';
import type { GpuTier, TierCatalog } from '../gpu-registry/index.js';
import { writeMigrationRecord } from './annotations.js';
import {
  MIGRATION_ANNOTATION,
  type Condition,
  type KnativeRevision,
  type KnativeService,
  type MigrationRecord,
  type ObservedKnative,
  type RevisionSpec,
  type ServiceMergePatch,
  type TrafficTarget,
} from './types.js';

// Plain data for the table-driven unit tests of the pure planner (no fakes: objects as the API server returns them).

function tier(name: string, resource: string, extra: Partial<GpuTier> = {}): GpuTier {
  return {
    name,
    resource,
    unitsPerPod: 1,
    kind: 'mig',
    computeFraction: 1 / 7,
    memoryGb: 10,
    memoryBandwidthFraction: 1 / 8,
    relativeCost: 1 / 7,
    gpuModel: 'H100-80GB',
    ...extra,
  };
}

export const TIERS = {
  mig1g: tier('mig-1g.10gb', 'nvidia.com/mig-1g.10gb'),
  mig2g: tier('mig-2g.20gb', 'nvidia.com/mig-2g.20gb', { computeFraction: 2 / 7, memoryGb: 20 }),
  mps25: tier('mps-25', 'nvidia.com/gpu.shared', { kind: 'mps', mpsThreadPercentage: 25 }),
  mps50: tier('mps-50', 'nvidia.com/gpu.shared', { kind: 'mps', mpsThreadPercentage: 50 }),
  gpu: tier('gpu', 'nvidia.com/gpu', { kind: 'gpu', computeFraction: 1, memoryGb: 80 }),
  gpuX2: tier('gpu-x2', 'nvidia.com/gpu', { kind: 'gpu', unitsPerPod: 2, computeFraction: 2, memoryGb: 160 }),
} as const;

export const CATALOG: TierCatalog = new Map(Object.values(TIERS).map((t) => [t.name, t]));
export const GPU_RESOURCES = [...new Set(Object.values(TIERS).map((t) => t.resource))];

export const SETTINGS: MigrationSettings = {
  readyTimeoutSeconds: 120,
  drainSeconds: 30,
  trafficSteps: [100],
  stepPauseSeconds: 20,
  tierBackoffSeconds: 300,
};

export const T0 = 1_800_000_000_000;

export function specOn(
  resource: string,
  units = '1',
  env: Array<{ name: string; value: string }> = [],
): RevisionSpec {
  return {
    containerConcurrency: 0,
    timeoutSeconds: 300,
    containers: [
      {
        name: 'llm',
        image: 'registry.invalid/llm@sha256:01',
        env: [{ name: 'MODEL', value: 'gpt2' }, ...env],
        resources: {
          requests: { cpu: '1', memory: '10Gi', [resource]: units },
          limits: { memory: '10Gi', [resource]: units },
        },
      },
      {
        name: 'log-shipper',
        image: 'registry.invalid/shipper@sha256:02',
        resources: { requests: { cpu: '100m' } },
      },
    ],
  };
}

const READY: Condition[] = [{ type: 'Ready', status: 'True' }];

export function revision(name: string, spec: RevisionSpec, conditions: Condition[] = READY): KnativeRevision {
  return {
    metadata: { name, namespace: 'default', labels: { 'serving.knative.dev/service': 'gpt2' } },
    spec,
    status: { conditions },
  };
}

export interface ServiceShape {
  readonly templateName?: string;
  readonly templateSpec: RevisionSpec;
  readonly specTraffic?: TrafficTarget[];
  readonly statusTraffic: TrafficTarget[];
  readonly latestReady: string;
  readonly record?: MigrationRecord;
  readonly annotations?: Record<string, string>;
}

export function service(shape: ServiceShape): KnativeService {
  const annotations: Record<string, string> = { ...(shape.annotations ?? {}) };
  if (shape.record !== undefined) annotations[MIGRATION_ANNOTATION] = writeMigrationRecord(shape.record);
  return {
    metadata: { name: 'gpt2', namespace: 'default', resourceVersion: '42', generation: 3, annotations },
    spec: {
      template: {
        metadata: {
          ...(shape.templateName === undefined ? {} : { name: shape.templateName }),
          annotations: { 'autoscaling.knative.dev/target': '10' },
        },
        spec: shape.templateSpec,
      },
      ...(shape.specTraffic === undefined ? {} : { traffic: shape.specTraffic }),
    },
    status: {
      observedGeneration: 3,
      conditions: READY,
      latestReadyRevisionName: shape.latestReady,
      latestCreatedRevisionName: shape.templateName ?? shape.latestReady,
      traffic: shape.statusTraffic,
    },
  };
}

export const OLD = 'gpt2-00001';
export const NEW = 'gpt2-mig-2g-20gb-abc12';

export function record(overrides: Partial<MigrationRecord> = {}): MigrationRecord {
  return {
    fromRevision: OLD,
    toRevision: NEW,
    fromTier: 'mig-1g.10gb',
    toTier: 'mig-2g.20gb',
    phase: 'creating',
    stepIndex: 0,
    startedAtMs: T0,
    phaseSinceMs: T0,
    deadlineMs: T0 + 120_000,
    trafficSteps: [100],
    stepPauseSeconds: 20,
    drainSeconds: 30,
    tierBackoffSeconds: 300,
    restoreLatestRevision: true,
    fromTemplateMetadata: { annotations: { 'autoscaling.knative.dev/target': '10' } },
    ...overrides,
  };
}

/** The steady state before any migration: one ready revision on mig-1g, traffic following the latest. */
export function steady(): ObservedKnative {
  return {
    service: service({
      templateSpec: specOn('nvidia.com/mig-1g.10gb'),
      specTraffic: [{ latestRevision: true, percent: 100 }],
      statusTraffic: [{ revisionName: OLD, latestRevision: true, percent: 100 }],
      latestReady: OLD,
    }),
    revisions: [revision(OLD, specOn('nvidia.com/mig-1g.10gb'))],
  };
}

/** RFC 7386 JSON merge patch, to replay a planned patch onto an observed object in tests. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

export function applyPatch(observed: ObservedKnative, patch: ServiceMergePatch): ObservedKnative {
  const { resourceVersion: _rv, ...metadata } = patch.metadata;
  return { ...observed, service: mergePatch(observed.service, { ...patch, metadata }) as KnativeService };
}
