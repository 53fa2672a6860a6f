/**
 * Helpers for the Knative end-to-end tests (test/knative-*.e2e.test.ts): GPU-backed Knative Services with
 * images by digest, and an observer that samples the Service and its revisions while a test runs and records
 * every violation of the migration invariants (traffic sums to 100; traffic names only Ready revisions).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { SYSTEM_CLOCK, waitFor, type Clock } from './clock.js';
import { TEST_IMAGE } from './knative.js';

const SERVING = { group: 'serving.knative.dev', version: 'v1' } as const;

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
}
interface Target {
  readonly revisionName?: string;
  readonly latestRevision?: boolean;
  readonly percent?: number;
}
/** The parts of a Service/Revision the tests look at. */
export interface ServiceView {
  readonly metadata: {
    readonly name: string;
    readonly annotations?: Record<string, string>;
    readonly generation?: number;
  };
  readonly spec: {
    readonly template: {
      readonly metadata?: { readonly name?: string };
      readonly spec: {
        readonly containers: ReadonlyArray<{
          readonly resources?: { readonly limits?: Record<string, string> };
        }>;
      };
    };
    readonly traffic?: readonly Target[];
  };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly traffic?: readonly Target[];
    readonly latestReadyRevisionName?: string;
    readonly latestCreatedRevisionName?: string;
  };
}
export interface RevisionView {
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
  readonly spec: {
    readonly containers: ReadonlyArray<{ readonly resources?: { readonly limits?: Record<string, string> } }>;
  };
  readonly status?: { readonly conditions?: readonly Condition[] };
}

/** A Knative Service manifest whose one container asks for `units` of `gpuResource` (requests = limits). */
export function gpuServiceManifest(
  name: string,
  namespace: string,
  gpuResource: string,
  options: {
    readonly units?: number;
    readonly minScale?: number;
    readonly extraEnv?: Record<string, string>;
  } = {},
): Record<string, unknown> {
  const units = String(options.units ?? 1);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      template: {
        metadata: { annotations: { 'autoscaling.knative.dev/min-scale': String(options.minScale ?? 1) } },
        spec: {
          containers: [
            {
              name: 'llm',
              image: TEST_IMAGE,
              env: [
                { name: 'MODEL', value: 'gpt2' },
                ...Object.entries(options.extraEnv ?? {}).map(([k, v]) => ({ name: k, value: v })),
              ],
              resources: {
                requests: { cpu: '1', memory: '10Gi', [gpuResource]: units },
                limits: { memory: '10Gi', [gpuResource]: units },
              },
            },
          ],
        },
      },
    },
  };
}

export function isReady(conditions: readonly Condition[] | undefined): boolean {
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function createService(kc: KubeConfig, manifest: Record<string, unknown>): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const namespace = (manifest.metadata as { namespace: string }).namespace;
  await api.createNamespacedCustomObject({ ...SERVING, namespace, plural: 'services', body: manifest });
}

export async function getService(kc: KubeConfig, namespace: string, name: string): Promise<ServiceView> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.getNamespacedCustomObject({
    ...SERVING,
    namespace,
    plural: 'services',
    name,
  })) as ServiceView;
}

export async function listRevisions(
  kc: KubeConfig,
  namespace: string,
  service: string,
): Promise<RevisionView[]> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = (await api.listNamespacedCustomObject({
    ...SERVING,
    namespace,
    plural: 'revisions',
    labelSelector: `serving.knative.dev/service=${service}`,
  })) as { items: RevisionView[] };
  return list.items;
}

/** Waits until the Service is Ready with its latest revision serving. */
export async function waitServiceReady(
  kc: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
  clock: Clock = SYSTEM_CLOCK,
): Promise<ServiceView> {
  return waitFor(
    `Knative Service ${namespace}/${name} Ready`,
    async () => {
      const svc = await getService(kc, namespace, name);
      const servingLatest = svc.status?.traffic?.some(
        (t) => t.revisionName === svc.status?.latestReadyRevisionName && (t.percent ?? 0) > 0,
      );
      return isReady(svc.status?.conditions) && servingLatest ? svc : undefined;
    },
    timeoutMs,
    clock,
    500,
  );
}

