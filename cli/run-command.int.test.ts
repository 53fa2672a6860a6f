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
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';

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

/** The running controller under hostile ConfigMap edits (issue 14): it stays up and keeps its config. */
describe('k-siss run (child process) under hostile ConfigMap edits', () => {
  let namespace = '';
  let child: ChildProcess;
  let metricsUrl = '';
  const lines: LogLine[] = [];
  const find = (message: string, where: (line: LogLine) => boolean = () => true): LogLine | undefined =>
    lines.find((line) => line.message === message && where(line));
  const sample = async (series: string): Promise<number> => {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };

  beforeAll(async () => {
    namespace = await createTestNamespace('run-hostile');
    await kubeClients().core.createNamespacedConfigMap({
      namespace,
      body: configMap({ gpt2: block, llama: block }),
    });
    child = startRun(namespace, lines);
    await eventually('config loaded', async () => find('config loaded'), 120_000);
    metricsUrl = String(find('k-siss controller starting')?.metricsUrl);
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await deleteNamespace(namespace);
  });

  const cases: ReadonlyArray<{
    name: string;
    data: Record<string, string>;
    series: string;
    event: string;
  }> = [
    {
      name: 'a metric block with a recursive alias',
      data: { gpt2: block, llama: block, ttft: RECURSIVE_ALIAS_BLOCK },
      series: 'ksiss_config_invalid_blocks_total{key="ttft"}',
      event: 'recursive YAML alias',
    },
    {
      name: '_global as an alias bomb',
      data: { gpt2: block, _global: aliasBomb() },
      series: 'ksiss_config_reloads_total{result="failure"}',
      event: '_global = [redacted]: YAML aliases expand',
    },
    {
      name: '_global with a recursive alias',
      data: { gpt2: block, _global: '&g {intervalSeconds: 5, self: *g}\n' },
      series: 'ksiss_config_reloads_total{result="failure"}',
      event: '_global = [redacted]: recursive YAML alias',
    },
    {
      name: 'a service block that is an alias bomb',
      data: { gpt2: block, llama: block, bomb: aliasBomb() },
      series: 'ksiss_config_invalid_blocks_total{key="bomb"}',
      event: 'bomb = "a: &a [',
    },
    {
      name: '_tiers as an alias bomb',
      data: { gpt2: block, _tiers: `- name: mig-1g.10gb\n  extra:\n${aliasBomb('    ')}` },
      series: 'ksiss_config_reloads_total{result="failure"}',
      event: '_tiers = "- name: mig-1g.10gb',
    },
    {
      name: 'an interval that would overflow the timer',
      data: { gpt2: block, _global: 'intervalSeconds: 1e12\n' },
      series: 'ksiss_config_reloads_total{result="failure"}',
      event: '_global.intervalSeconds = 1000000000000: must be at most 2147483',
    },
    {
      name: 'a header value with CR/LF',
      data: { gpt2: block, _global: 'prometheusHeaders: {X-Scope-OrgID: "tenant\\r\\nX-Injected: 1"}\n' },
      series: 'ksiss_config_reloads_total{result="failure"}',
      event: '_global.prometheusHeaders.X-Scope-OrgID = [redacted]: must not contain CR, LF',
    },
  ];

  test.each(cases)('$name: a Warning Event and a count, the process stays up and ready', async (c) => {
    const before = await sample(c.series);
    await kubeClients().core.replaceNamespacedConfigMap({
      namespace,
      name: 'autoscaler-config',
      body: configMap(c.data),
    });
    await eventually(`${c.series} counted`, async () =>
      (await sample(c.series)) > before ? true : undefined,
    );
    const event = await eventually('Warning Event on the ConfigMap', async () => {
      const events = await kubeClients().core.listNamespacedEvent({
        namespace,
        fieldSelector: 'involvedObject.kind=ConfigMap,involvedObject.name=autoscaler-config',
      });
      return events.items.find((e) => e.type === 'Warning' && (e.message ?? '').includes(c.event));
    });
    expect((event.message ?? '').length).toBeLessThanOrEqual(1000);
    expect(child.exitCode).toBeNull();
    await eventually('/readyz 200', async () =>
      (await fetch(`${metricsUrl}/readyz`)).ok ? true : undefined,
    );
  });

  test('after the unusable edits the last good config is in force, and a good edit still loads', async () => {
    expect(find('config document unusable: the last good config stays in force')).toBeDefined();
    // The header value (possibly a credential) is in no Event and no log line.
    const events = await kubeClients().core.listNamespacedEvent({ namespace });
    expect(events.items.some((e) => (e.message ?? '').includes('X-Injected'))).toBe(false);
    expect(lines.some((line) => JSON.stringify(line).includes('X-Injected'))).toBe(false);
    const loadsBefore = lines.filter((line) => line.message === 'config loaded').length;
    await kubeClients().core.replaceNamespacedConfigMap({
      namespace,
      name: 'autoscaler-config',
      body: configMap({ gpt2: block, mistral: block }),
    });
    const loaded = await eventually(
      'the good edit loaded',
      async () => lines.filter((line) => line.message === 'config loaded').slice(loadsBefore)[0],
    );
    expect(loaded.services).toEqual(['gpt2', 'mistral']);
    expect(child.exitCode).toBeNull();
  });
});
