import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { CoreV1Api, ListWatch, Watch } from '@kubernetes/client-node';
import type { Environment } from './config.js';
import { formatIssue, globalFromEnvironment, parseConfig } from './config.js';
import { credentialsInConfigMap } from './redact.js';
import type { Logger } from './logger.js';
import type { AutoscalerConfig, ConfigIssue } from './types.js';

/**
 * Watches the `autoscaler-config` ConfigMap and keeps the config in force: every change is parsed as a
 * whole document before it is swapped in; invalid service blocks are skipped (log line, Warning Event on
 * the ConfigMap, exported counter); an unusable document keeps the last good config.
 */

/** The outcome of applying one version of the ConfigMap's data (pure). */
export type ConfigApplied =
  | {
      readonly kind: 'loaded';
      readonly config: AutoscalerConfig;
      /** Service blocks skipped; the other services go on. */
      readonly issues: readonly ConfigIssue[];
    }
  | {
      readonly kind: 'keptLastGood' | 'noConfig';
      readonly config: AutoscalerConfig | undefined;
      /** Why the document is unusable. */
      readonly issues: readonly ConfigIssue[];
    };

/**
 * Parses a ConfigMap's data; an unusable document keeps `previous` in force (`noConfig` when there is none).
 * Never throws: a failure of the parser itself (a bug) is an issue of the document like any other.
 */
export function applyConfigData(
  previous: AutoscalerConfig | undefined,
  data: Readonly<Record<string, string>>,
  env: Environment,
): ConfigApplied {
  let parsed: ReturnType<typeof parseConfig>;
  try {
    parsed = parseConfig(data, env);
  } catch (error) {
    parsed = {
      config: undefined,
      issues: [
        {
          key: 'data',
          path: '',
          value: undefined,
          message: `could not be parsed (bug: ${errorText(error)})`,
        },
      ],
    };
  }
  if (parsed.config !== undefined) {
    return { kind: 'loaded', config: parsed.config, issues: parsed.issues };
  }
  return {
    kind: previous === undefined ? 'noConfig' : 'keptLastGood',
    config: previous,
    issues: parsed.issues,
  };
}

/** One line of an error, whatever was thrown (a thrown value may not even convert to a string). */
function errorText(error: unknown): string {
  try {
    const text = error instanceof Error ? error.message : String(error);
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  } catch {
    return 'unprintable error';
  }
}

