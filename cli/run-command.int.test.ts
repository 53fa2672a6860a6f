/**
 * `k-siss run` as a child process against the local cluster: it loads the ConfigMap, serves /metrics and
 * /readyz, picks up a ConfigMap change live, and exits 0 on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  clusterState,
  createTestNamespace,
  deleteNamespace,
  eventually,
  kubeClients,
} from '../test/cluster-state.js';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

const block = `- name: latency
  query: 'vector(1)'
  slo: 1
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

/** Starts `k-siss run` for `namespace` as a child process; its JSON log lines are pushed to `lines`. */
function startRun(namespace: string, lines: LogLine[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoDir, 'cli', 'main.ts'),
      'run',
      '--kubeconfig',
      clusterState().kubeconfig,
      '--namespace',
      namespace,
      '--metrics-port',
      '0',
      '--interval-seconds',
      '1',
    ],
    { cwd: repoDir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KUBECONFIG: '' } },
  );
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  return child;
}

const configMap = (data: Record<string, string>) => ({
  metadata: { name: 'autoscaler-config' },
  data: { _global: `prometheusUrl: ${clusterState().prometheusUrl}\n`, ...data },
});

describe('k-siss run (child process)', () => {
  let namespace = '';
  let child: ChildProcess;
  const lines: LogLine[] = [];
  const find = (message: string, where: (line: LogLine) => boolean = () => true): LogLine | undefined =>
    lines.find((line) => line.message === message && where(line));

  beforeAll(async () => {
    namespace = await createTestNamespace('run-cmd');
    await kubeClients().core.createNamespacedConfigMap({ namespace, body: configMap({ gpt2: block }) });
    child = startRun(namespace, lines);
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await deleteNamespace(namespace);
  });

  test('loads the ConfigMap of its namespace and becomes ready', async () => {
    const loaded = await eventually('config loaded', async () => find('config loaded'), 120_000);
    expect(loaded.services).toEqual(['gpt2']);
    const started = find('k-siss controller starting');
    const metricsUrl = String(started?.metricsUrl);
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await eventually('/readyz 200', async () =>
      (await fetch(`${metricsUrl}/readyz`)).ok ? true : undefined,
    );
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toContain('ksiss_config_reloads_total{result="success"} 1');
  });

  test('a ConfigMap change is picked up without restart', async () => {
    await kubeClients().core.patchNamespacedConfigMap(
      { namespace, name: 'autoscaler-config', body: { data: { llama: block } } },
      MERGE_PATCH,
    );
    const reloaded = await eventually('second config loaded', async () =>
      find('config loaded', (line) => Array.isArray(line.services) && line.services.length === 2),
    );
    expect(reloaded.services).toEqual(['gpt2', 'llama']);
  });

  test('SIGTERM: the controller stops cleanly with exit code 0', async () => {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(find('k-siss controller stopped')?.exitCode).toBe(0);
  });
});

describe('k-siss run started with an unusable ConfigMap', () => {
  let namespace = '';
  let child: ChildProcess;
  const lines: LogLine[] = [];
  const find = (message: string): LogLine | undefined => lines.find((line) => line.message === message);

  beforeAll(async () => {
    namespace = await createTestNamespace('run-bad-cm');
    // An invalid `_global` makes the whole document unusable: with no last good config, nothing runs.
    await kubeClients().core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'autoscaler-config' },
        data: { _global: 'intervalSeconds: -1\n', gpt2: block },
      },
    });
    child = startRun(namespace, lines);
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await deleteNamespace(namespace);
  });

  test('the policy controller starts once the ConfigMap is fixed, without a restart', async () => {
    await eventually('controller starting', async () => find('k-siss controller starting'), 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(find('policy controller started')).toBeUndefined();
    await kubeClients().core.replaceNamespacedConfigMap({
      namespace,
      name: 'autoscaler-config',
      body: configMap({ gpt2: block }),
    });
    const started = await eventually('policy controller started', async () =>
      find('policy controller started'),
    );
    expect(started.prometheusUrl).toBe(clusterState().prometheusUrl);
    expect(child.exitCode).toBeNull();
  });
});
