import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';

import { clusterState, kubeConfig } from './cluster-state.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 180_000;

/**
 * `make deploy` as an operator runs it (kubectl from the local cluster's cache, server-side apply), against
 * the real API server; run twice, it changes nothing the second time.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = 'registry.example.com/k-siss-autoscaler:make-deploy-test';

function make(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync('make', ['--no-print-directory', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: clusterState().kubeconfig },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('make deploy', () => {
  it(
    'applies the CRD and configuration.yaml and sets the image; a second run changes nothing',
    async () => {
      const first = make(['deploy', `IMAGE=${IMAGE}`]);
      expect({ status: first.status, output: first.status === 0 ? '' : first.output }).toEqual({
        status: 0,
        output: '',
      });
      expect(first.output).toContain('serverside-applied');

      const admin = kubeConfig();
      const deployment = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ namespace: 'k-siss-system', name: 'k-siss-autoscaler' });
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
      const configMap = await admin
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ namespace: 'k-siss-system', name: 'autoscaler-config' });
      expect(configMap.metadata?.managedFields?.map((f) => f.manager)).toContain('k-siss-deploy');

      const second = make(['deploy', `IMAGE=${IMAGE}`]);
      expect(second.status).toBe(0);
      const deploymentAgain = await admin
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ namespace: 'k-siss-system', name: 'k-siss-autoscaler' });
      const configMapAgain = await admin
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ namespace: 'k-siss-system', name: 'autoscaler-config' });
      expect(deploymentAgain.metadata?.generation).toBe(deployment.metadata?.generation);
      expect(configMapAgain.metadata?.resourceVersion).toBe(configMap.metadata?.resourceVersion);
    },
    TEST_TIMEOUT_MS,
  );
});
