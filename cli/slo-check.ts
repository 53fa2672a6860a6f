import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import type { AutoscalerConfig, MetricSpec } from '../autoscaler/index.js';
import { evaluateSignals } from '../autoscaler/index.js';
import type { SloCheck } from '../knative/index.js';
import type { MetricsSource } from '../prometheus/index.js';

/** Where the check logs why it failed a traffic step. */
interface SloCheckLogger {
  warn(message: string, meta: Record<string, unknown>): unknown;
}

/**
 * The check run between traffic steps of a stepped migration: the service's SLO metrics, read for the NEW
 * revision's Ready pods, must not be under pressure. No data is not a failure (a revision that has just
 * received its first share of traffic may have no samples yet); a read error is (we cannot tell it is safe).
 */
export function createSloCheck(
  kubeConfig: KubeConfig,
  config: () => AutoscalerConfig | undefined,
  metricsSource: () => MetricsSource | undefined,
  logger: SloCheckLogger,
): SloCheck {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (service, record) => {
    const block = config()?.services.get(service.name);
    const source = metricsSource();
    if (block === undefined || source === undefined) return true;
    const pods = await core.listNamespacedPod({
      namespace: service.namespace,
      labelSelector: `serving.knative.dev/revision=${record.toRevision}`,
    });
    const readyPods = pods.items
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true)
      .map((p) => p.metadata?.name ?? '')
      .filter((name) => name !== '');
    const metrics: readonly MetricSpec[] = block.metrics;
    const read = await source.read(
      { namespace: service.namespace, service: service.name, revision: record.toRevision, readyPods },
      metrics.map((m) => ({ name: m.name, query: m.query, aggregate: m.aggregate })),
    );
    if (read.failures.length > 0) {
      logger.warn('SLO check between traffic steps could not read metrics', {
        service: `${service.namespace}/${service.name}`,
        failures: read.failures.map((f) => f.message),
      });
      return false;
    }
    const pressured = evaluateSignals(metrics, read.values).filter((s) => s.state === 'pressure');
    if (pressured.length > 0) {
      logger.warn('SLO check between traffic steps failed', {
        service: `${service.namespace}/${service.name}`,
        revision: record.toRevision,
        metrics: pressured.map((s) => `${s.name} = ${String(s.value)} > ${s.upThreshold}`),
      });
    }
    return pressured.length === 0;
  };
}
