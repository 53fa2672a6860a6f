import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Stops everything the global setup started, whether the tests passed or not. With KSISS_CLUSTER_REUSE=1 the
// cluster is left running for the next run (stop it with `make cluster-down`).

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// eslint-disable-next-line no-restricted-syntax -- jest loads the default export of a globalTeardown module
export default async function globalTeardown(): Promise<void> {
  if (process.env.KSISS_CLUSTER_REUSE === '1') {
    process.stderr.write('[global-teardown] KSISS_CLUSTER_REUSE=1: leaving the local cluster running\n');
    return;
  }
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoDir, 'local-cluster', 'main.ts'), 'down'],
    {
      cwd: repoDir,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    },
  );
  if (result.status !== 0)
    process.stderr.write(`[global-teardown] local-cluster down exited with ${result.status}\n`);
}
