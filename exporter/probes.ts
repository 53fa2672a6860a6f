import { VersionApi, type KubeConfig } from '@kubernetes/client-node';

import type { NamedCheck, ProbeResult } from './metrics-server.js';

/** Ready once `isLoaded()` says the config was loaded (a later invalid reload keeps the last good one). */
export function configLoadedCheck(isLoaded: () => boolean): NamedCheck {
  return {
    name: 'config',
    check: () =>
      isLoaded()
        ? { ok: true }
        : { ok: false, reason: 'configNotLoaded', message: 'no valid config loaded yet' },
  };
}

/** Ready while the API server answers `GET /version` within `timeoutMs`. */
export function apiServerCheck(kubeConfig: KubeConfig, timeoutMs = 2_000): NamedCheck {
  const versionApi = kubeConfig.makeApiClient(VersionApi);
  return {
    name: 'apiserver',
    check: async (): Promise<ProbeResult> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ProbeResult>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({ ok: false, reason: 'apiServerTimeout', message: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      const answer = versionApi.getCode().then(
        (): ProbeResult => ({ ok: true }),
        (error: unknown): ProbeResult => ({
          ok: false,
          reason: 'apiServerUnreachable',
          message: error instanceof Error ? error.message : String(error),
        }),
      );
      try {
        return await Promise.race([answer, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Live while the control loop finished a tick within `maxAgeMs` (pure: takes the last tick time and `now`).
 * Before the first tick the process counts as live, so a slow start is not killed.
 */
export function loopProgressCheck(
  lastTickAtMs: () => number | undefined,
  nowMs: () => number,
  maxAgeMs: number,
): NamedCheck {
  return {
    name: 'loop',
    check: () => {
      const last = lastTickAtMs();
      if (last === undefined) return { ok: true };
      const ageMs = nowMs() - last;
      return ageMs <= maxAgeMs
        ? { ok: true }
        : { ok: false, reason: 'loopStuck', message: `last tick finished ${Math.round(ageMs / 1000)} s ago` };
    },
  };
}
