import type { QueryOutcome } from './response.js';
import { combineValues, parseQueryResponse, parseSampleValue } from './response.js';

describe('parseSampleValue', () => {
  const cases: ReadonlyArray<{ text: unknown; want: number }> = [
    { text: '0.25', want: 0.25 },
    { text: '1e3', want: 1000 },
    { text: 'NaN', want: Number.NaN },
    { text: '+Inf', want: Number.POSITIVE_INFINITY },
    { text: '-Inf', want: Number.NEGATIVE_INFINITY },
    { text: '', want: Number.NaN },
    { text: 'abc', want: Number.NaN },
    { text: undefined, want: Number.NaN },
    { text: 7, want: 7 },
  ];
  test.each(cases)('$text', ({ text, want }) => {
    expect(parseSampleValue(text)).toBe(want);
  });
});

const ok = (resultType: string, result: unknown): string =>
  JSON.stringify({ status: 'success', data: { resultType, result } });

describe('parseQueryResponse', () => {
  const cases: ReadonlyArray<{ name: string; status: number; body: string; want: QueryOutcome }> = [
    {
      name: 'vector with two series',
      status: 200,
      body: ok('vector', [
        { metric: { pod: 'a' }, value: [1, '0.5'] },
        { metric: { pod: 'b' }, value: [1, '2'] },
      ]),
      want: {
        kind: 'ok',
        samples: [
          { labels: { pod: 'a' }, value: 0.5 },
          { labels: { pod: 'b' }, value: 2 },
        ],
      },
    },
    {
      name: 'vector with NaN and +Inf strings',
      status: 200,
      body: ok('vector', [
        { metric: {}, value: [1, 'NaN'] },
        { metric: {}, value: [1, '+Inf'] },
      ]),
      want: {
        kind: 'ok',
        samples: [
          { labels: {}, value: Number.NaN },
          { labels: {}, value: Number.POSITIVE_INFINITY },
        ],
      },
    },
    {
      name: 'empty vector is no series',
      status: 200,
      body: ok('vector', []),
      want: { kind: 'ok', samples: [] },
    },
    {
      name: 'scalar',
      status: 200,
      body: ok('scalar', [1, '-Inf']),
      want: { kind: 'ok', samples: [{ labels: {}, value: Number.NEGATIVE_INFINITY }] },
    },
    {
      name: 'matrix: last sample of each series, empty series dropped',
      status: 200,
      body: ok('matrix', [
        {
          metric: { pod: 'a' },
          values: [
            [1, '1'],
            [2, '3'],
          ],
        },
        { metric: { pod: 'b' }, values: [] },
      ]),
      want: { kind: 'ok', samples: [{ labels: { pod: 'a' }, value: 3 }] },
    },
    {
      name: 'string result is a config error',
      status: 200,
      body: ok('string', [1, 'hello']),
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'unsupportedResult',
        message: 'result type "string" is not a number (want vector, scalar or matrix)',
      },
    },
    {
      name: '400 bad_data is a config error carrying Prometheus text',
      status: 400,
      body: JSON.stringify({
        status: 'error',
        errorType: 'bad_data',
        error: '1:5: parse error: unexpected }',
      }),
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'badQuery',
        message: 'HTTP 400, status "error" (bad_data): 1:5: parse error: unexpected }',
      },
    },
    {
      name: '422 execution error is a config error',
      status: 422,
      body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many matching' }),
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'queryExecution',
        message: 'HTTP 422, status "error" (execution): many-to-many matching',
      },
    },
    {
      name: '503 timeout is transient',
      status: 503,
      body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }),
      want: {
        kind: 'error',
        errorClass: 'transient',
        reason: 'timeout',
        message: 'HTTP 503, status "error" (timeout): query timed out',
      },
    },
    {
      name: '502 from a proxy, not JSON, is transient',
      status: 502,
      body: '<html>Bad Gateway</html>',
      want: {
        kind: 'error',
        errorClass: 'transient',
        reason: 'serverError',
        message: 'HTTP 502, body is not JSON (is the URL a Prometheus server?): "<html>Bad Gateway</html>"',
      },
    },
    {
      name: '200 with an HTML page is not Prometheus',
      status: 200,
      body: '<html>login</html>',
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'notPrometheus',
        message: 'HTTP 200, body is not JSON (is the URL a Prometheus server?): "<html>login</html>"',
      },
    },
    {
      name: '200 with status error is not trusted',
      status: 200,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'oops' }),
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'badQuery',
        message: 'HTTP 200, status "error" (bad_data): oops',
      },
    },
    {
      name: '401 without a Prometheus body is an auth problem',
      status: 401,
      body: JSON.stringify({ message: 'unauthorized' }),
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'unauthorized',
        message: 'HTTP 401, status null: no error text',
      },
    },
    {
      name: '404 at a wrong path',
      status: 404,
      body: '404 page not found',
      want: {
        kind: 'error',
        errorClass: 'config',
        reason: 'notFound',
        message: 'HTTP 404, body is not JSON (is the URL a Prometheus server?): "404 page not found"',
      },
    },
  ];
  test.each(cases)('$name', ({ status, body, want }) => {
    expect(parseQueryResponse(status, body)).toEqual(want);
  });
});

describe('combineValues', () => {
  const cases: ReadonlyArray<{
    name: string;
    values: number[];
    aggregate: 'max' | 'avg' | 'sum';
    want: number | undefined;
  }> = [
    { name: 'no values is no data', values: [], aggregate: 'max', want: undefined },
    { name: 'max', values: [1, 3, 2], aggregate: 'max', want: 3 },
    { name: 'avg', values: [1, 3, 2], aggregate: 'avg', want: 2 },
    { name: 'sum', values: [1, 3, 2], aggregate: 'sum', want: 6 },
    { name: 'an idle NaN pod does not hide a busy one', values: [Number.NaN, 2], aggregate: 'max', want: 2 },
    { name: 'avg leaves NaN out', values: [Number.NaN, 2, 4], aggregate: 'avg', want: 3 },
    { name: 'all NaN stays NaN', values: [Number.NaN, Number.NaN], aggregate: 'sum', want: Number.NaN },
    { name: '+Inf is a value', values: [1, Number.POSITIVE_INFINITY], aggregate: 'max', want: Infinity },
    { name: '-Inf is a value', values: [Number.NEGATIVE_INFINITY], aggregate: 'avg', want: -Infinity },
  ];
  test.each(cases)('$name', ({ values, aggregate, want }) => {
    expect(combineValues(values, aggregate)).toBe(want);
  });
});
