import { readFileSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { POLICY_CRD_FILE } from './crd-file.js';

/**
 * The CRD of policy/crd.yaml as a typed object. It must go through the client's deserializer: the typed
 * serializer of `patch` drops plain-YAML keys it maps under other names (`default`, `enum`,
 * `x-kubernetes-validations`), which would silently install a CRD without defaults and validation.
 */
export function policyCrdManifest(file = POLICY_CRD_FILE): V1CustomResourceDefinition {
  return loadYaml<V1CustomResourceDefinition>(readFileSync(file, 'utf8'));
}

/**
 * Server-side applies the shipped CRD (field manager `fieldManager`) and resolves once the API server
 * reports it Established; rejects after `timeoutMs` naming the condition it waited for.
 */
export async function installPolicyCrd(
  kc: KubeConfig,
  options: {
    readonly fieldManager?: string;
    readonly timeoutMs?: number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly now: () => number;
  },
): Promise<void> {
  const crd = policyCrdManifest();
  await KubernetesObjectApi.makeApiClient(kc).patch(
    crd,
    undefined,
    undefined,
    options.fieldManager ?? 'k-siss',
    true,
    PatchStrategy.ServerSideApply,
  );
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const name = crd.metadata?.name ?? '';
  const deadline = options.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const read = await ext.readCustomResourceDefinition({ name });
    const established = read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established === true) return;
    if (options.now() > deadline) {
      throw new Error(
        `CustomResourceDefinition ${name}: not Established after ${options.timeoutMs ?? 30_000} ms`,
      );
    }
    await options.sleep(250);
  }
}
