import { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosError } from 'axios';
import { createSecretRedactor, redactUrl } from '../autoscaler/index.js';
import type { CredentialReader, TlsMaterial } from './credentials.js';
import { CredentialError } from './credentials.js';
import type { QueryOutcome } from './response.js';
import { parseQueryResponse } from './response.js';

/** How to reach Prometheus. */
export interface PrometheusClientOptions {
  /** `http://host:9090`, a path prefix (`http://host/prometheus`), or the full `.../api/v1/query` URL. */
  readonly url: string;
  readonly timeoutMs: number;
  /** Extra request headers, e.g. a tenant header. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Bearer token / basic auth and TLS material, read per request (files and Secrets that change). */
  readonly credentials?: CredentialReader;
  /** A larger answer is refused (default 16 MiB; a 400 MB answer once took the process to 1.4 GB). */
  readonly maxResponseBytes?: number;
}

/** The default bound of one answer: far above what an aggregated query returns. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** The bound of one request body (a query with its form fields). */
const MAX_REQUEST_BYTES = 1024 * 1024;

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

function transportFailure(error: unknown, timeoutMs: number, maxResponseBytes: number): QueryOutcome {
  if (error instanceof CredentialError) {
    return { kind: 'error', errorClass: 'config', reason: 'credentials', message: error.message };
  }
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
  if (error instanceof AxiosError && /maxContentLength/.test(text)) {
    return {
      kind: 'error',
      errorClass: 'config',
      reason: 'tooLarge',
      message: `the answer is larger than ${maxResponseBytes} bytes and was refused: the query selects too many series (aggregate it)`,
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
  // The URL's user and password become an explicit Basic header (which prometheusAuth replaces), so the URL
  // the client keeps and posts to carries no credential.
  const endpoint = new URL(queryEndpoint(options.url));
  const urlAuthorization = basicFromUrl(endpoint);
  endpoint.username = '';
  endpoint.password = '';
  const queryUrl = endpoint.toString();
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const http = axios.create({
    timeout: options.timeoutMs,
    // Prometheus's API never redirects. A redirect that axios followed would carry the tenant header and
    // the query to wherever it points (another host included); it is reported instead (reason `redirect`).
    maxRedirects: 0,
    maxContentLength: maxResponseBytes,
    maxBodyLength: MAX_REQUEST_BYTES,
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
  // What the client sends that is secret; an answer or a transport error that echoes it is scrubbed.
  const sent = new Set<string>(secretsOfRequest(options));
  const remember = (authorization: string): void => {
    sent.add(authorization);
    // The credential part alone (`Basic <this>`), as a server may echo it.
    const credential = authorization.split(' ')[1];
    if (credential !== undefined) sent.add(credential);
  };
  if (urlAuthorization !== undefined) remember(urlAuthorization);
  const redactor = createSecretRedactor(() => sent);
  const scrub = (outcome: QueryOutcome): QueryOutcome =>
    outcome.kind === 'error' ? { ...outcome, message: redactor.redact(outcome.message) } : outcome;
  let agent: { readonly material: string; readonly agent: HttpsAgent } | undefined;
  const httpsAgentFor = (tls: TlsMaterial | undefined): HttpsAgent | undefined => {
    if (tls === undefined) return undefined;
    const material = JSON.stringify([tls.ca, tls.cert, tls.key]);
    // A new agent (new TLS context) only when a file changed; it keeps its connections otherwise.
    if (agent?.material !== material)
      agent = { material, agent: new HttpsAgent({ ...tls, keepAlive: true }) };
    return agent.agent;
  };
  return {
    queryUrl,
    async query(promql: string, signal?: AbortSignal, atSeconds?: number): Promise<QueryOutcome> {
      try {
        const authorization = (await options.credentials?.authorization()) ?? urlAuthorization;
        if (authorization !== undefined) remember(authorization);
        const httpsAgent = httpsAgentFor(await options.credentials?.tls());
        const body = new URLSearchParams({ query: promql, timeout: evaluationTimeout });
        if (atSeconds !== undefined) body.set('time', atSeconds.toFixed(3));
        const response = await http.post<string>(queryUrl, body.toString(), {
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            ...(authorization === undefined ? {} : { Authorization: authorization }),
          },
          ...(httpsAgent === undefined ? {} : { httpsAgent }),
          signal,
        });
        if (response.status >= 300 && response.status < 400) return scrub(redirected(response));
        const text = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
        return scrub(parseQueryResponse(response.status, text));
      } catch (error) {
        return scrub(transportFailure(error, options.timeoutMs, maxResponseBytes));
      }
    },
  };
}

/** The secret values of a client's own settings: header values and the URL's password. */
function secretsOfRequest(options: PrometheusClientOptions): string[] {
  const values = Object.values(options.headers ?? {});
  try {
    const password = new URL(options.url).password;
    if (password !== '') values.push(password, safeDecode(password));
  } catch {
    // queryEndpoint has already refused a URL that does not parse.
  }
  return values;
}

/** `Basic base64(user:password)` of a URL's userinfo, or undefined without one. */
function basicFromUrl(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const pair = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redirected(response: { status: number; headers: Record<string, unknown> }): QueryOutcome {
  const location = response.headers['location'];
  const target = typeof location === 'string' ? redactUrl(location) : '(no Location)';
  return {
    kind: 'error',
    errorClass: 'config',
    reason: 'redirect',
    message: `Prometheus answered HTTP ${response.status}, a redirect to ${target}; redirects are not followed (the query and the headers would go along): set the Prometheus URL to where it points`,
  };
}
