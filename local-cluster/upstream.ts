import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_CLOCK, type Clock } from './clock.js';
import { LOCAL_CLUSTER_DIR, REPO_DIR, upstreamBinaries, type UpstreamBinaries } from './paths.js';

/** The team's background build of the upstream binaries (see the team brief). */
const BACKGROUND_BUILD_DIR = '/tmp/ksiss-build';

function backgroundBuildRunning(): boolean {
  if (!existsSync(BACKGROUND_BUILD_DIR) || existsSync(join(BACKGROUND_BUILD_DIR, 'DONE'))) return false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('build-upstream.sh') || cmdline.includes('ksiss-build/all.sh')) return true;
    } catch {
      // the process ended meanwhile
    }
  }
  return false;
}

function missingBinaries(bins: UpstreamBinaries): string[] {
  return Object.entries(bins)
    .filter(([, path]) => !existsSync(path))
    .map(([name]) => name);
}

/**
 * Makes sure the pinned etcd, kwok and Kubernetes binaries exist: waits for a background build that is
 * already running (never starts a second one), then runs build-upstream.sh, which is a no-op when cached
 * and otherwise builds (prints progress). Returns the seconds spent building or waiting.
 */
export async function ensureUpstreamBinaries(
  log: (line: string) => void,
  clock: Clock = SYSTEM_CLOCK,
): Promise<{ binaries: UpstreamBinaries; buildSeconds: number }> {
  const binaries = upstreamBinaries();
  const start = clock.now();
  if (missingBinaries(binaries).length === 0) return { binaries, buildSeconds: 0 };
  let lastReport = 0;
  while (backgroundBuildRunning()) {
    if (clock.now() - lastReport > 30_000) {
      lastReport = clock.now();
      const tail = readTail(join(BACKGROUND_BUILD_DIR, 'upstream.log'));
      log(
        `waiting for the background upstream build (missing: ${missingBinaries(binaries).join(', ')}): ${tail}`,
      );
    }
    await clock.sleep(2000);
  }
  await new Promise<void>((resolveBuild, reject) => {
    const child = spawn(
      'bash',
      [join(LOCAL_CLUSTER_DIR, 'build-upstream.sh'), 'etcd', 'kwok', 'kubernetes'],
      {
        cwd: REPO_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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

function readTail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '(no log yet)';
  }
}
