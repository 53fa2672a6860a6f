import { addScrapeTargets, eventually, promQuery, removeScrapeTargets } from '../test/cluster-state.js';
import { createControllerMetrics, Registry, startMetricsServer, type MetricsServer } from './index.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 120_000;

/**
 * The exporter as the real Prometheus of the local cluster sees it: our /metrics is added as a scrape target
 * and the series are read back through Prometheus' query API.
 */
describe('exporter scraped by the real Prometheus', () => {
  let server: MetricsServer;
  const job = `ksiss-exporter-test-${process.pid}`;
  const values = async (promql: string) => (await promQuery(promql)).map((sample) => sample.value);

  beforeAll(async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    metrics.setServiceState({
      namespace: 'demo',
      service: 'gpt2',
      revision: 'gpt2-00002',
      tier: { name: 'mig-2g.20gb', kind: 'mig', computeFraction: 2 / 7, memoryGb: 20 },
      readyReplicas: 2,
    });
    metrics.setSloMetric(
      'gpt2',
      { name: 'tpot', slo: 0.05, scaleUpFactor: 1.2, scaleDownFactor: 0.5 },
      0.042,
    );
    metrics.setSloMetric('gpt2', { name: 'idle_ratio', slo: 1, scaleUpFactor: 2, scaleDownFactor: 0.5 }, NaN);
    metrics.recordDecision('demo', 'gpt2', { action: 'up', reason: 'sloPressure' });
    server = await startMetricsServer({ registry, port: 0 });
    addScrapeTargets(job, [`127.0.0.1:${server.port}`]);
  }, TEST_TIMEOUT_MS);
  afterAll(async () => {
    removeScrapeTargets(job);
    await server.close();
  }, TEST_TIMEOUT_MS);

  it(
    'Prometheus stores the tier, replicas, SLO value and thresholds, the original gauge and decisions',
    async () => {
      const tier = await eventually('the tier series in Prometheus', async () => {
        const result = await promQuery(`ksiss_service_tier_info{job="${job}"}`);
        return result.length > 0 ? result : undefined;
      });
      expect(tier.map((s) => [s.labels.service, s.labels.tier, s.value])).toEqual([
        ['gpt2', 'mig-2g.20gb', 1],
      ]);
      expect(await values(`ksiss_service_replicas{job="${job}"}`)).toEqual([2]);
      expect(await values(`ksiss_slo_metric_value{job="${job}",metric="tpot"}`)).toEqual([0.042]);
      expect(await values(`ksiss_slo_metric_threshold{job="${job}",metric="tpot",bound="up"}`)).toEqual([
        0.06,
      ]);
      expect(await values(`KubeComp_gpu_resource{job="${job}",revision="gpt2-00002"}`)).toEqual([2]);
      expect(await values(`ksiss_decisions_total{job="${job}",action="up",reason="sloPressure"}`)).toEqual([
        1,
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a NaN SLO value never reaches Prometheus (no series), while its thresholds do',
    async () => {
      await eventually('a scrape', async () =>
        (await promQuery(`up{job="${job}"} == 1`)).length > 0 ? true : undefined,
      );
      expect(await promQuery(`ksiss_slo_metric_value{job="${job}",metric="idle_ratio"}`)).toEqual([]);
      expect((await promQuery(`ksiss_slo_metric_threshold{job="${job}",metric="idle_ratio"}`)).length).toBe(
        3,
      );
      const notFinite = (await promQuery(`{job="${job}"}`))
        .filter((s) => !Number.isFinite(s.value))
        .map((s) => s.labels);
      expect(notFinite).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
