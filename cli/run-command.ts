import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import type {
  ActDecision,
  ObservedService,
  PersistedServiceState,
  ServiceActuator,
  ServiceConfig,
} from '../autoscaler/index.js';
import {
  createConfigWatch,
  createController,
  createLogger,
  createSecretRedactor,
  formatIssue,
  logLevelFromEnv,
  MAX_DURATION_SECONDS,
  parseConfig,
  prometheusSettingsKey,
  redactUrl,
  secretValuesOf,
  systemClock,
} from '../autoscaler/index.js';
import type { AutoscalerConfig, GlobalSettings, LogLevel } from '../autoscaler/index.js';
import {
  apiServerCheck,
  configLoadedCheck,
  createControllerMetrics,
  createPolicyMetrics,
  loopProgressCheck,
  Registry,
  startMetricsServer,
} from '../exporter/index.js';
import type { MetricsServer } from '../exporter/index.js';
import type { TierCatalog } from '../gpu-registry/index.js';
import { createCapacityCache, DEFAULT_CATALOG } from '../gpu-registry/index.js';
import { createKnativeActuator } from '../knative/index.js';
import type { DefaultRequests, SloCheck } from '../knative/index.js';
import type { MetricsSource, QueryObserver, SecretReader } from '../prometheus/index.js';
import { createCredentialReader } from '../prometheus/index.js';
import { createSecretReader } from './secret-reader.js';
import { decimalFlag, isBindHost } from './flags.js';
import { createSloCheck } from './slo-check.js';
import { createLeaderElector } from '../leader/index.js';
import type { PolicyReconcileRecord } from '../policy/index.js';
import { runPolicyController } from '../policy/index.js';
import type { PolicyMetrics } from '../exporter/index.js';
import { createPrometheusMetricsSource } from '../prometheus/index.js';

/** Flags of `k-siss run`. */
export interface RunOptions {
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly once: boolean;
  readonly intervalSeconds?: number;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly logLevel?: LogLevel;
  /** Also run the AIInferenceAutoscalerPolicy controller (Deployments/StatefulSets). */
  readonly policies: boolean;
  /** Run a policy's own `prometheusQuery` (false with `--no-custom-queries`). */
  readonly customQueries: boolean;
}

/** Feeds one policy reconcile into the exporter's policy series. */
function recordPolicyReconcile(metrics: PolicyMetrics, record: PolicyReconcileRecord): void {
  // A policy that no longer acts (target gone, spec invalid, conflicting autoscaler) has no replica
  // series rather than its last values.
  if (record.outcome.kind !== 'evaluated') {
    metrics.removePolicy(record.namespace, record.name);
    return;
  }
  const { evaluation, currentReplicas } = record.outcome;
  metrics.setPolicyReplicas(record.namespace, record.name, evaluation.desiredReplicas, currentReplicas);
  const decision = evaluation.decision;
  const action = decision.action === 'scale' ? decision.direction : 'hold';
  metrics.recordPolicyDecision(record.namespace, record.name, action, decision.reason);
}

function parsePort(value: string): number {
  const port = decimalFlag(value, { integer: true, min: 0, max: 65535 });
  if (!port.ok) throw new InvalidArgumentError(`--metrics-port = ${JSON.stringify(value)}: ${port.message}`);
  return port.value;
}

function parseInterval(value: string): number {
  const seconds = decimalFlag(value, {
    integer: false,
    min: 0,
    minExclusive: true,
    max: MAX_DURATION_SECONDS,
  });
  if (!seconds.ok) {
    throw new InvalidArgumentError(`--interval-seconds = ${JSON.stringify(value)}: ${seconds.message}`);
  }
  return seconds.value;
}

function parseNamespace(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new InvalidArgumentError(
      `--namespace = ${JSON.stringify(value)}: must be a DNS label (lower-case letters, digits and dashes, at most 63)`,
    );
  }
  return value;
}

function parseHost(value: string): string {
  if (!isBindHost(value)) {
    throw new InvalidArgumentError(
      `--metrics-host = ${JSON.stringify(value)}: must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name`,
    );
  }
  return value;
}