/** Reasons of the Events recorded on a Service, oldest first. */
export async function serviceEvents(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<Array<{ type: string; reason: string; message: string }>> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.kind=Service,involvedObject.name=${name}`,
  });
  return list.items
    .filter((e) => e.involvedObject.apiVersion === 'serving.knative.dev/v1')
    .sort((a, b) => String(a.firstTimestamp ?? '').localeCompare(String(b.firstTimestamp ?? '')))
    .map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '' }));
}

/** The GPU resource names a revision's containers ask for (limits). */
export function gpuResourcesOf(rev: RevisionView | ServiceView['spec']['template']): string[] {
  return rev.spec.containers.flatMap((c) =>
    Object.keys(c.resources?.limits ?? {}).filter((k) => k.startsWith('nvidia.com/')),
  );
}

/** One observation's verdict. */
export interface InvariantViolation {
  readonly atMs: number;
  readonly message: string;
}

/**
 * Checks the invariants on one observation: `spec.traffic` sums to 100 and names only Ready revisions;
 * `status.traffic` (what the Route serves) sends traffic only to Ready revisions.
 */
export function checkTrafficInvariants(svc: ServiceView, revisions: readonly RevisionView[]): string[] {
  const problems: string[] = [];
  const ready = new Set(revisions.filter((r) => isReady(r.status?.conditions)).map((r) => r.metadata.name));
  const spec = svc.spec.traffic ?? [{ latestRevision: true, percent: 100 }];
  const sum = spec.reduce((s, t) => s + (t.percent ?? 0), 0);
  if (sum !== 100) problems.push(`spec.traffic sums to ${sum}: ${JSON.stringify(spec)}`);
  for (const t of spec) {
    if (t.revisionName !== undefined && (t.percent ?? 0) > 0 && !ready.has(t.revisionName)) {
      problems.push(`spec.traffic sends ${t.percent}% to ${t.revisionName}, which is not Ready`);
    }
  }
  for (const t of svc.status?.traffic ?? []) {
    if (t.revisionName !== undefined && (t.percent ?? 0) > 0 && !ready.has(t.revisionName)) {
      problems.push(`status.traffic sends ${t.percent}% to ${t.revisionName}, which is not Ready`);
    }
  }
  return problems;
}

/** What an invariant watch saw. */
export interface InvariantWatch {
  readonly observations: number;
  readonly violations: InvariantViolation[];
  readonly revisionsSeen: string[];
  /** When each revision was first observed (observer clock, `intervalMs` resolution). */
  readonly firstSeenMs: Readonly<Record<string, number>>;
  /** Changes of the migration record's phase (`none` when there is no record), as observed. */
  readonly phases: ReadonlyArray<{
    readonly phase: string;
    readonly atMs: number;
    readonly startedAtMs?: number;
  }>;
}

/** Samples a Service every `intervalMs` until stopped; collects invariant violations and revision names seen. */
export function watchInvariants(
  kc: KubeConfig,
  namespace: string,
  name: string,
  intervalMs = 250,
  clock: Clock = SYSTEM_CLOCK,
): { stop(): Promise<InvariantWatch> } {
  let running = true;
  let observations = 0;
  const violations: InvariantViolation[] = [];
  const seen = new Set<string>();
  const firstSeenMs: Record<string, number> = {};
  const phases: Array<{ phase: string; atMs: number; startedAtMs?: number }> = [];
  const loop = (async () => {
    while (running) {
      try {
        const [svc, revisions] = await Promise.all([
          getService(kc, namespace, name),
          listRevisions(kc, namespace, name),
        ]);
        observations += 1;
        const now = clock.now();
        for (const r of revisions) {
          seen.add(r.metadata.name);
          firstSeenMs[r.metadata.name] ??= now;
        }
        const raw = svc.metadata.annotations?.['autoscaler.k-siss.io/migration'];
        const record =
          raw === undefined ? undefined : (JSON.parse(raw) as { phase: string; startedAtMs: number });
        const phase = record?.phase ?? 'none';
        if (phases[phases.length - 1]?.phase !== phase) {
          phases.push({
            phase,
            atMs: now,
            ...(record === undefined ? {} : { startedAtMs: record.startedAtMs }),
          });
        }
        for (const message of checkTrafficInvariants(svc, revisions))
          violations.push({ atMs: clock.now(), message });
      } catch {
        // a transient API error is not an observation
      }
      await clock.sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { observations, violations, revisionsSeen: [...seen].sort(), firstSeenMs, phases };
    },
  };
}

/** Free units of an extended resource over all nodes (allocatable minus requests of non-terminal pods). */
export async function freeUnits(kc: KubeConfig, resource: string): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const [nodes, pods] = await Promise.all([core.listNode(), core.listPodForAllNamespaces()]);
  let free = 0;
  for (const node of nodes.items) free += Number(node.status?.allocatable?.[resource] ?? 0);
  for (const pod of pods.items) {
    if (
      pod.status?.phase === 'Succeeded' ||
      pod.status?.phase === 'Failed' ||
      pod.spec?.nodeName === undefined
    )
      continue;
    for (const c of pod.spec.containers) {
      free -= Number(c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource] ?? 0);
    }
  }
  return free;
}

/**
 * Waits until `units` of `resource` are free: a test that needs the one mig-2g.20gb must not start while a
 * pod of an earlier test (or another suite) still holds it.
 */
export async function waitForFreeUnits(
  kc: KubeConfig,
  resource: string,
  units = 1,
  timeoutMs = 120_000,
  clock: Clock = SYSTEM_CLOCK,
): Promise<void> {
  await waitFor(
    `${units} free ${resource}`,
    async () => ((await freeUnits(kc, resource)) >= units ? true : undefined),
    timeoutMs,
    clock,
    1000,
  );
}
