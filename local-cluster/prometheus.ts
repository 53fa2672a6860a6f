import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_CLOCK, waitFor, type Clock } from './clock.js';
import { probe } from './http-probe.js';
import { isRunning, logTail, readComponent, startComponent, stopComponent } from './processes.js';
import { renderPrometheusConfig, type StaticScrapeTarget } from './prometheus-config.js';
import { readState, type ClusterState } from './state.js';

/** Component name of our Prometheus process (pid file, log). */
export const PROMETHEUS_COMPONENT = 'prometheus';

/** Where our Prometheus keeps its config, TSDB and file_sd target files. */
export function prometheusPaths(stateDir: string): {
  dir: string;
  config: string;
  data: string;
  fileSdDir: string;
} {
  const dir = join(stateDir, 'prometheus');
  return {
    dir,
    config: join(dir, 'prometheus.yml'),
    data: join(dir, 'data'),
    fileSdDir: join(dir, 'targets'),
  };
}

/** The `prometheus` binary: Debian's package (install-deps.sh), or PROMETHEUS_BIN. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROMETHEUS_BIN !== undefined) return env.PROMETHEUS_BIN;
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
  } catch (error) {
    throw new Error('prometheus is not installed: run local-cluster/install-deps.sh', { cause: error });
  }
}

/** Inputs to (re)write prometheus.yml. */
export interface PrometheusSetup {
  readonly stateDir: string;
  readonly port: number;
  readonly scrapeIntervalSeconds: number;
  readonly emulatorPort?: number;
  readonly staticTargets: readonly StaticScrapeTarget[];
  readonly httpSdUrls: readonly string[];
}

/** Writes prometheus.yml for a setup. */
export function writePrometheusConfig(setup: PrometheusSetup): string {
  const paths = prometheusPaths(setup.stateDir);
  mkdirSync(paths.fileSdDir, { recursive: true });
  mkdirSync(paths.data, { recursive: true });
  const text = renderPrometheusConfig({
    scrapeIntervalSeconds: setup.scrapeIntervalSeconds,
    ...(setup.emulatorPort === undefined
      ? {}
      : { emulatorSdUrl: `http://127.0.0.1:${setup.emulatorPort}/sd` }),
    staticTargets: setup.staticTargets,
    httpSdUrls: setup.httpSdUrls,
    fileSdGlob: join(paths.fileSdDir, '*.json'),
  });
  writeFileSync(paths.config, text);
  return paths.config;
}

/** Starts our Prometheus (never the system service) on 127.0.0.1:port with the config already written. */
export async function launchPrometheus(
  stateDir: string,
  port: number,
  clock: Clock = SYSTEM_CLOCK,
  timeoutMs = 60_000,
): Promise<string> {
  const paths = prometheusPaths(stateDir);
  startComponent(stateDir, PROMETHEUS_COMPONENT, prometheusBinary(), [
    `--config.file=${paths.config}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${paths.data}`,
    '--storage.tsdb.retention.time=1d',
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'prometheus /-/ready',
      async () => ((await probe(`${url}/-/ready`, { timeoutMs: 1000 })).status === 200 ? true : undefined),
      timeoutMs,
      clock,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- prometheus log ---\n${logTail(stateDir, PROMETHEUS_COMPONENT)}`,
      {
        cause: error,
      },
    );
  }
  return url;
}

function requireState(stateDir: string): ClusterState {
  const state = readState(stateDir);
  if (state === undefined) throw new Error(`no local cluster in ${stateDir} (run \`make cluster-up\`)`);
  return state;
}

/** Stops Prometheus alone (a test can then check how the controller behaves without metrics). */
export async function stopPrometheus(stateDir: string, clock: Clock = SYSTEM_CLOCK): Promise<void> {
  await stopComponent(stateDir, PROMETHEUS_COMPONENT, 10_000, clock);
}

/** Starts Prometheus again on the same port, config and TSDB as before. */
export async function startPrometheus(stateDir: string, clock: Clock = SYSTEM_CLOCK): Promise<string> {
  const state = requireState(stateDir);
  const running = readComponent(stateDir, PROMETHEUS_COMPONENT);
  if (running !== undefined && isRunning(running)) return state.prometheusUrl;
  return launchPrometheus(stateDir, state.ports.prometheus, clock);
}

/** True when our Prometheus answers /-/ready. */
export async function prometheusReady(url: string): Promise<boolean> {
  try {
    return (await probe(`${url}/-/ready`, { timeoutMs: 1000 })).status === 200;
  } catch {
    return false;
  }
}

/**
 * Adds (or replaces) a set of scrape targets at run time, without restarting Prometheus: writes a file_sd
 * JSON file `<name>.json` that Prometheus picks up within a refresh interval. `targets` are `127.0.0.1:port`.
 */
export function addScrapeTargets(
  stateDir: string,
  name: string,
  targets: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new Error(`addScrapeTargets: name = ${JSON.stringify(name)}: use a-z0-9-`);
  for (const t of targets) {
    if (!/^127\.\d+\.\d+\.\d+:\d+$/.test(t))
      throw new Error(`addScrapeTargets: target = ${JSON.stringify(t)}: must be 127.x.x.x:port`);
  }
  const dir = prometheusPaths(stateDir).fileSdDir;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify([{ targets: [...targets], labels: { job: name, ...labels } }], null, 2),
  );
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Removes targets added with addScrapeTargets. */
export function removeScrapeTargets(stateDir: string, name: string): void {
  rmSync(join(prometheusPaths(stateDir).fileSdDir, `${name}.json`), { force: true });
}