function parseLevel(value: string): LogLevel {
  try {
    return logLevelFromEnv(value);
  } catch {
    throw new InvalidArgumentError(
      `--log-level = ${JSON.stringify(value)}: must be one of error, warn, info, debug`,
    );
  }
}

/** Secret values the process has seen: scrubbed from every log line and Event message. */
interface SecretRegistry {
  add(value: string): void;
  redact(text: string): string;
}

function createSecretRegistry(current: () => GlobalSettings | undefined): SecretRegistry {
  const seen = new Set<string>();
  const redactor = createSecretRedactor(() => [...secretValuesOf(current()), ...seen]);
  return { add: (value) => seen.add(value), redact: (text) => redactor.redact(text) };
}

/** The Prometheus metrics source of a global config, with its credentials (files, Secrets) read per query. */
function prometheusSource(
  global: GlobalSettings,
  maxConcurrentQueries: number,
  readSecret: SecretReader,
  secrets: SecretRegistry,
  onQuery: QueryObserver,
): MetricsSource {
  const credentials =
    global.prometheusAuth === undefined && global.prometheusTls === undefined
      ? undefined
      : createCredentialReader({
          ...(global.prometheusAuth === undefined ? {} : { auth: global.prometheusAuth }),
          ...(global.prometheusTls === undefined ? {} : { tls: global.prometheusTls }),
          readSecret,
          onSecret: (value) => secrets.add(value),
        });
  return createPrometheusMetricsSource({
    url: global.prometheusUrl,
    timeoutMs: global.prometheusTimeoutMs,
    headers: global.prometheusHeaders,
    ...(credentials === undefined ? {} : { credentials }),
    maxConcurrentQueries,
    onQuery,
  });
}

/** Loads `--kubeconfig`, else `$KUBECONFIG`, else the in-cluster service account. */
export function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file !== undefined) kubeConfig.loadFromFile(file);
  else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') kubeConfig.loadFromDefault();
  else if (env.KUBERNETES_SERVICE_HOST === undefined || env.KUBERNETES_SERVICE_HOST === '') {
    throw new Error(
      'not running in a pod (KUBERNETES_SERVICE_HOST is not set) and no --kubeconfig or KUBECONFIG given',
    );
  } else kubeConfig.loadFromCluster();
  return kubeConfig;
}

/** A ServiceActuator that follows the catalog in force (the `_tiers` key can change it live). */
function liveActuator(
  kubeConfig: KubeConfig,
  catalogNow: () => TierCatalog,
  sloCheck: SloCheck,
  defaultRequests: () => DefaultRequests | undefined,
  redact: (text: string) => string,
): ServiceActuator {
  let built: { catalog: TierCatalog; actuator: ServiceActuator } | undefined;
  const current = (): ServiceActuator => {
    const catalog = catalogNow();
    if (built?.catalog !== catalog) {
      built = {
        catalog,
        actuator: createKnativeActuator(kubeConfig, {
          catalog,
          clock: systemClock,
          component: 'k-siss-autoscaler',
          sloCheck,
          defaultRequests,
        }),
      };
    }
    return built.actuator;
  };
  return {
    list: (namespace: string) => current().list(namespace),
    act: (service: ObservedService, decision: ActDecision, config: ServiceConfig) =>
      current().act(service, decision, config),
    resume: (service: ObservedService, config: ServiceConfig) => current().resume(service, config),
    saveState: (service: ObservedService, state: PersistedServiceState) =>
      current().saveState(service, state),
    event: (service: ObservedService, type: 'Normal' | 'Warning', reason: string, message: string) =>
      current().event(service, type, reason, redact(message)),
  };
}

/**
 * Runs the controller until SIGTERM/SIGINT (or one tick with `once`); returns the process exit code.
 * Exit codes: 0 clean shutdown (or a complete `--once` tick), 1 a failure (or an incomplete `--once` tick:
 * no config, a namespace that could not be listed, a service that failed), 2 bad environment.
 */
