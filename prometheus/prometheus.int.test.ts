/**
 * The Prometheus metrics source against the REAL Prometheus of the local cluster, scraping the emulated
 * inference pods (test/global-setup.ts starts both).
 */
import {
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatedPod,
  eventually,
  kubeClients,
  promQuery,
} from '../test/cluster-state.js';
import type { MetricsSource, QueryTarget } from './index.js';
import { createPrometheusMetricsSource } from './index.js';

const SERVICE = 'latency-svc';
const PODS = ['latency-svc-a', 'latency-svc-b'];

describe('Prometheus metrics source on the local Prometheus', () => {
  let namespace = '';
  let source: MetricsSource;
  let target: QueryTarget;

  beforeAll(async () => {
    namespace = await createTestNamespace('prom');
    const { core } = kubeClients();
    for (const pod of PODS) {
      await core.createNamespacedPod({
        namespace,
        body: emulatedPod(pod, { 'nvidia.com/mig-1g.10gb': '1' }, SERVICE),
      });
    }
    // Both pods Ready, discovered and scraped at least once.
    await eventually(
      'both emulated pods scraped',
      async () => {
        const series = await promQuery(`up{namespace="${namespace}"} == 1`);
        return series.length === PODS.length ? series : undefined;
      },
      120_000,
    );
    source = createPrometheusMetricsSource({
      // The original's form, a full /api/v1/query URL, is accepted as well as the base URL.
      url: `${clusterState().prometheusUrl}/api/v1/query`,
      timeoutMs: 5000,
      maxConcurrentQueries: 2,
    });
    target = { namespace, service: SERVICE, revision: undefined, readyPods: PODS };
  });

  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  test('a %s query runs once per Ready pod and the per-pod values are combined', async () => {
    const result = await source.read(target, [
      { name: 'podsUp', query: 'count(up{namespace="{{namespace}}",pod="%s"} == 1)', aggregate: 'sum' },
      { name: 'maxUp', query: 'up{namespace="{{namespace}}",pod="%s"}', aggregate: 'max' },
    ]);
    expect(result).toEqual({ values: { podsUp: 2, maxUp: 1 }, failures: [] });
  });

  test('a {{podRegex}} query covers the whole revision in one query', async () => {
    const result = await source.read(target, [
      { name: 'podsUp', query: 'count(up{pod=~"{{podRegex}}"} == 1)', aggregate: 'max' },
      { name: 'perPodSeries', query: 'up{pod=~"{{podRegex}}"}', aggregate: 'sum' },
    ]);
    expect(result).toEqual({ values: { podsUp: 2, perPodSeries: 2 }, failures: [] });
  });

  test('the original TGI query on idle pods is 0/0 = NaN, passed on as NaN (not 0, not an error)', async () => {
    const read = () =>
      source.read(target, [
        {
          name: 'tgi_request_metric',
          query:
            'increase(tgi_request_mean_time_per_token_duration_sum{pod="%s"}[1m])/increase(tgi_request_mean_time_per_token_duration_count{pod="%s"}[1m])',
          aggregate: 'max',
        },
      ]);
    // increase() needs two samples in its window: until the second scrape the query has no series at all.
    const result = await eventually(
      'two scrapes of the idle pods',
      async () => {
        const r = await read();
        return r.values.tgi_request_metric === undefined ? undefined : r;
      },
      60_000,
    );
    expect(result.failures).toEqual([]);
    expect(result.values.tgi_request_metric).toBeNaN();
  });

  test('NaN and +Inf from PromQL arithmetic are values', async () => {
    const result = await source.read(target, [
      { name: 'nan', query: 'vector(0) / 0', aggregate: 'max' },
      { name: 'inf', query: 'scalar(vector(1)) / 0', aggregate: 'max' },
      { name: 'minusInf', query: '-1 / 0', aggregate: 'max' },
    ]);
    expect(result.failures).toEqual([]);
    expect(result.values.nan).toBeNaN();
    expect(result.values.inf).toBe(Number.POSITIVE_INFINITY);
    expect(result.values.minusInf).toBe(Number.NEGATIVE_INFINITY);
  });

  test('a range selector (matrix result) takes the last sample of each series', async () => {
    const result = await source.read(target, [
      { name: 'up', query: 'up{namespace="{{namespace}}",pod=~"{{podRegex}}"}[1m]', aggregate: 'sum' },
    ]);
    // Two series (one per pod), each's latest sample is 1.
    expect(result).toEqual({ values: { up: 2 }, failures: [] });
  });

  test('a query with an offset is evaluated that long ago; series younger than that are "no data"', async () => {
    // loadGrowth's arrivals run at offsets 0 to 180 s (Prometheus's `time` parameter). `time()` is the
    // evaluation time itself; the pods' `up` series are younger than 30 minutes.
    const before = Date.now() / 1000;
    const result = await source.read(target, [
      { name: 'now', query: 'time()', aggregate: 'max' },
      { name: 'then', query: 'time()', aggregate: 'max', offsetSeconds: 180 },
      {
        name: 'upThen',
        query: 'up{namespace="{{namespace}}",pod=~"{{podRegex}}"}',
        aggregate: 'sum',
        offsetSeconds: 1800,
      },
    ]);
    const after = Date.now() / 1000;
    expect(result.failures).toEqual([]);
    const { now, then } = result.values;
    expect(now).toBeGreaterThanOrEqual(before - 1);
    expect(now).toBeLessThanOrEqual(after + 1);
    expect(then).toBeGreaterThanOrEqual(before - 180 - 0.001);
    expect(then).toBeLessThanOrEqual(after - 180 + 0.001);
    expect(result.values.upThen).toBeUndefined();
  });

  test('a query with no series is "no data" (undefined), not an error', async () => {
    const result = await source.read(target, [
      {
        name: 'missing',
        query: 'tgi_queue_size{namespace="{{namespace}}",pod="%s",no_such_label="x"}',
        aggregate: 'max',
      },
    ]);
    expect(result).toEqual({ values: { missing: undefined }, failures: [] });
  });

  test('a syntax error is a config error naming service, metric and Prometheus text', async () => {
    const result = await source.read(target, [
      { name: 'latency', query: 'rate(tgi_queue_size{pod="%s"}[1m]', aggregate: 'max' },
    ]);
    expect(result.values).toEqual({});
    expect(result.failures).toHaveLength(1);
    const failure = result.failures[0];
    expect(failure).toEqual(
      expect.objectContaining({ metric: 'latency', errorClass: 'config', reason: 'badQuery' }),
    );
    expect(failure?.message).toContain(`service ${namespace}/${SERVICE} metric latency`);
    expect(failure?.message).toContain('bad_data');
    expect(failure?.message).toMatch(/parse error/);
  });
});
