import { writeFile } from 'node:fs/promises';

import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** Which ServiceAccount to impersonate for real (a bound token from the TokenRequest API). */
export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Token lifetime; the API server's minimum is 600 s. */
  readonly expirationSeconds?: number;
}

/**
 * A kubeconfig that authenticates as a ServiceAccount with a token made by the TokenRequest API, pointing
 * at the same API server (and CA) as `admin`. Every request made with it goes through RBAC as that account.
 */
export async function serviceAccountKubeConfig(
  admin: KubeConfig,
  request: ServiceAccountTokenRequest,
): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: request.serviceAccount,
    namespace: request.namespace,
    body: { spec: { audiences: [], expirationSeconds: request.expirationSeconds ?? 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (token === undefined || token === '') {
    throw new Error(`TokenRequest for ${request.namespace}/${request.serviceAccount} returned no token`);
  }
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no current cluster');
  const name = `${request.namespace}-${request.serviceAccount}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ ...cluster, name: 'local' }],
    users: [{ name, token }],
    contexts: [{ name, cluster: 'local', user: name, namespace: request.namespace }],
    currentContext: name,
  });
  return kubeConfig;
}

/** Writes a kubeconfig to `path` (mode 0600: it holds a token). */
export async function writeKubeConfigFile(kubeConfig: KubeConfig, path: string): Promise<void> {
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
}
