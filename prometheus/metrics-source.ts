import type { MetricValues, SeriesAggregate } from '../autoscaler/index.js';
import type { PrometheusClient, PrometheusClientOptions } from './client.js';
import { createPrometheusClient } from './client.js';
import type { QueryTarget } from './placeholders.js';
import { expandQuery } from './placeholders.js';
import type { QueryErrorClass, QueryErrorReason } from './response.js';
import { combineValues } from './response.js';
import type { Semaphore } from './semaphore.js';
import { createSemaphore } from './semaphore.js';

/** One named query of a service: a metric block's query, the idle request rate, or the load's arrivals. */
export interface NamedQuery {
  readonly name: string;
  readonly query: string;
  readonly aggregate: SeriesAggregate;
  /** Evaluate this many seconds before the read (Prometheus's `time`); now when absent. */
  readonly offsetSeconds?: number;
}

/** A metric that could not be read this tick; the message names service, metric and Prometheus's text. */
export interface MetricFailure {
  readonly metric: string;
  readonly errorClass: QueryErrorClass;
  readonly reason: QueryErrorReason;
  readonly message: string;
}

/** The values read for one service; a metric is either in `values` (maybe `undefined` = no series) or failed. */
export interface ServiceMetrics {
  readonly values: MetricValues;
  readonly failures: readonly MetricFailure[];
}

/** Reads the metrics of one service's serving revision. */
export interface MetricsSource {
  read(target: QueryTarget, queries: readonly NamedQuery[], signal?: AbortSignal): Promise<ServiceMetrics>;
}

export interface PrometheusSourceOptions extends PrometheusClientOptions {
  /** At most this many HTTP queries in flight, across all services. */
  readonly maxConcurrentQueries: number;
  /** Called after every HTTP query with its duration and, when it failed, its error class. */
  readonly onQuery?: QueryObserver;
}

/** Observes one finished HTTP query (for the exporter's duration histogram and error counter). */
export type QueryObserver = (seconds: number, errorClass: QueryErrorClass | undefined) => void;

type OneMetric =
  | { readonly kind: 'value'; readonly value: number | undefined }
  | { readonly kind: 'failed'; readonly failure: MetricFailure };

async function readOne(
  client: PrometheusClient,
  semaphore: Semaphore,
  target: QueryTarget,
  named: NamedQuery,
  signal: AbortSignal | undefined,
  onQuery: QueryObserver | undefined,
  readAtSeconds: number,
): Promise<OneMetric> {
  const atSeconds = named.offsetSeconds === undefined ? undefined : readAtSeconds - named.offsetSeconds;
  const expansion = expandQuery(named.query, target);
  if (expansion.kind === 'noTarget') {
    return { kind: 'value', value: undefined };
  }
  // Per-pod queries: each pod's series are combined first, then the pods (same aggregate, see README).
  const perQuery = await Promise.all(
    expansion.queries.map((query) =>
      semaphore.run(async () => {
        const startedAt = performance.now();
        const outcome = await client.query(query, signal, atSeconds);
        onQuery?.(
          (performance.now() - startedAt) / 1000,
          outcome.kind === 'error' ? outcome.errorClass : undefined,
        );
        return outcome;
      }),
    ),
  );
  const values: number[] = [];
  for (const [index, outcome] of perQuery.entries()) {
    if (outcome.kind === 'error') {
      return {
        kind: 'failed',
        failure: {
          metric: named.name,
          errorClass: outcome.errorClass,
          reason: outcome.reason,
          message:
            `service ${target.namespace}/${target.service} metric ${named.name}: ` +
            `Prometheus query failed (${outcome.reason}): ${outcome.message}; query: ${expansion.queries[index]}`,
        },
      };
    }
    const combined = combineValues(
      outcome.samples.map((sample) => sample.value),
      named.aggregate,
    );
    if (combined !== undefined) values.push(combined);
  }
  return { kind: 'value', value: combineValues(values, named.aggregate) };
}

/** Builds a MetricsSource on a Prometheus client, with one concurrency bound shared by every read. */
export function createMetricsSource(
  client: PrometheusClient,
  maxConcurrentQueries: number,
  onQuery?: QueryObserver,
  nowMs: () => number = Date.now,
): MetricsSource {
  const semaphore = createSemaphore(Math.max(1, Math.floor(maxConcurrentQueries)));
  return {
    async read(target, queries, signal) {
      // One read time for the whole read, so queries with offsets are evaluated against the same "now".
      const readAtSeconds = nowMs() / 1000;
      const results = await Promise.all(
        queries.map(async (named) => ({
          name: named.name,
          result: await readOne(client, semaphore, target, named, signal, onQuery, readAtSeconds),
        })),
      );
      const values: Record<string, number | undefined> = {};
      const failures: MetricFailure[] = [];
      for (const { name, result } of results) {
        if (result.kind === 'failed') failures.push(result.failure);
        else values[name] = result.value;
      }
      return { values, failures };
    },
  };
}

/** The Prometheus metrics source: axios client plus bounded concurrency. */
export function createPrometheusMetricsSource(options: PrometheusSourceOptions): MetricsSource {
  return createMetricsSource(createPrometheusClient(options), options.maxConcurrentQueries, options.onQuery);
}
