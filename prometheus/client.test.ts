/**
 * The client against an in-process HTTP server on 127.0.0.1 that hands back canned answers
 * (it does not evaluate PromQL: it only lets us check how the client treats each kind of answer).
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrometheusClient, queryEndpoint } from './client.js';
import { createMetricsSource, createPrometheusMetricsSource } from './metrics-source.js';
import type { QueryTarget } from './placeholders.js';
import { createSemaphore } from './semaphore.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly query: string;
  /** The form's `time` (evaluation time), when sent. */
  readonly time: string | undefined;
}

type Answer = { status: number; body: string } | 'hang';

/** A server whose answer is chosen per request by `answer(query)`. */
class CannedServer {
  readonly received: Received[] = [];
  private readonly hanging: ServerResponse[] = [];
  private readonly server: Server;
  inFlight = 0;
  maxInFlight = 0;
  private release: Array<() => void> = [];
  holdBatches = false;

  constructor(private readonly answer: (query: string) => Answer) {
    this.server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const form = new URLSearchParams(text);
        const query = form.get('query') ?? '';
        this.received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          query,
          time: form.get('time') ?? undefined,
        });
        const chosen = this.answer(query);
        if (chosen === 'hang') {
          this.hanging.push(response);
          return;
        }
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const send = (): void => {
          this.inFlight -= 1;
          response.writeHead(chosen.status, { 'Content-Type': 'application/json' }).end(chosen.body);
        };
        if (!this.holdBatches) {
          send();
          return;
        }
        // Answer whatever arrived together once the client has stopped sending for a moment, so an
        // unbounded client would show all its requests in flight at once.
        this.release.push(send);
        setTimeout(() => {
          const batch = this.release;
          this.release = [];
          batch.forEach((fn) => fn());
        }, 40);
      });
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.hanging.forEach((response) => response.destroy());
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

const success = (resultType: string, result: unknown): Answer => ({
  status: 200,
  body: JSON.stringify({ status: 'success', data: { resultType, result } }),
});
const vector = (...values: string[]): Answer =>
  success(
    'vector',
    values.map((value, index) => ({ metric: { pod: `p${index}` }, value: [1700000000, value] })),
  );

const target: QueryTarget = {
  namespace: 'ns',
  service: 'gpt2',
  revision: 'gpt2-00001',
  readyPods: ['p-a', 'p-b'],
};

