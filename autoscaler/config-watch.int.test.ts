/**
 * The ConfigMap watch against the real API server: live reload, invalid blocks skipped with a Warning
 * Event on the ConfigMap and an exported counter, an unusable document keeping the last good config.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createControllerMetrics, Registry } from '../exporter/index.js';
import { createTestNamespace, deleteNamespace, eventually, kubeClients } from '../test/cluster-state.js';
import { aliasBomb, RECURSIVE_ALIAS_BLOCK } from '../test/hostile-inputs.js';
import type { ConfigWatch } from './index.js';
import { createConfigWatch, createLogger, systemClock } from './index.js';

const NAME = 'autoscaler-config';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const block = `- name: latency
  query: 'x{pod="%s"}'
  slo: 0.5
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('config watch on the local API server', () => {
  let namespace = '';
  let watch: ConfigWatch;
  const registry = new Registry();
  const stopping = new AbortController();
  const services = (): string[] => [...(watch.current()?.services.keys() ?? [])];

  beforeAll(async () => {
    namespace = await createTestNamespace('config-watch');
    await kubeClients().core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: NAME },
        data: { gpt2: block, broken: '- name: m\n  query: up\n  slo: -1\n' },
      },
    });
    watch = createConfigWatch({
      kubeConfig: kubeClients().kc,
      name: NAME,
      namespace,
      env: { NAMESPACE: namespace },
      logger: createLogger({ silent: true }),
      metrics: createControllerMetrics(registry),
      sleep: (ms, signal) => systemClock.sleep(ms, signal ?? stopping.signal),
    });
    await watch.start();
  });

  afterAll(async () => {
    stopping.abort();
    await watch.stop();
    await deleteNamespace(namespace);
  });

  test('the first version is loaded at start; the invalid block is skipped, evented and counted', async () => {
    expect(services()).toEqual(['gpt2']);
    expect(await counter(registry, 'ksiss_config_reloads_total', { result: 'success' })).toBe(1);
    expect(await counter(registry, 'ksiss_config_invalid_blocks_total', { key: 'broken' })).toBe(1);
    const event = await eventually('Warning event on the ConfigMap', async () => {
      const events = await kubeClients().core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=ConfigMap,involvedObject.name=${NAME}`,
      });
      return events.items.find((e) => e.reason === 'InvalidServiceConfig');
    });
    expect(event.type).toBe('Warning');
    expect(event.message).toContain('broken[0].slo = -1: must be > 0');
  });

  test('a change is picked up live, without restart', async () => {
    await kubeClients().core.patchNamespacedConfigMap(
      {
        namespace,
        name: NAME,
        body: { data: { llama: block, broken: null } },
      },
      MERGE_PATCH,
    );
    await eventually('llama configured', async () => (services().includes('llama') ? true : undefined));
    expect(services()).toEqual(['gpt2', 'llama']);
  });

  test('an unusable document keeps the last good config, with an event and a failure count', async () => {
    await kubeClients().core.patchNamespacedConfigMap(
      {
        namespace,
        name: NAME,
        body: { data: { _global: 'intervalSeconds: -5\n', gpt2: null } },
      },
      MERGE_PATCH,
    );
    await eventually('reload failure counted', async () =>
      (await counter(registry, 'ksiss_config_reloads_total', { result: 'failure' })) === 1 ? true : undefined,
    );
    expect(services()).toEqual(['gpt2', 'llama']);
    const event = await eventually('InvalidConfig event', async () => {
      const events = await kubeClients().core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=ConfigMap,involvedObject.name=${NAME}`,
      });
      return events.items.find((e) => e.reason === 'InvalidConfig');
    });
    expect(event.message).toContain('_global.intervalSeconds = -5: must be > 0');
  });

  test('deleting the ConfigMap keeps the last good config', async () => {
    await kubeClients().core.deleteNamespacedConfigMap({ namespace, name: NAME });
    await eventually('ConfigMap gone', async () => {
      try {
        await kubeClients().core.readNamespacedConfigMap({ namespace, name: NAME });
        return undefined;
      } catch {
        return true;
      }
    });
    expect(services()).toEqual(['gpt2', 'llama']);
  });
});

/** Hostile edits of the ConfigMap (issue 14): each is refused with an Event and a count, none stops the watch. */
describe('config watch on the local API server: hostile documents', () => {
  let namespace = '';
  let watch: ConfigWatch;
  const registry = new Registry();
  const stopping = new AbortController();
  const services = (): string[] => [...(watch.current()?.services.keys() ?? [])];
  const lastGood = { gpt2: block, llama: block };

  async function warningEvents(): Promise<{ reason: string; message: string }[]> {
    const events = await kubeClients().core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=ConfigMap,involvedObject.name=${NAME}`,
    });
    return events.items
      .filter((e) => e.type === 'Warning')
      .map((e) => ({ reason: e.reason ?? '', message: e.message ?? '' }));
  }

  beforeAll(async () => {
    namespace = await createTestNamespace('config-hostile');
    await kubeClients().core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: NAME }, data: lastGood },
    });
    watch = createConfigWatch({
      kubeConfig: kubeClients().kc,
      name: NAME,
      namespace,
      env: { NAMESPACE: namespace },
      logger: createLogger({ silent: true }),
      metrics: createControllerMetrics(registry),
      sleep: (ms, signal) => systemClock.sleep(ms, signal ?? stopping.signal),
    });
    await watch.start();
  });

  afterAll(async () => {
    stopping.abort();
    await watch.stop();
    await deleteNamespace(namespace);
  });

  // `skipped`: one service block is refused, the others load; `unusable`: the whole document is refused.
  const cases: ReadonlyArray<{
    name: string;
    data: Record<string, string>;
    outcome: 'skipped' | 'unusable';
    event: string;
    why?: string;
  }> = [
    {
      name: 'a metric block with a recursive alias',
      data: { gpt2: block, ttft: RECURSIVE_ALIAS_BLOCK },
      outcome: 'skipped',
      event: 'skipped invalid blocks: ttft = "- &x',
      why: ': recursive YAML alias: a value contains itself',
    },
    {
      name: 'a service block that is an alias bomb',
      data: { gpt2: block, bomb: aliasBomb() },
      outcome: 'skipped',
      event: 'skipped invalid blocks: bomb = "a: &a [',
      why: ': YAML aliases expand the document to more than 100000 values (an alias bomb?)',
    },
    {
      name: '_global with a recursive alias',
      data: { gpt2: block, _global: '&g {intervalSeconds: 5, self: *g}\n' },
      outcome: 'unusable',
      event: '_global = [redacted]: recursive YAML alias',
    },
    {
      name: '_tiers as an alias bomb',
      data: { gpt2: block, _tiers: `- name: mig-1g.10gb\n  extra:\n${aliasBomb('    ')}` },
      outcome: 'unusable',
      event: 'last good config kept: _tiers = "- name: mig-1g.10gb',
      why: ': YAML aliases expand the document to more than 100000 values (an alias bomb?)',
    },
    {
      name: 'an interval that would overflow the timer',
      data: { gpt2: block, _global: 'intervalSeconds: 1e12\n' },
      outcome: 'unusable',
      event: '_global.intervalSeconds = 1000000000000: must be at most 2147483',
    },
    {
      name: 'a header value with CR/LF (not shown)',
      data: { gpt2: block, _global: 'prometheusHeaders: {X-Scope-OrgID: "tenant\\r\\nX-Injected: 1"}\n' },
      outcome: 'unusable',
      event: '_global.prometheusHeaders.X-Scope-OrgID = [redacted]: must not contain CR, LF',
    },
  ];

  test.each(cases)(
    '$name: refused, evented, counted; the watch goes on',
    async ({ data, outcome, event, why }) => {
      const failuresBefore = await counter(registry, 'ksiss_config_reloads_total', { result: 'failure' });
      const successesBefore = await counter(registry, 'ksiss_config_reloads_total', { result: 'success' });
      await kubeClients().core.replaceNamespacedConfigMap({
        namespace,
        name: NAME,
        body: { metadata: { name: NAME }, data },
      });
      const found = await eventually(`Warning event containing ${event}`, async () =>
        (await warningEvents()).find((e) => e.message.includes(event)),
      );
      expect(found.reason).toBe(outcome === 'skipped' ? 'InvalidServiceConfig' : 'InvalidConfig');
      expect(found.message.length).toBeLessThanOrEqual(1000);
      if (why !== undefined) expect(found.message).toContain(why);
      if (outcome === 'skipped') {
        const key = Object.keys(data).find((k) => k !== 'gpt2') ?? '';
        expect(await counter(registry, 'ksiss_config_invalid_blocks_total', { key })).toBeGreaterThanOrEqual(
          1,
        );
        expect(await counter(registry, 'ksiss_config_reloads_total', { result: 'success' })).toBe(
          successesBefore + 1,
        );
        expect(services()).toEqual(['gpt2']);
      } else {
        expect(await counter(registry, 'ksiss_config_reloads_total', { result: 'failure' })).toBe(
          failuresBefore + 1,
        );
        // The config in force is the one before this edit.
        expect(watch.current()).toBeDefined();
      }
      // Back to a good document: the watch still follows the ConfigMap.
      await kubeClients().core.replaceNamespacedConfigMap({
        namespace,
        name: NAME,
        body: { metadata: { name: NAME }, data: lastGood },
      });
      await eventually('the good document loaded again', async () =>
        services().length === 2 ? true : undefined,
      );
    },
  );

  test('an unusable edit keeps the last good config (both services still configured)', async () => {
    await kubeClients().core.replaceNamespacedConfigMap({
      namespace,
      name: NAME,
      body: { metadata: { name: NAME }, data: { gpt2: block, _global: `${aliasBomb()}` } },
    });
    await eventually('alias bomb event', async () =>
      (await warningEvents()).find((e) =>
        e.message.startsWith(
          'config unusable, last good config kept: _global = [redacted]: YAML aliases expand',
        ),
      ),
    );
    expect(services()).toEqual(['gpt2', 'llama']);
  });

  test('more than 1 MiB: the API server itself refuses it, the config in force is unchanged', async () => {
    const huge = `- name: m\n  query: '${'x'.repeat(1024 * 1024)}'\n  slo: 1\n  scaleUpFactor: 2\n  scaleDownFactor: 1\n`;
    await expect(
      kubeClients().core.replaceNamespacedConfigMap({
        namespace,
        name: NAME,
        body: { metadata: { name: NAME }, data: { gpt2: block, huge } },
      }),
    ).rejects.toThrow(/1048576/);
    expect(services()).toEqual(['gpt2', 'llama']);
  });
});
