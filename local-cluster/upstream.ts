import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_CLOCK, type Clock } from './clock.js';
import {
  cacheDir,
  LOCAL_CLUSTER_DIR,
  readVersions,
  REPO_DIR,
  upstreamBinaries,
  type UpstreamBinaries,
} from './paths.js';

function missingBinaries(bins: UpstreamBinaries): string[] {
  return Object.entries(bins)
    .filter(([, path]) => !existsSync(path))
    .map(([name]) => name);
}

/** Knative Serving's build leaves this marker once its binaries and config are complete. */
function knativeMarker(): string {
  const versions = readVersions();
  return join(cacheDir(), `knative-serving-${versions.knativeServing}`, '.complete');
}

/**
 * Makes sure the pinned etcd, kwok, Kubernetes and Knative Serving binaries exist: runs build-upstream.sh,
 * which reuses the cache, builds what is missing or broken (printing progress), and waits for another build
 * that holds the cache's lock instead of racing it. Returns the seconds spent building or waiting.
 */
export async function ensureUpstreamBinaries(
  log: (line: string) => void,
  clock: Clock = SYSTEM_CLOCK,
): Promise<{ binaries: UpstreamBinaries; buildSeconds: number }> {
  const binaries = upstreamBinaries();
  const start = clock.now();
  if (missingBinaries(binaries).length === 0 && existsSync(knativeMarker()))
    return { binaries, buildSeconds: 0 };
  await new Promise<void>((resolveBuild, reject) => {
    const child = spawn('bash', [join(LOCAL_CLUSTER_DIR, 'build-upstream.sh')], {
      cwd: REPO_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolveBuild() : reject(new Error(`build-upstream.sh exited with ${code ?? 'a signal'}`)),
    );
  });
  const missing = missingBinaries(binaries);
  if (missing.length > 0)
    throw new Error(`after build-upstream.sh these are still missing: ${missing.join(', ')}`);
  return { binaries, buildSeconds: Math.round((clock.now() - start) / 1000) };
}
