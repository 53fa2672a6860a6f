import { Registry } from 'prom-client';

import { createControllerMetrics } from './controller-metrics.js';
import { startMetricsServer, type MetricsServer, type ProbeResult } from './metrics-server.js';
import { configLoadedCheck, loopProgressCheck } from './probes.js';

describe('startMetricsServer', () => {
  let server: MetricsServer;
  let configLoaded = false;
  let apiServer: ProbeResult = { ok: false, reason: 'apiServerUnreachable', message: 'connection refused' };
  let lastTickAtMs: number | undefined;
  const startMs = Date.UTC(2026, 0, 1);
  let nowMs = startMs;
  const failures: string[] = [];

  beforeAll(async () => {
    const registry = new Registry();
    createControllerMetrics(registry).recordDecision('demo', 'gpt2', { action: 'up', reason: 'sloPressure' });
    server = await startMetricsServer({
      registry,
      port: 0,
      livenessChecks: [
        loopProgressCheck(
          () => lastTickAtMs,
          () => nowMs,
          60_000,
        ),
      ],
      readinessChecks: [configLoadedCheck(() => configLoaded), { name: 'apiserver', check: () => apiServer }],
      onCheckFailed: (name, result) => failures.push(`${name}: ${result.reason}: ${result.message}`),
    });
  });
  afterAll(() => server.close());

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return {
      status: response.status,
      body: await response.text(),
      type: response.headers.get('content-type'),
    };
  };

  it('binds loopback and serves the registry on /metrics in the text format', async () => {
    expect(server.host).toBe('127.0.0.1');
    const { status, body, type } = await get('/metrics');
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(body).toContain(
      'ksiss_decisions_total{namespace="demo",service="gpt2",action="up",reason="sloPressure"} 1',
    );
  });

  it.each([
    {
      name: 'not ready before the config is loaded',
      setup: () => {
        configLoaded = false;
        apiServer = { ok: true };
      },
      status: 503,
      fragment: '[-]config failed: configNotLoaded',
    },
    {
      name: 'not ready while the API server does not answer',
      setup: () => {
        configLoaded = true;
        apiServer = { ok: false, reason: 'apiServerUnreachable', message: 'connection refused' };
      },
      status: 503,
      // The detail (an API server's error text) is not served: it goes to onCheckFailed, the log.
      fragment: '[-]apiserver failed: apiServerUnreachable\n',
    },
    {
      name: 'ready once both hold',
      setup: () => {
        configLoaded = true;
        apiServer = { ok: true };
      },
      status: 200,
      fragment: '[+]config ok\n[+]apiserver ok\nok',
    },
  ])('/readyz: $name', async ({ setup, status, fragment }) => {
    setup();
    failures.length = 0;
    const response = await get('/readyz');
    expect(response.status).toBe(status);
    expect(response.body).toContain(fragment);
    expect(response.body).not.toContain('connection refused');
    if (status === 503) {
      expect(failures.join('\n')).toMatch(
        /^(config: configNotLoaded: no valid config loaded yet|apiserver: apiServerUnreachable: connection refused)$/,
      );
    }
  });

  it.each([
    { name: 'live before the first tick', last: undefined, ageMs: 0, status: 200 },
    { name: 'live after a recent tick', last: startMs, ageMs: 30_000, status: 200 },
    { name: 'not live when the loop is stuck', last: startMs, ageMs: 120_000, status: 503 },
  ])('/healthz: $name', async ({ last, ageMs, status }) => {
    lastTickAtMs = last;
    nowMs = startMs + ageMs;
    expect((await get('/healthz')).status).toBe(status);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