describe('createPrometheusClient against canned answers', () => {
  const answers: Record<string, Answer> = {
    vector: vector('0.5', '2'),
    scalar: success('scalar', [1700000000, '4']),
    matrix: success('matrix', [
      {
        metric: { pod: 'x' },
        values: [
          [1, '1'],
          [2, '9'],
        ],
      },
    ]),
    nanInf: vector('NaN', '+Inf'),
    empty: vector(),
    badData: {
      status: 400,
      body: JSON.stringify({
        status: 'error',
        errorType: 'bad_data',
        error: 'parse error at char 5: unexpected "}"',
      }),
    },
    unavailable: {
      status: 503,
      body: JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'busy' }),
    },
    notJson: { status: 200, body: '<html>hello</html>' },
    statusError: {
      status: 200,
      body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'exec failed' }),
    },
    hang: 'hang',
  };
  const server = new CannedServer((query) => answers[query] ?? vector('1'));
  let baseUrl = '';
  beforeAll(async () => {
    baseUrl = await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  const cases: ReadonlyArray<{ query: string; want: unknown }> = [
    {
      query: 'vector',
      want: {
        kind: 'ok',
        samples: [
          { labels: { pod: 'p0' }, value: 0.5 },
          { labels: { pod: 'p1' }, value: 2 },
        ],
      },
    },
    { query: 'scalar', want: { kind: 'ok', samples: [{ labels: {}, value: 4 }] } },
    { query: 'matrix', want: { kind: 'ok', samples: [{ labels: { pod: 'x' }, value: 9 }] } },
    {
      query: 'nanInf',
      want: {
        kind: 'ok',
        samples: [
          { labels: { pod: 'p0' }, value: Number.NaN },
          { labels: { pod: 'p1' }, value: Number.POSITIVE_INFINITY },
        ],
      },
    },
    { query: 'empty', want: { kind: 'ok', samples: [] } },
    {
      query: 'badData',
      want: expect.objectContaining({ kind: 'error', errorClass: 'config', reason: 'badQuery' }),
    },
    {
      query: 'unavailable',
      want: expect.objectContaining({ kind: 'error', errorClass: 'transient', reason: 'serverError' }),
    },
    {
      query: 'notJson',
      want: expect.objectContaining({ kind: 'error', errorClass: 'config', reason: 'notPrometheus' }),
    },
    {
      query: 'statusError',
      want: expect.objectContaining({ kind: 'error', errorClass: 'config', reason: 'queryExecution' }),
    },
    {
      query: 'hang',
      want: expect.objectContaining({ kind: 'error', errorClass: 'transient', reason: 'timeout' }),
    },
  ];
  test.each(cases)('$query', async ({ query, want }) => {
    const client = createPrometheusClient({ url: baseUrl, timeoutMs: 300 });
    expect(await client.query(query)).toEqual(want);
  });

  test('the query is form-encoded in a POST to /api/v1/query, with the configured headers', async () => {
    const client = createPrometheusClient({
      url: `${baseUrl}/api/v1/query`,
      timeoutMs: 1000,
      headers: { Authorization: 'Bearer t0ken' },
    });
    const promql = 'sum(rate(x{pod=~"a|b",le="+Inf"}[1m])) / 2 & on() vector(1)';
    await client.query(promql);
    const last = server.received[server.received.length - 1];
    expect(last).toEqual(expect.objectContaining({ method: 'POST', url: '/api/v1/query', query: promql }));
    expect(last?.headers.authorization).toBe('Bearer t0ken');
    expect(last?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  test('an abort signal ends the query as aborted', async () => {
    const client = createPrometheusClient({ url: baseUrl, timeoutMs: 60000 });
    const controller = new AbortController();
    const pending = client.query('hang', controller.signal);
    controller.abort();
    expect(await pending).toEqual(expect.objectContaining({ errorClass: 'transient', reason: 'aborted' }));
  });

  test('the metrics source names service, metric and the Prometheus error text', async () => {
    const source = createPrometheusMetricsSource({ url: baseUrl, timeoutMs: 1000, maxConcurrentQueries: 2 });
    const result = await source.read(target, [
      { name: 'latency', query: 'badData', aggregate: 'max' },
      { name: 'rate', query: 'vector', aggregate: 'sum' },
      { name: 'idle', query: 'empty', aggregate: 'max' },
      { name: 'ratio', query: 'nanInf', aggregate: 'max' },
    ]);
    expect(result.values).toEqual({ rate: 2.5, idle: undefined, ratio: Number.POSITIVE_INFINITY });
    expect(result.failures).toEqual([
      {
        metric: 'latency',
        errorClass: 'config',
        reason: 'badQuery',
        message:
          'service ns/gpt2 metric latency: Prometheus query failed (badQuery): HTTP 400, status "error" (bad_data): ' +
          'parse error at char 5: unexpected "}"; query: badData',
      },
    ]);
  });
});

describe('queryEndpoint', () => {
  const cases: ReadonlyArray<{ url: string; want: string }> = [
    { url: 'http://127.0.0.1:9090', want: 'http://127.0.0.1:9090/api/v1/query' },
    { url: 'http://127.0.0.1:9090/', want: 'http://127.0.0.1:9090/api/v1/query' },
    { url: 'http://127.0.0.1:9090/api/v1/query', want: 'http://127.0.0.1:9090/api/v1/query' },
    { url: 'http://127.0.0.1:9090/prom/', want: 'http://127.0.0.1:9090/prom/api/v1/query' },
  ];
  test.each(cases)('$url', ({ url, want }) => {
    expect(queryEndpoint(url)).toBe(want);
  });
  test.each([
    { url: 'not a url', message: 'prometheus URL = "not a url": not a URL' },
    {
      url: 'ftp://127.0.0.1/',
      message: 'prometheus URL = "ftp://127.0.0.1/": must start with http:// or https://',
    },
  ])('a bad URL names itself: $url', ({ url, message }) => {
    expect(() => queryEndpoint(url)).toThrow(message);
  });
});

describe('transport failures', () => {
  test('connection refused is transient', async () => {
    const server = new CannedServer(() => vector('1'));
    const url = await server.start();
    await server.stop();
    const client = createPrometheusClient({ url, timeoutMs: 1000 });
    expect(await client.query('up')).toEqual(
      expect.objectContaining({ kind: 'error', errorClass: 'transient', reason: 'unreachable' }),
    );
  });
});

describe('evaluation time', () => {
  test('a query with an offset is evaluated that long before the read; one without has no time', async () => {
    const server = new CannedServer(() => vector('1'));
    const url = await server.start();
    try {
      const client = createPrometheusClient({ url, timeoutMs: 5000 });
      const source = createMetricsSource(client, 1, undefined, () => 1_700_000_000_500);
      await source.read(target, [
        { name: 'now', query: 'a', aggregate: 'sum' },
        { name: 'then', query: 'b', aggregate: 'sum', offsetSeconds: 120 },
      ]);
      const timeOf = (query: string) => server.received.find((r) => r.query === query)?.time;
      expect(timeOf('a')).toBeUndefined();
      expect(timeOf('b')).toBe('1699999880.500');
    } finally {
      await server.stop();
    }
  });
});

describe('concurrency bound', () => {
  test('per-pod queries of several services never exceed the bound', async () => {
    const server = new CannedServer(() => vector('1'));
    server.holdBatches = true;
    const url = await server.start();
    try {
      const source = createPrometheusMetricsSource({ url, timeoutMs: 5000, maxConcurrentQueries: 2 });
      const pods = { ...target, readyPods: ['a', 'b', 'c'] };
      const results = await Promise.all([
        source.read(pods, [{ name: 'm', query: 'x{pod="%s"}', aggregate: 'sum' }]),
        source.read(pods, [{ name: 'm', query: 'y{pod="%s"}', aggregate: 'sum' }]),
      ]);
      expect(results.map((result) => result.values)).toEqual([{ m: 3 }, { m: 3 }]);
      expect(server.received).toHaveLength(6);
      expect(server.maxInFlight).toBe(2);
    } finally {
      await server.stop();
    }
  });

  test('the semaphore starts the next task only when one ends', async () => {
    const semaphore = createSemaphore(2);
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const tasks = [0, 1, 2, 3].map((index) =>
      semaphore.run(async () => {
        started.push(index);
        await new Promise<void>((resolve) => finish.push(resolve));
        return index;
      }),
    );
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(started).toEqual([0, 1]);
    finish[0]?.();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    finish[1]?.();
    finish[2]?.();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    finish[3]?.();
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
  });
});
