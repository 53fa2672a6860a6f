import {
  MAX_SCALE_ANNOTATION,
  MIN_SCALE_ANNOTATION,
  SERVICE_LABEL,
  percentByRevision,
  type Condition,
  type KnativeRevision,
  type KnativeService,
  type MigrationStep,
  type ObservedKnative,
  type PodSummary,
  type RevisionTemplate,
  type TrafficTarget,
} from '../knative/index.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 7386 JSON merge patch, as the API server applies `application/merge-patch+json`: objects merge key by
 * key, `null` deletes a key, everything else (arrays included) replaces.
 */
export function jsonMergePatch<T>(target: T, patch: unknown): T {
  if (!isObject(patch)) return patch as T;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = jsonMergePatch(out[key], value);
  }
  return out as T;
}

/** Knative's name for the revision of generation `generation` when the template names none. */
function generatedRevisionName(service: string, generation: number): string {
  return `${service}-${String(generation).padStart(5, '0')}`;
}

/** The outcome of writing one planned step to the simulated API server. */
export type StepWrite =
  | { readonly outcome: 'applied' }
  | { readonly outcome: 'conflict'; readonly message: string }
  | { readonly outcome: 'notFound'; readonly message: string };

/** What the revision reconciler reports for one revision (derived from its pods by the simulated cluster). */
export interface RevisionReadiness {
  readonly ready: boolean;
  /** Why not (Ready=Unknown), e.g. pods still starting or unschedulable. */
  readonly reason?: string;
  readonly message?: string;
}

/**
 * The simulated API-server objects of one Knative Service: the Service (spec.template, spec.traffic,
 * annotations with the migration record) and its Revisions, written only through the steps the knative
 * planner returns (JSON merge patches, revision annotations, deletes) and the actuator's scale bounds, and
 * reconciled like Knative Serving does: the template's revision is created, `status.traffic` follows
 * `spec.traffic` once every revision it names is Ready, `latestReadyRevisionName` follows the template.
 */
export class SimKnativeObjects {
  private serviceObject: KnativeService;
  private readonly revisionList: KnativeRevision[] = [];
  private resourceVersion = 1;

