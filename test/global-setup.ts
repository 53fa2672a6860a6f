import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Starts the local cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok, Prometheus, the
// emulated workload and Knative) once for all integration suites, through the harness CLI: jest loads this
// file without a TypeScript resolver for the rest of the repository, so it only uses Node built-ins.
// KSISS_CLUSTER_REUSE=1 keeps (and reuses) a healthy cluster already running in the state dir.

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `local-cluster/main.ts <args>` with tsx; throws with its output when it fails. */
function runHarness(args: readonly string[]): void {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoDir, 'local-cluster', 'main.ts'), ...args],
    {
      cwd: repoDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `local-cluster/main.ts ${args.join(' ')} exited with ${result.status ?? result.signal ?? 'unknown'}`,
    );
  }
}

// eslint-disable-next-line no-restricted-syntax -- jest loads the default export of a globalSetup module
export default async function globalSetup(): Promise<void> {
  const reuse = process.env.KSISS_CLUSTER_REUSE === '1';
  process.stderr.write(
    `\n[global-setup] starting the local cluster${reuse ? ' (reusing a running one if healthy)' : ''}\n`,
  );
  runHarness(['up', ...(reuse ? ['--reuse'] : [])]);
}
