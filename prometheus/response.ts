import type { SeriesAggregate } from '../autoscaler/index.js';

/** One series' latest value; `labels` are the series labels (empty for a scalar). */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Why a query failed: `config` will not heal by itself, `transient` may on the next tick, `bug` is ours. */
export type QueryErrorClass = 'config' | 'transient' | 'bug';

export type QueryErrorReason =
  | 'badQuery' // HTTP 400 bad_data: PromQL syntax or a bad parameter
  | 'queryExecution' // HTTP 422: the query parsed but cannot be evaluated
  | 'unauthorized' // HTTP 401/403: headers (auth) wrong
  | 'notFound' // HTTP 404: the URL is not a Prometheus query endpoint
  | 'notPrometheus' // the body is not a Prometheus API answer
  | 'unsupportedResult' // e.g. a `string` result
  | 'serverError' // HTTP 5xx, or status:error of type timeout/unavailable/internal
  | 'timeout' // no answer within the timeout
  | 'unreachable' // connection refused/reset, DNS
  | 'redirect' // HTTP 3xx: not followed (the headers and the query would go along)
  | 'tooLarge' // the answer is above the client's size limit
  | 'credentials' // a token, password or TLS file/Secret cannot be read
  | 'aborted'; // the controller is shutting down

/** The outcome of one PromQL query; errors are values, classified. */
export type QueryOutcome =
  | { readonly kind: 'ok'; readonly samples: readonly Sample[] }
  | {
      readonly kind: 'error';
      readonly errorClass: QueryErrorClass;
      readonly reason: QueryErrorReason;
      readonly message: string;
    };

/** Parses Prometheus's sample value text: it writes `NaN`, `+Inf` and `-Inf`, which `Number()` does not read. */
export function parseSampleValue(text: unknown): number {
  if (typeof text === 'number') {
    return text;
  }
  if (typeof text !== 'string') {
    return Number.NaN;
  }
  switch (text.trim()) {
    case '+Inf':
    case 'Inf':
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default: {
      const value = Number(text);
      return text.trim() === '' ? Number.NaN : value;
    }
  }
}

const ERROR_TYPE_CLASS: Readonly<Record<string, { errorClass: QueryErrorClass; reason: QueryErrorReason }>> =
  {
    bad_data: { errorClass: 'config', reason: 'badQuery' },
    execution: { errorClass: 'config', reason: 'queryExecution' },
    timeout: { errorClass: 'transient', reason: 'timeout' },
    canceled: { errorClass: 'transient', reason: 'aborted' },
    unavailable: { errorClass: 'transient', reason: 'serverError' },
    internal: { errorClass: 'transient', reason: 'serverError' },
    not_found: { errorClass: 'config', reason: 'notFound' },
  };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function httpStatusClass(httpStatus: number): { errorClass: QueryErrorClass; reason: QueryErrorReason } {
  if (httpStatus === 400) return { errorClass: 'config', reason: 'badQuery' };
  if (httpStatus === 422) return { errorClass: 'config', reason: 'queryExecution' };
  if (httpStatus === 401 || httpStatus === 403) return { errorClass: 'config', reason: 'unauthorized' };
  if (httpStatus === 404 || httpStatus === 405) return { errorClass: 'config', reason: 'notFound' };
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) {
    return { errorClass: 'transient', reason: 'serverError' };
  }
  return { errorClass: 'config', reason: 'notPrometheus' };
}

function labelsOf(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) {
    if (typeof label === 'string') labels[key] = label;
  }
  return labels;
}

/** The value of a `[timestamp, "value"]` pair. */
function pairValue(pair: unknown): number {
  return Array.isArray(pair) ? parseSampleValue(pair[1]) : Number.NaN;
}

function samplesOf(resultType: unknown, result: unknown): Sample[] | string {
  switch (resultType) {
    case 'vector':
      if (!Array.isArray(result)) return 'vector result is not a list';
      return result.map((series: unknown) => {
        const entry = isRecord(series) ? series : {};
        return { labels: labelsOf(entry.metric), value: pairValue(entry.value) };
      });
    case 'scalar':
      return [{ labels: {}, value: pairValue(result) }];
    case 'matrix': {
      // A range query: the latest sample of each series is its value now.
      if (!Array.isArray(result)) return 'matrix result is not a list';
      const samples: Sample[] = [];
      for (const series of result) {
        const entry = isRecord(series) ? series : {};
        const values = Array.isArray(entry.values) ? entry.values : [];
        if (values.length > 0) {
          samples.push({ labels: labelsOf(entry.metric), value: pairValue(values[values.length - 1]) });
        }
      }
      return samples;
    }
    default:
      return `result type ${JSON.stringify(resultType)} is not a number (want vector, scalar or matrix)`;
  }
}

/** Interprets one HTTP answer of `/api/v1/query` (status code and raw body text). */
export function parseQueryResponse(httpStatus: number, bodyText: string): QueryOutcome {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    const { errorClass, reason } =
      httpStatus >= 200 && httpStatus < 300
        ? { errorClass: 'config' as const, reason: 'notPrometheus' as const }
        : httpStatusClass(httpStatus);
    const excerpt = bodyText.slice(0, 120).replace(/\s+/g, ' ');
    return {
      kind: 'error',
      errorClass,
      reason,
      message: `HTTP ${httpStatus}, body is not JSON (is the URL a Prometheus server?): ${JSON.stringify(excerpt)}`,
    };
  }
  const answer = isRecord(body) ? body : {};
  if (answer.status !== 'success' || httpStatus < 200 || httpStatus >= 300) {
    const errorType = typeof answer.errorType === 'string' ? answer.errorType : undefined;
    const errorText = typeof answer.error === 'string' ? answer.error : 'no error text';
    const classified =
      (errorType !== undefined ? ERROR_TYPE_CLASS[errorType] : undefined) ??
      (httpStatus >= 200 && httpStatus < 300
        ? { errorClass: 'config' as const, reason: 'notPrometheus' as const }
        : httpStatusClass(httpStatus));
    return {
      kind: 'error',
      ...classified,
      message: `HTTP ${httpStatus}, status ${JSON.stringify(answer.status ?? null)}${
        errorType !== undefined ? ` (${errorType})` : ''
      }: ${errorText}`,
    };
  }
  const data = isRecord(answer.data) ? answer.data : {};
  const samples = samplesOf(data.resultType, data.result);
  if (typeof samples === 'string') {
    return { kind: 'error', errorClass: 'config', reason: 'unsupportedResult', message: samples };
  }
  return { kind: 'ok', samples };
}

/**
 * Combines several values into one. NaN values (an idle pod's 0/0) are left out so they cannot hide
 * another pod's pressure; only when every value is NaN is the result NaN. No value at all is `undefined`.
 * Infinities are ordinary values.
 */
export function combineValues(values: readonly number[], aggregate: SeriesAggregate): number | undefined {
  if (values.length === 0) return undefined;
  const numbers = values.filter((value) => !Number.isNaN(value));
  if (numbers.length === 0) return Number.NaN;
  switch (aggregate) {
    case 'max':
      return Math.max(...numbers);
    case 'sum':
      return numbers.reduce((total, value) => total + value, 0);
    case 'avg':
      return numbers.reduce((total, value) => total + value, 0) / numbers.length;
  }
}