/** A stable fingerprint of a ConfigMap's data, so a re-delivered unchanged object is not re-reported. */
export function dataFingerprint(data: Readonly<Record<string, string>> | undefined): string {
  return JSON.stringify(Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

/** The exporter's counters for config loads (the exporter's `ControllerMetrics` fits). */
export interface ConfigReloadRecorder {
  recordConfigReload(result: 'success' | 'failure', issues: readonly ConfigIssue[]): void;
}

/** The config in force and the watch that keeps it current. */
export interface ConfigWatch {
  /** Lists the ConfigMap and starts watching it; resolves once the first version (or its absence) is known. */
  start(): Promise<void>;
  /** The config in force; undefined only before any usable document was seen. */
  current(): AutoscalerConfig | undefined;
  stop(): Promise<void>;
}

export interface ConfigWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly name: string;
  readonly namespace: string;
  /** Environment the document is parsed with (global settings not in `_global`). */
  readonly env: Environment;
  readonly logger: Logger;
  readonly metrics?: ConfigReloadRecorder;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called after every change of the config in force. */
  readonly onChange?: (config: AutoscalerConfig) => void;
  readonly retryMs?: number;
  /** Applied to every Event message: scrubs known secret values (autoscaler/redact.ts). */
  readonly redact?: (text: string) => string;
}

/**
 * The warning when the ConfigMap holds Prometheus credentials in plain text (anyone who may read the
 * ConfigMap has them); undefined when it holds none. Names the fields, never the values.
 */
export function credentialsWarning(config: AutoscalerConfig, env: Environment): string | undefined {
  const urlFromConfigMap = config.global.prometheusUrl !== globalFromEnvironment(env, []).prometheusUrl;
  const found = credentialsInConfigMap(config.global, urlFromConfigMap);
  if (found.length === 0) return undefined;
  return (
    `Prometheus credentials in plain text in the ConfigMap (whoever may read it has them): ${found.join(', ')}; ` +
    'use _global.prometheusAuth (bearerTokenFile or bearerTokenSecret, basicAuth) instead'
  );
}

const EVENT_MESSAGE_MAX = 1000;
const shorten = (message: string): string =>
  message.length > EVENT_MESSAGE_MAX ? `${message.slice(0, EVENT_MESSAGE_MAX - 3)}...` : message;

/** Starts watching one ConfigMap. */
export function createConfigWatch(options: ConfigWatchOptions): ConfigWatch {
  const { kubeConfig, name, namespace, env, logger } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  const informer = new ListWatch<V1ConfigMap>(
    `/api/v1/namespaces/${namespace}/configmaps`,
    new Watch(kubeConfig),
    () => core.listNamespacedConfigMap({ namespace, fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  const stopping = new AbortController();
  const retryMs = options.retryMs ?? 1000;
  let current: AutoscalerConfig | undefined;
  let lastFingerprint: string | undefined;
  let synced = false;

  async function warnOnConfigMap(configMap: V1ConfigMap, reason: string, message: string): Promise<void> {
    const now = new Date();
    try {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name,
            namespace,
            ...(configMap.metadata?.uid !== undefined ? { uid: configMap.metadata.uid } : {}),
            ...(configMap.metadata?.resourceVersion !== undefined
              ? { resourceVersion: configMap.metadata.resourceVersion }
              : {}),
          },
          reason,
          message: shorten(options.redact?.(message) ?? message),
          type: 'Warning',
          source: { component: 'k-siss-autoscaler' },
          reportingComponent: 'k-siss-autoscaler',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      logger.warn('could not record an Event on the ConfigMap', {
        configMap: `${namespace}/${name}`,
        reason,
        error: String(error),
      });
    }
  }

  // Informer callbacks must never throw: a hostile edit of the ConfigMap must not take the controller down.
  function apply(configMap: V1ConfigMap | undefined): void {
    try {
      applyChange(configMap);
    } catch (error) {
      try {
        logger.error('config change could not be applied (bug): the last good config stays in force', {
          configMap: `${namespace}/${name}`,
          error: errorText(error),
        });
        options.metrics?.recordConfigReload('failure', []);
        if (configMap !== undefined) {
          void warnOnConfigMap(
            configMap,
            'InvalidConfig',
            `config change could not be applied (bug: ${errorText(error)}), last good config kept`,
          );
        }
      } catch {
        // The logger or the metrics failed as well: nothing more can be reported.
      }
    }
  }

  function applyChange(configMap: V1ConfigMap | undefined): void {
    const data = configMap?.data ?? {};
    const fingerprint = configMap === undefined ? 'absent' : dataFingerprint(data);
    if (fingerprint === lastFingerprint) return;
    lastFingerprint = fingerprint;
    const applied = applyConfigData(current, data, env);
    const where = {
      configMap: `${namespace}/${name}`,
      resourceVersion: configMap?.metadata?.resourceVersion,
    };
    for (const issue of applied.issues) {
      logger.warn(applied.kind === 'loaded' ? 'invalid service block skipped' : 'config document unusable', {
        ...where,
        key: issue.key,
        path: issue.path,
        issue: formatIssue(issue),
      });
    }
    if (applied.kind === 'loaded') {
      current = applied.config;
      options.metrics?.recordConfigReload('success', applied.issues);
      logger.info(configMap === undefined ? 'ConfigMap not found: no service configured' : 'config loaded', {
        ...where,
        services: [...applied.config.services.keys()],
        skippedKeys: [...new Set(applied.issues.map((issue) => issue.key))],
        intervalSeconds: applied.config.global.intervalSeconds,
      });
      const warning = credentialsWarning(applied.config, env);
      if (warning !== undefined) {
        logger.warn('Prometheus credentials in the ConfigMap', { ...where, warning });
        if (configMap !== undefined) void warnOnConfigMap(configMap, 'CredentialsInConfigMap', warning);
      }
      try {
        options.onChange?.(applied.config);
      } catch (error) {
        logger.error('config change listener failed', { ...where, error: errorText(error) });
      }
    } else {
      options.metrics?.recordConfigReload('failure', applied.issues);
      logger.error(
        applied.kind === 'keptLastGood'
          ? 'config document unusable: the last good config stays in force'
          : 'config document unusable and no good config yet: nothing is scaled',
        { ...where, issues: applied.issues.map(formatIssue) },
      );
    }
    if (configMap !== undefined && applied.issues.length > 0) {
      const reason = applied.kind === 'loaded' ? 'InvalidServiceConfig' : 'InvalidConfig';
      const prefix =
        applied.kind === 'loaded'
          ? 'skipped invalid blocks'
          : applied.kind === 'keptLastGood'
            ? 'config unusable, last good config kept'
            : 'config unusable';
      void warnOnConfigMap(configMap, reason, `${prefix}: ${applied.issues.map(formatIssue).join('; ')}`);
    }
  }

  informer.on('add', (configMap) => apply(configMap));
  informer.on('update', (configMap) => apply(configMap));
  informer.on('delete', () => {
    logger.warn('ConfigMap deleted: the last good config stays in force', {
      configMap: `${namespace}/${name}`,
    });
    lastFingerprint = 'deleted';
  });

  let failure: unknown;
  informer.on('error', (error: unknown) => {
    failure = error;
    if (!synced || stopping.signal.aborted) return;
    logger.warn('ConfigMap watch failed, restarting', {
      configMap: `${namespace}/${name}`,
      error: String(error),
    });
    void (async () => {
      await options.sleep(retryMs, stopping.signal);
      if (!stopping.signal.aborted) await informer.start();
    })();
  });

  return {
    async start() {
      let delayMs = retryMs;
      while (!stopping.signal.aborted) {
        failure = undefined;
        await informer.start();
        if (failure === undefined) break;
        logger.warn('ConfigMap could not be listed, retrying', {
          configMap: `${namespace}/${name}`,
          error: String(failure),
          retryInMs: delayMs,
        });
        await options.sleep(delayMs, stopping.signal);
        delayMs = Math.min(30_000, delayMs * 2);
      }
      synced = true;
      if (informer.get(name, namespace) === undefined) apply(undefined);
    },
    current: () => current,
    async stop() {
      stopping.abort();
      await informer.stop();
    },
  };
}
