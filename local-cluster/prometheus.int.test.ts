import {
  addScrapeTargets,
  clusterState,
  eventually,
  promQuery,
  removeScrapeTargets,
  startPrometheus,
  stopPrometheus,
} from '../test/cluster-state.js';
import { createServer, type Server } from 'node:http';

/** jest's per-project testTimeout is not applied (it is a global option), so each test names its own. */
const TEST_TIMEOUT_MS = 300_000;

// Our own Prometheus process: it can be stopped and started alone, keeps its port, and picks up extra
// targets dropped in at run time (how the ops helper adds the k-siss exporter).

let server: Server | undefined;

afterAll(async () => {
  removeScrapeTargets('probe-exporter');
  await startPrometheus();
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
}, TEST_TIMEOUT_MS);

test(
  'Prometheus stops and starts again on the same URL',
  async () => {
    const url = clusterState().prometheusUrl;
    await stopPrometheus();
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
    expect(await startPrometheus()).toBe(url);
    await eventually('Prometheus answers queries again', async () =>
      (await promQuery('vector(1)'))[0]?.value === 1 ? true : undefined,
    );
  },
  TEST_TIMEOUT_MS,
);

test(
  'extra scrape targets added at run time are scraped',
  async () => {
    // A tiny real HTTP endpoint standing in for an exporter (the thing scraped, not Prometheus).
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE k_siss_probe gauge\nk_siss_probe 42\n');
    });
    const port = await new Promise<number>((resolve) =>
      server?.listen(0, '127.0.0.1', () => {
        const address = server?.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      }),
    );
    addScrapeTargets('probe-exporter', [`127.0.0.1:${port}`]);
    const sample = await eventually(
      'k_siss_probe scraped',
      async () => {
        const r = await promQuery('k_siss_probe');
        return r.length > 0 ? r[0] : undefined;
      },
      60_000,
    );
    expect(sample?.value).toBe(42);
    expect(sample?.labels.job).toBe('probe-exporter');
  },
  TEST_TIMEOUT_MS,
);
