import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder this file lives in (the `local-cluster/` folder of the repository). */
export const LOCAL_CLUSTER_DIR = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO_DIR = resolve(LOCAL_CLUSTER_DIR, '..');

/** The pinned upstream versions, read from versions.env (the one place they are written). */
export interface UpstreamVersions {
  readonly kubernetes: string;
  readonly etcd: string;
  readonly kwok: string;
  readonly knativeServing: string;
}

/** Parses `KEY=value` lines (comments and blanks ignored) of versions.env. */
export function parseVersionsEnv(text: string): UpstreamVersions {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_]+)=(\S+)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`versions.env: ${key} is missing`);
    return value;
  };
  return {
    kubernetes: get('KUBERNETES_VERSION'),
    etcd: get('ETCD_VERSION'),
    kwok: get('KWOK_VERSION'),
    knativeServing: get('KNATIVE_SERVING_VERSION'),
  };
}

/** Reads local-cluster/versions.env. */
export function readVersions(): UpstreamVersions {
  return parseVersionsEnv(readFileSync(join(LOCAL_CLUSTER_DIR, 'versions.env'), 'utf8'));
}

/** `${KSISS_CACHE:-$HOME/.cache/k-siss}`: where build-upstream.sh puts the binaries. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KSISS_CACHE ?? join(homedir(), '.cache', 'k-siss');
}

/** Absolute paths of the upstream binaries and kwok's stage files. */
export interface UpstreamBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly kwok: string;
  readonly kwokStagesDir: string;
}

/** Where build-upstream.sh leaves each binary for the pinned versions. */
export function upstreamBinaries(
  versions: UpstreamVersions = readVersions(),
  cache = cacheDir(),
): UpstreamBinaries {
  const k8s = join(cache, `kubernetes-${versions.kubernetes}`, 'bin');
  return {
    etcd: join(cache, `etcd-${versions.etcd}`, 'bin', 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    kwok: join(cache, `kwok-${versions.kwok}`, 'bin', 'kwok'),
    kwokStagesDir: join(cache, `kwok-${versions.kwok}`, 'stages'),
  };
}

/** `KSISS_CLUSTER_DIR`, or `.cluster/` in the repository (gitignored). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.KSISS_CLUSTER_DIR ?? join(REPO_DIR, '.cluster'));
}
