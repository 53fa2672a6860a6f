import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import type { SecretKeyRef } from '../autoscaler/index.js';
import type { SecretReader } from '../prometheus/index.js';

/**
 * Reads one key of a Secret in the controller's own namespace (the Role grants `get` on the Secret names
 * configuration.yaml lists, nothing else). Errors say what is missing, never a value.
 */
export function createSecretReader(kubeConfig: KubeConfig, namespace: string): SecretReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (ref: SecretKeyRef) => {
    let data: Record<string, string> | undefined;
    try {
      data = (await core.readNamespacedSecret({ namespace, name: ref.name })).data;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new Error(
        typeof code === 'number'
          ? `HTTP ${code} reading Secret ${namespace}/${ref.name}${code === 403 ? ' (the Role must grant get on it)' : ''}`
          : `reading Secret ${namespace}/${ref.name}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const encoded = data?.[ref.key];
    if (encoded === undefined) throw new Error(`Secret ${namespace}/${ref.name} has no key ${ref.key}`);
    return Buffer.from(encoded, 'base64').toString('utf8');
  };
}
