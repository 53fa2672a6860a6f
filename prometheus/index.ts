export type { PrometheusClient, PrometheusClientOptions } from './client.js';
export { createPrometheusClient, DEFAULT_MAX_RESPONSE_BYTES, queryEndpoint } from './client.js';
export type { CredentialReader, CredentialReaderOptions, SecretReader, TlsMaterial } from './credentials.js';
export { createCredentialReader, CredentialError } from './credentials.js';
export type {
  MetricFailure,
  MetricsSource,
  NamedQuery,
  PrometheusSourceOptions,
  QueryObserver,
  ServiceMetrics,
} from './metrics-source.js';
export { createMetricsSource, createPrometheusMetricsSource } from './metrics-source.js';
export type { Expansion, QueryShape, QueryTarget } from './placeholders.js';
export { expandQuery, podRegex, queryShape } from './placeholders.js';
export type { QueryErrorClass, QueryErrorReason, QueryOutcome, Sample } from './response.js';
export { combineValues, parseQueryResponse, parseSampleValue } from './response.js';
export type { Semaphore } from './semaphore.js';
export { createSemaphore, mapBounded } from './semaphore.js';
