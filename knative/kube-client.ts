import { hostname } from 'node:os';
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  REVISION_LABEL,
  SERVICE_LABEL,
  type KnativeRevision,
  type KnativeService,
  type PodSummary,
  type ServiceMergePatch,
} from './types.js';

const SERVING = { group: 'serving.knative.dev', version: 'v1' } as const;
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Status code of a client-node error (ApiException carries `code`), if any. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error !== null && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function summarizePod(pod: V1Pod): PodSummary | undefined {
  const name = pod.metadata?.name;
  const revision = pod.metadata?.labels?.[REVISION_LABEL];
  if (name === undefined || revision === undefined || pod.metadata?.deletionTimestamp !== undefined)
    return undefined;
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  const unschedulable = scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
  return {
    name,
    revision,
    ready,
    phase: pod.status?.phase ?? 'Unknown',
    ...(unschedulable ? { unschedulableMessage: scheduled.message ?? 'Unschedulable' } : {}),
  };
}

/** The few Kubernetes calls the Knative helper makes; nothing here decides anything. */
export class KnativeClient {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly component = 'k-siss-autoscaler',
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async listServices(namespace: string): Promise<KnativeService[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      ...SERVING,
      namespace,
      plural: 'services',
    })) as {
      items: KnativeService[];
    };
    return list.items;
  }

  async getService(namespace: string, name: string): Promise<KnativeService | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...SERVING,
        namespace,
        plural: 'services',
        name,
      })) as KnativeService;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Revisions of one Service (or of all, when `service` is undefined). */
  async listRevisions(namespace: string, service?: string): Promise<KnativeRevision[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      ...SERVING,
      namespace,
      plural: 'revisions',
      ...(service === undefined ? {} : { labelSelector: `${SERVICE_LABEL}=${service}` }),
    })) as { items: KnativeRevision[] };
    return list.items;
  }

  async listPods(namespace: string, service?: string): Promise<PodSummary[]> {
    const list = await this.core.listNamespacedPod({
      namespace,
      labelSelector: service === undefined ? REVISION_LABEL : `${SERVICE_LABEL}=${service}`,
    });
    return list.items.map(summarizePod).filter((p): p is PodSummary => p !== undefined);
  }

  async patchService(namespace: string, name: string, patch: ServiceMergePatch): Promise<KnativeService> {
    return (await this.custom.patchNamespacedCustomObject(
      { ...SERVING, namespace, plural: 'services', name, body: patch, fieldManager: this.component },
      MERGE_PATCH,
    )) as KnativeService;
  }

  /** Deletes a revision; an absent one counts as deleted. */
  async deleteRevision(namespace: string, name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...SERVING, namespace, plural: 'revisions', name });
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
    }
  }

  async patchRevisionAnnotations(
    namespace: string,
    name: string,
    annotations: Readonly<Record<string, string | null>>,
  ): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      {
        ...SERVING,
        namespace,
        plural: 'revisions',
        name,
        body: { metadata: { annotations } },
        fieldManager: this.component,
      },
      MERGE_PATCH,
    );
  }

  /** Records a core/v1 Event on a Knative Service. */
  async recordEvent(
    service: { readonly namespace: string; readonly name: string; readonly uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    now: Date,
  ): Promise<void> {
    await this.core.createNamespacedEvent({
      namespace: service.namespace,
      body: {
        metadata: { generateName: `${service.name}.`, namespace: service.namespace },
        involvedObject: {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          name: service.name,
          namespace: service.namespace,
          ...(service.uid === undefined ? {} : { uid: service.uid }),
        },
        type,
        reason,
        message: message.slice(0, 1000),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: hostname(),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