export async function runController(
  options: RunOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let level: LogLevel;
  try {
    level = options.logLevel ?? logLevelFromEnv(env.LOG_LEVEL);
  } catch (error) {
    process.stderr.write(`k-siss run: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  // Set once the config watch exists; the redactor reads it at every line.
  let globalInForce: () => GlobalSettings | undefined = () => undefined;
  const secrets = createSecretRegistry(() => globalInForce());
  const logger = createLogger({
    level,
    defaultMeta: { component: 'k-siss' },
    redact: (line) => secrets.redact(line),
  });
  const parseEnv = { ...env, ...(options.namespace !== undefined ? { NAMESPACE: options.namespace } : {}) };
  const initial = parseConfig({}, parseEnv);
  if (initial.config === undefined) {
    for (const issue of initial.issues) logger.error('invalid environment', { issue: formatIssue(issue) });
    return 2;
  }
  const { configMapName, configMapNamespace } = initial.config.global;
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = loadKubeConfig(options.kubeconfig, env);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error('cannot load a kubeconfig (use --kubeconfig FILE, KUBECONFIG, or run in a pod)', {
      kubeconfig: options.kubeconfig ?? env.KUBECONFIG ?? '(in-cluster)',
      error: message,
    });
    return 2;
  }
  const clock = systemClock;
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info('shutting down', { signal });
    stopping.abort();
  };

  const registry = new Registry();
  const metrics = createControllerMetrics(registry);
  const policyMetrics = createPolicyMetrics(registry);
  // Set once the policy controller's start/stop are defined below; the watch may report earlier.
  let onConfigApplied: (config: AutoscalerConfig) => void = () => undefined;
  const configWatch = createConfigWatch({
    onChange: (config) => onConfigApplied(config),
    kubeConfig,
    name: configMapName,
    namespace: configMapNamespace,
    env: parseEnv,
    logger,
    metrics,
    sleep: clock.sleep,
    redact: (text) => secrets.redact(text),
  });
  // Before a ConfigMap is loaded, the environment's settings (PROMETHEUS_URL's password) are in force.
  const environmentGlobal = initial.config.global;
  globalInForce = () => configWatch.current()?.global ?? environmentGlobal;
  const readSecret = createSecretReader(kubeConfig, configMapNamespace);
  const capacity = createCapacityCache(kubeConfig, { sleep: clock.sleep, log: logger });
  // The SLO check between traffic steps reads metrics through the loop's own Prometheus source.
  let stepMetricsSource: MetricsSource | undefined;
  const sloCheck = createSloCheck(
    kubeConfig,
    () => configWatch.current(),
    () => stepMetricsSource,
    logger,
  );
  const actuator = liveActuator(
    kubeConfig,
    () => configWatch.current()?.catalog ?? DEFAULT_CATALOG,
    sloCheck,
    () => {
      const global = configWatch.current()?.global;
      return global === undefined ? undefined : { cpu: global.defaultCpu, memory: global.defaultMemory };
    },
    (text) => secrets.redact(text),
  );

  const intervalMs = (): number =>
    options.intervalSeconds !== undefined
      ? options.intervalSeconds * 1000
      : (configWatch.current()?.global.intervalSeconds ?? 10) * 1000;
  let lastTickAtMs = (): number | undefined => undefined;
  let server: MetricsServer;
  const lastCheckFailure = new Map<string, string>();
  try {
    server = await startMetricsServer({
      registry,
      host: options.metricsHost,
      port: options.metricsPort,
      livenessChecks: [
        {
          name: 'loop',
          // A tick may legitimately take a while; stuck means three intervals (at least a minute) without one.
          check: () =>
            loopProgressCheck(() => lastTickAtMs(), clock.now, Math.max(60_000, 3 * intervalMs())).check(),
        },
      ],
      // The probes answer names and reasons only; the detail is logged once per change of it.
      onCheckFailed: (name, result) => {
        const detail = `${result.reason}: ${result.message}`;
        if (lastCheckFailure.get(name) === detail) return;
        lastCheckFailure.set(name, detail);
        logger.warn('probe check failed', { check: name, reason: result.reason, error: result.message });
      },
      readinessChecks: [
        configLoadedCheck(() => configWatch.current() !== undefined),
        apiServerCheck(kubeConfig),
        {
          name: 'capacity',
          check: () =>
            capacity.isSynced()
              ? { ok: true }
              : { ok: false, reason: 'capacityNotSynced', message: 'node/pod watches not listed yet' },
        },
      ],
    });
  } catch (error) {
    logger.error('cannot start the metrics server', {
      address: `${options.metricsHost}:${options.metricsPort}`,
      error: error instanceof Error ? error.message : String(error),
    });
    // An address this machine does not have (or cannot resolve) is a bad flag or environment: 2.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 2 : 1;
  }

  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  // The policy controller acts only while this replica leads (always, without leader election).
  let policyStop: AbortController | undefined;
  const policyRuns: Promise<void>[] = [];
  // The Prometheus settings the running policy controller was started with: a change restarts it.
  let policyPrometheus: string | undefined;
  // The policy controller watches the configured namespaces only: its write verbs are bound there.
  const prometheusSettings = (global: AutoscalerConfig['global']): string =>
    JSON.stringify([prometheusSettingsKey(global), global.namespaces]);
  const startPolicies = (): void => {
    if (!options.policies || options.once || policyStop !== undefined || stopping.signal.aborted) return;
    const global = configWatch.current()?.global;
    // No usable config yet (ConfigMap missing or invalid at start-up): started by onConfigApplied later.
    if (global === undefined) return;
    const stop = new AbortController();
    policyStop = stop;
    policyPrometheus = prometheusSettings(global);
    logger.info('policy controller started', {
      prometheusUrl: redactUrl(global.prometheusUrl),
      namespaces: global.namespaces,
    });
    stopping.signal.addEventListener('abort', () => stop.abort(), { once: true });
    const run = runPolicyController({
      kubeConfig,
      signal: stop.signal,
      clock,
      logger,
      namespaces: global.namespaces,
      allowCustomQueries: options.customQueries,
      metricsSource: prometheusSource(global, 4, readSecret, secrets, (seconds, errorClass) =>
        metrics.observePrometheusQuery(seconds, errorClass),
      ),
      onReconciled: (record) => recordPolicyReconcile(policyMetrics, record),
      onDeleted: (namespace, name) => policyMetrics.removePolicy(namespace, name),
    }).catch((error: unknown) => {
      logger.error('policy controller failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
    policyRuns.push(run);
  };
  const stopPolicies = (): void => {
    policyStop?.abort();
    policyStop = undefined;
  };
  let leading = !options.leaderElect;
  let configReady = false;
  onConfigApplied = (config) => {
    if (!configReady || !leading) return;
    if (policyStop !== undefined && policyPrometheus === prometheusSettings(config.global)) return;
    // First usable config after a bad start, or new Prometheus settings: (re)start once the old run is gone.
    const previous = policyRuns[policyRuns.length - 1];
    if (policyStop !== undefined) {
      logger.info('Prometheus settings or namespaces changed: restarting the policy controller', {});
      stopPolicies();
    }
    void (previous ?? Promise.resolve()).then(() => {
      if (leading) startPolicies();
    });
  };

  let isLeader: (() => boolean) | undefined;
  let elector: Promise<void> | undefined;
  if (options.leaderElect) {
    const identity = `${env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
    const leader = createLeaderElector({
      kubeConfig,
      namespace: configMapNamespace,
      leaseName: options.leaseName,
      identity,
      clock,
      onStartedLeading: () => {
        logger.info('started leading', { lease: `${configMapNamespace}/${options.leaseName}`, identity });
        metrics.setLeader(true);
        leading = true;
        startPolicies();
      },
      onStoppedLeading: () => {
        leading = false;
        stopPolicies();
        logger.warn('stopped leading', { lease: `${configMapNamespace}/${options.leaseName}`, identity });
        metrics.setLeader(false);
      },
      onNewLeader: (holder) => logger.info('another replica leads', { holder }),
      onError: (error) => logger.warn('leader election error', { error: String(error) }),
    });
    isLeader = () => leader.isLeader();
    metrics.setLeader(false);
    elector = leader.run(stopping.signal);
  } else {
    metrics.setLeader(true);
  }

  const controller = createController({
    clock,
    logger,
    config: configWatch,
    capacity,
    actuator,
    metrics,
    metricsSource: (global) => {
      stepMetricsSource = prometheusSource(
        global,
        Math.max(1, global.maxConcurrentServices) * 2,
        readSecret,
        secrets,
        (seconds, errorClass) => metrics.observePrometheusQuery(seconds, errorClass),
      );
      return stepMetricsSource;
    },
    ...(isLeader !== undefined ? { isLeader } : {}),
    ...(options.intervalSeconds !== undefined ? { intervalMs: options.intervalSeconds * 1000 } : {}),
  });
  lastTickAtMs = () => controller.lastTickAtMs();

  logger.info('k-siss controller starting', {
    configMap: `${configMapNamespace}/${configMapName}`,
    metricsUrl: server.url,
    leaderElect: options.leaderElect,
    once: options.once,
    intervalMs: intervalMs(),
  });

  let code = 0;
  try {
    await Promise.all([configWatch.start(), capacity.start()]);
    configReady = true;
    if (leading) startPolicies();
    if (options.once) {
      const report = await controller.tick(stopping.signal);
      logger.info('tick report', { report });
      // A single tick that could not see or handle everything is a failure for scripts.
      const incomplete =
        report.kind === 'skipped'
          ? report.reason !== 'notLeader'
          : report.listFailures.length > 0 || report.services.some((service) => service.kind === 'failed');
      if (incomplete) code = 1;
    } else if (!stopping.signal.aborted) {
      await controller.run(stopping.signal);
    }
  } catch (error) {
    logger.error('controller failed', { error: error instanceof Error ? error.message : String(error) });
    code = 1;
  } finally {
    stopping.abort();
    await elector;
    await Promise.allSettled(policyRuns);
    await Promise.allSettled([configWatch.stop(), capacity.stop(), server.close()]);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    logger.info('k-siss controller stopped', { exitCode: code });
  }
  return code;
}

/** Adds `k-siss run` to the command line program. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the autoscaler controller against a cluster (in-cluster config unless --kubeconfig or KUBECONFIG)',
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig file (default: $KUBECONFIG, else the in-cluster service account)',
    )
    .option(
      '--namespace <ns>',
      'namespace of the ConfigMap and of the services (default: $NAMESPACE or "default")',
      parseNamespace,
    )
    .option('--metrics-port <n>', 'port of /metrics, /healthz and /readyz', parsePort, 8080)
    .option(
      '--metrics-host <host>',
      'bind address of the metrics server (0.0.0.0 in a pod)',
      parseHost,
      '127.0.0.1',
    )
    .option('--once', 'run a single tick and exit', false)
    .option(
      '--interval-seconds <s>',
      'tick interval, overriding the config (e.g. 1 for tests)',
      parseInterval,
    )
    .option('--leader-elect', 'take part in leader election through a Lease; only the leader acts', false)
    .option('--lease-name <name>', 'name of the leader election Lease', 'k-siss-autoscaler')
    .option('--no-policies', 'do not run the AIInferenceAutoscalerPolicy controller')
    .option(
      '--no-custom-queries',
      "refuse policies with their own prometheusQuery (it runs with the controller's Prometheus identity)",
    )
    .option('--log-level <level>', 'error, warn, info or debug (default: $LOG_LEVEL or info)', parseLevel)
    .action(async (options: RunOptions) => {
      const code = await runController(options);
      process.exitCode = code;
      // Lingering sockets (watches being torn down) must not keep a stopped controller alive.
      setTimeout(() => process.exit(code), 5000).unref();
    });
}
