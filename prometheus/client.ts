import axios, { AxiosError } from 'axios';
import type { QueryOutcome } from './response.js';
import { parseQueryResponse } from './response.js';

/** How to reach Prometheus. */
export interface PrometheusClientOptions {
  /** `http://host:9090`, a path prefix (`http://host/prometheus`), or the full `.../api/v1/query` URL. */
  readonly url: string;
  readonly timeoutMs: number;
  /** Extra request headers, e.g. `Authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Runs one instant query; never throws, every failure is a classified value. */
export interface PrometheusClient {
  readonly queryUrl: string;
  /** `atSeconds`: the evaluation time (Unix seconds, Prometheus's `time`); Prometheus's now when absent. */
  query(promql: string, signal?: AbortSignal, atSeconds?: number): Promise<QueryOutcome>;
}

const QUERY_PATH = '/api/v1/query';

/** The instant-query endpoint for a base URL or the endpoint URL itself. */
export function queryEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`prometheus URL = ${JSON.stringify(url)}: not a URL`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`prometheus URL = ${JSON.stringify(url)}: must start with http:// or https://`);
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith(QUERY_PATH) ? path : `${path}${QUERY_PATH}`;
  parsed.hash = '';
  return parsed.toString();
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

function transportFailure(error: unknown, timeoutMs: number): QueryOutcome {
  if (axios.isCancel(error)) {
    return {
      kind: 'error',
      errorClass: 'transient',
      reason: 'aborted',
      message: 'query aborted (shutting down)',
    };
  }
  const code = error instanceof AxiosError ? error.code : undefined;
  const text = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return {
      kind: 'error',
      errorClass: 'transient',
      reason: 'timeout',
      message: `no answer within ${timeoutMs} ms (${text})`,
    };
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return { kind: 'error', errorClass: 'transient', reason: 'unreachable', message: `${code}: ${text}` };
  }
  // Anything else from the transport is most likely transient too (socket hang up and friends).
  return { kind: 'error', errorClass: 'transient', reason: 'unreachable', message: text };
}

/** An axios client for the Prometheus HTTP API (`POST /api/v1/query`, form-encoded). */
export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  if (!(options.timeoutMs > 0)) {
    throw new RangeError(`prometheus timeoutMs = ${options.timeoutMs}: must be > 0`);
  }
  const queryUrl = queryEndpoint(options.url);
  const http = axios.create({
    timeout: options.timeoutMs,
    headers: { ...options.headers, Accept: 'application/json' },
    // Status and body are judged by parseQueryResponse, not by axios.
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    // Prometheus is reached directly; an HTTP(S)_PROXY of the environment must not reroute it.
    proxy: false,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
  });
  // Prometheus stops evaluating a little before we give up waiting.
  const evaluationTimeout = `${Math.max(1, Math.floor(options.timeoutMs * 0.9))}ms`;
  return {
    queryUrl,
    async query(promql: string, signal?: AbortSignal, atSeconds?: number): Promise<QueryOutcome> {
      try {
        const body = new URLSearchParams({ query: promql, timeout: evaluationTimeout });
        if (atSeconds !== undefined) body.set('time', atSeconds.toFixed(3));
        const response = await http.post<string>(queryUrl, body.toString(), {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          signal,
        });
        const text = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
        return parseQueryResponse(response.status, text);
      } catch (error) {
        return transportFailure(error, options.timeoutMs);
      }
    },
  };
}
