/**
 * The ConfigMap watch against the real API server: live reload, invalid blocks skipped with a Warning
 * Event on the ConfigMap and an exported counter, an unusable document keeping the last good config.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createControllerMetrics, Registry } from '../exporter/index.js';
import { createTestNamespace, deleteNamespace, eventually, kubeClients } from '../test/cluster-state.js';
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