  constructor(namespace: string, name: string, template: RevisionTemplate) {
    this.serviceObject = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name, namespace, uid: `sim-${name}`, generation: 1, resourceVersion: '1', annotations: {} },
      spec: { template, traffic: [{ latestRevision: true, percent: 100 }] },
      status: { observedGeneration: 0 },
    };
  }

  get service(): KnativeService {
    return this.serviceObject;
  }
  get revisions(): readonly KnativeRevision[] {
    return this.revisionList;
  }

  revision(name: string): KnativeRevision | undefined {
    return this.revisionList.find((r) => r.metadata.name === name);
  }

  /** The replicas a revision is pinned to (`min-scale`, which K-SISS keeps equal to `max-scale`), if set. */
  scaleBoundOf(name: string): number | undefined {
    const raw = this.revision(name)?.metadata.annotations?.[MIN_SCALE_ANNOTATION];
    const bound = raw === undefined ? Number.NaN : Number(raw);
    return Number.isInteger(bound) && bound >= 0 ? bound : undefined;
  }

  /** Writes one planned step (patchService / annotateRevision / deleteRevision) as the executor would. */
  write(
    step: Extract<MigrationStep, { kind: 'patchService' | 'annotateRevision' | 'deleteRevision' }>,
  ): StepWrite {
    switch (step.kind) {
      case 'patchService': {
        const expected = step.patch.metadata.resourceVersion;
        const current = this.serviceObject.metadata.resourceVersion;
        if (expected !== undefined && expected !== current) {
          return {
            outcome: 'conflict',
            message: `resourceVersion ${expected} is stale (now ${current ?? 'none'})`,
          };
        }
        const { resourceVersion: _ignored, ...metadataPatch } = step.patch.metadata;
        const before = this.serviceObject;
        const next = jsonMergePatch(before, { metadata: metadataPatch, spec: step.patch.spec });
        const specChanged = JSON.stringify(next.spec.template) !== JSON.stringify(before.spec.template);
        const generation = (before.metadata.generation ?? 1) + (specChanged ? 1 : 0);
        this.serviceObject = { ...next, metadata: { ...next.metadata, generation } };
        this.bump();
        return { outcome: 'applied' };
      }
      case 'annotateRevision':
        return this.annotateRevision(step.revisionName, step.annotations);
      case 'deleteRevision': {
        const index = this.revisionList.findIndex((r) => r.metadata.name === step.revisionName);
        if (index < 0) return { outcome: 'notFound', message: `revision ${step.revisionName} not found` };
        this.revisionList.splice(index, 1);
        return { outcome: 'applied' };
      }
    }
  }

  /** A JSON merge patch of a revision's annotations (the planner's bounds copy, the actuator's out/in). */
  annotateRevision(name: string, annotations: Readonly<Record<string, string | null>>): StepWrite {
    const index = this.revisionList.findIndex((r) => r.metadata.name === name);
    const revision = this.revisionList[index];
    if (revision === undefined) return { outcome: 'notFound', message: `revision ${name} not found` };
    this.revisionList[index] = jsonMergePatch(revision, { metadata: { annotations } });
    return { outcome: 'applied' };
  }

  /** The actuator's out/in: `min-scale = max-scale = replicas` on a revision (no new revision). */
  pinReplicas(name: string, replicas: number): StepWrite {
    const bound = String(replicas);
    return this.annotateRevision(name, { [MIN_SCALE_ANNOTATION]: bound, [MAX_SCALE_ANNOTATION]: bound });
  }

  /**
   * Knative's configuration reconciler: the revision the template describes is created if it does not
   * exist (named by the template, else `{service}-{generation}`). Returns the names created.
   */
  reconcileConfiguration(): string[] {
    const { metadata, spec } = this.serviceObject;
    const generation = metadata.generation ?? 1;
    const name = spec.template.metadata?.name ?? generatedRevisionName(metadata.name, generation);
    const created: string[] = [];
    if (this.revision(name) === undefined) {
      this.revisionList.push({
        metadata: {
          name,
          namespace: metadata.namespace ?? 'default',
          labels: { ...spec.template.metadata?.labels, [SERVICE_LABEL]: metadata.name },
          annotations: { ...spec.template.metadata?.annotations },
        },
        spec: spec.template.spec,
        status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Deploying' }] },
      });
      created.push(name);
    }
    this.setStatus({
      ...this.serviceObject.status,
      observedGeneration: generation,
      latestCreatedRevisionName: name,
    });
    return created;
  }

  /** The revision reconciler's verdict; Ready stays True once reached (scaling does not unready a revision). */
  setReadiness(name: string, readiness: RevisionReadiness): void {
    const index = this.revisionList.findIndex((r) => r.metadata.name === name);
    const revision = this.revisionList[index];
    if (revision === undefined) return;
    const current = revision.status?.conditions?.find((c) => c.type === 'Ready');
    if (current?.status === 'True') return;
    const condition: Condition = readiness.ready
      ? { type: 'Ready', status: 'True' }
      : {
          type: 'Ready',
          status: 'Unknown',
          ...(readiness.reason === undefined ? {} : { reason: readiness.reason }),
          ...(readiness.message === undefined ? {} : { message: readiness.message }),
        };
    if (
      current?.status === condition.status &&
      current.reason === condition.reason &&
      current.message === condition.message
    )
      return;
    this.revisionList[index] = { ...revision, status: { ...revision.status, conditions: [condition] } };
  }

  /**
   * The route reconciler: `latestReadyRevisionName` is the template's revision once Ready (else the previous
   * one, while it exists); `status.traffic` takes `spec.traffic` (latestRevision resolved) once every revision
   * it names exists and is Ready, and keeps the last routable split otherwise.
   */
  reconcileRoute(): void {
    const status = this.serviceObject.status ?? {};
    const isReady = (name: string | undefined): boolean =>
      name !== undefined &&
      this.revision(name)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ===
        true;
    const latestReady = isReady(status.latestCreatedRevisionName)
      ? status.latestCreatedRevisionName
      : status.latestReadyRevisionName !== undefined && this.revision(status.latestReadyRevisionName)
        ? status.latestReadyRevisionName
        : undefined;
    const resolved: TrafficTarget[] = [];
    let routable = true;
    for (const target of this.serviceObject.spec.traffic ?? [{ latestRevision: true, percent: 100 }]) {
      const name = target.latestRevision === true ? latestReady : target.revisionName;
      if ((target.percent ?? 0) > 0 && !isReady(name)) routable = false;
      resolved.push({
        ...(name === undefined ? {} : { revisionName: name }),
        ...(target.latestRevision === undefined ? {} : { latestRevision: target.latestRevision }),
        percent: target.percent ?? 0,
      });
    }
    const traffic = routable ? resolved.filter((t) => t.percent !== 0) : status.traffic;
    const next = {
      ...status,
      ...(latestReady === undefined ? {} : { latestReadyRevisionName: latestReady }),
      ...(traffic === undefined ? {} : { traffic }),
    };
    if (latestReady === undefined) delete next.latestReadyRevisionName;
    this.setStatus(next);
  }

  /** Percent of requests the route sends to each revision now. */
  routedPercents(): Map<string, number> {
    return percentByRevision(this.serviceObject.status?.traffic);
  }

  /** The Service, its revisions and pods, as `observeService` returns them from the API server. */
  observe(pods: readonly PodSummary[]): ObservedKnative {
    return { service: this.serviceObject, revisions: [...this.revisionList], pods: [...pods] };
  }

  private setStatus(status: NonNullable<KnativeService['status']>): void {
    if (JSON.stringify(status) === JSON.stringify(this.serviceObject.status)) return;
    this.serviceObject = { ...this.serviceObject, status };
    this.bump();
  }

  private bump(): void {
    this.resourceVersion += 1;
    this.serviceObject = {
      ...this.serviceObject,
      metadata: { ...this.serviceObject.metadata, resourceVersion: String(this.resourceVersion) },
    };
  }
}
