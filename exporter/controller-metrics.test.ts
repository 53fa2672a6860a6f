import { register as globalRegistry, Registry } from 'prom-client';

import { createControllerMetrics, type ControllerMetrics } from './controller-metrics.js';
import { createPolicyMetrics } from './policy-metrics.js';

const mig1g = { name: 'mig-1g.10gb', kind: 'mig', computeFraction: 1 / 7, memoryGb: 10 } as const;
const mig3g = { name: 'mig-3g.40gb', kind: 'mig', computeFraction: 3 / 7, memoryGb: 40 } as const;
const tpot = { name: 'tpot', slo: 0.05, scaleUpFactor: 1.2, scaleDownFactor: 0.5 };

interface Case {
  readonly name: string;
  readonly record: (metrics: ControllerMetrics) => void;
  /** Lines (or line prefixes) the exposition must contain. */
  readonly present: readonly string[];
  /** Substrings the exposition must not contain. */
  readonly absent?: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: 'service state: tier info, replicas, compute fraction and the original gauge',
    record: (m) =>
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-00001',
        tier: mig1g,
        readyReplicas: 2,
      }),
    present: [
      'ksiss_service_tier_info{namespace="demo",service="gpt2",tier="mig-1g.10gb"} 1',
      'ksiss_service_replicas{namespace="demo",service="gpt2"} 2',
      'ksiss_service_tier_compute_fraction{namespace="demo",service="gpt2"} 0.142857',
      'KubeComp_gpu_resource{revision="gpt2-00001"} 1',
    ],
  },
  {
    name: 'a tier change replaces the tier label and the revision series',
    record: (m) => {
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-00001',
        tier: mig1g,
        readyReplicas: 1,
      });
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-00002',
        tier: mig3g,
        readyReplicas: 1,
      });
    },
    present: [
      'ksiss_service_tier_info{namespace="demo",service="gpt2",tier="mig-3g.40gb"} 1',
      'KubeComp_gpu_resource{revision="gpt2-00002"} 3',
    ],
    absent: ['tier="mig-1g.10gb"', 'revision="gpt2-00001"'],
  },
  {
    name: 'an unknown tier removes the tier series and leaves no NaN',
    record: (m) => {
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-00001',
        tier: mig1g,
        readyReplicas: 1,
      });
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-00001',
        tier: undefined,
        readyReplicas: 0,
      });
    },
    present: ['ksiss_service_replicas{namespace="demo",service="gpt2"} 0'],
    absent: ['ksiss_service_tier_info{', 'KubeComp_gpu_resource{', 'ksiss_service_tier_compute_fraction{'],
  },
  {
    name: 'MPS tiers export GB, whole GPUs 7 slices each',
    record: (m) => {
      m.setServiceState({
        namespace: 'demo',
        service: 'a',
        revision: 'a-1',
        tier: { name: 'gpu-10gb', kind: 'mps', computeFraction: 0.25, memoryGb: 10 },
        readyReplicas: 1,
      });
      m.setServiceState({
        namespace: 'demo',
        service: 'b',
        revision: 'b-1',
        tier: { name: 'gpu-x2', kind: 'gpu', computeFraction: 2, memoryGb: 80 },
        readyReplicas: 1,
      });
    },
    present: ['KubeComp_gpu_resource{revision="a-1"} 10', 'KubeComp_gpu_resource{revision="b-1"} 14'],
  },
  {
    name: 'decisions are counted by action and reason',
    record: (m) => {
      m.recordDecision('demo', 'gpt2', { action: 'hold', reason: 'withinBand' });
      m.recordDecision('demo', 'gpt2', { action: 'hold', reason: 'withinBand' });
      m.recordDecision('demo', 'gpt2', { action: 'up', reason: 'sloPressure' });
    },
    present: [
      'ksiss_decisions_total{namespace="demo",service="gpt2",action="hold",reason="withinBand"} 2',
      'ksiss_decisions_total{namespace="demo",service="gpt2",action="up",reason="sloPressure"} 1',
    ],
  },
  {
    name: 'an SLO metric exports its value and three thresholds',
    record: (m) => m.setSloMetric('gpt2', tpot, 0.07),
    present: [
      'ksiss_slo_metric_value{service="gpt2",metric="tpot"} 0.07',
      'ksiss_slo_metric_threshold{service="gpt2",metric="tpot",bound="slo"} 0.05',
      'ksiss_slo_metric_threshold{service="gpt2",metric="tpot",bound="up"} 0.06',
      'ksiss_slo_metric_threshold{service="gpt2",metric="tpot",bound="down"} 0.025',
    ],
  },
  ...[NaN, Infinity, -Infinity, undefined].map((bad): Case => ({
    name: `an SLO metric value of ${String(bad)} removes the value series, thresholds stay`,
    record: (m) => {
      m.setSloMetric('gpt2', tpot, 0.07);
      m.setSloMetric('gpt2', tpot, bad);
    },
    present: ['ksiss_slo_metric_threshold{service="gpt2",metric="tpot",bound="slo"} 0.05'],
    absent: ['ksiss_slo_metric_value{'],
  })),
  {
    name: 'NaN everywhere exports nothing but finite numbers',
    record: (m) => {
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'r',
        tier: { name: 'mig-?', kind: 'mig', computeFraction: NaN, memoryGb: NaN },
        readyReplicas: NaN,
      });
      m.setSloMetric('gpt2', { name: 'x', slo: NaN, scaleUpFactor: 1, scaleDownFactor: 1 }, NaN);
      m.observeTick(NaN);
      m.observePrometheusQuery(NaN);
      m.observeMigration('demo', 'gpt2', 'failed', NaN);
      m.setFreeCapacity({ nodes: [{ free: { 'nvidia.com/gpu': NaN } }] });
    },
    present: ['ksiss_migrations_total{namespace="demo",service="gpt2",result="failed"} 1'],
    absent: ['ksiss_slo_metric_value{', 'ksiss_slo_metric_threshold{', 'ksiss_gpu_free_units{'],
  },
  {
    name: 'removeService drops every series of that service',
    record: (m) => {
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-1',
        tier: mig1g,
        readyReplicas: 1,
      });
      m.setSloMetric('gpt2', tpot, 0.01);
      m.setServiceState({
        namespace: 'demo',
        service: 'other',
        revision: 'other-1',
        tier: mig1g,
        readyReplicas: 1,
      });
      m.removeService('demo', 'gpt2');
    },
    present: ['ksiss_service_replicas{namespace="demo",service="other"} 1'],
    absent: ['service="gpt2"', 'revision="gpt2-1"'],
  },
  {
    name: 'a new service starts its migration series at 0',
    record: (m) =>
      m.setServiceState({
        namespace: 'demo',
        service: 'gpt2',
        revision: 'gpt2-1',
        tier: mig1g,
        readyReplicas: 1,
      }),
    present: [
      'ksiss_migrations_total{namespace="demo",service="gpt2",result="succeeded"} 0',
      'ksiss_migrations_total{namespace="demo",service="gpt2",result="failed"} 0',
      'ksiss_migration_duration_seconds_count{service="gpt2",result="rolledBack"} 0',
    ],
  },
  {
    name: 'migrations: counter by result and a duration histogram',
    record: (m) => {
      m.observeMigration('demo', 'gpt2', 'succeeded', 42);
      m.observeMigration('demo', 'gpt2', 'rolledBack', 700);
    },
    present: [
      'ksiss_migrations_total{namespace="demo",service="gpt2",result="succeeded"} 1',
      'ksiss_migrations_total{namespace="demo",service="gpt2",result="rolledBack"} 1',
      'ksiss_migration_duration_seconds_bucket{le="45",service="gpt2",result="succeeded"} 1',
      'ksiss_migration_duration_seconds_sum{service="gpt2",result="succeeded"} 42',
      'ksiss_migration_duration_seconds_bucket{le="600",service="gpt2",result="rolledBack"} 0',
    ],
  },
  {
    name: 'tick and Prometheus query histograms, errors by class',
    record: (m) => {
      m.observeTick(0.3);
      m.observePrometheusQuery(0.02);
      m.observePrometheusQuery(5, 'timeout');
    },
    present: [
      'ksiss_tick_duration_seconds_bucket{le="0.5"} 1',
      'ksiss_tick_duration_seconds_count 1',
      'ksiss_prometheus_query_duration_seconds_count 2',
      'ksiss_prometheus_query_errors_total{class="timeout"} 1',
    ],
  },
  {
    name: 'free capacity is summed over nodes, vanished resources removed',
    record: (m) => {
      m.setFreeCapacity({ nodes: [{ free: { 'nvidia.com/gpu': 1, 'nvidia.com/mig-1g.10gb': 7 } }] });
      m.setFreeCapacity({
        nodes: [{ free: { 'nvidia.com/mig-1g.10gb': 3 } }, { free: { 'nvidia.com/mig-1g.10gb': 4 } }],
      });
    },
    present: ['ksiss_gpu_free_units{resource="nvidia.com/mig-1g.10gb"} 7'],
    absent: ['ksiss_gpu_free_units{resource="nvidia.com/gpu"}'],
  },
  {
    name: 'config reloads by result and invalid blocks by key',
    record: (m) => {
      m.recordConfigReload('success', [{ key: 'gpt2' }, { key: 'gpt2' }, { key: 'llama' }]);
      m.recordConfigReload('failure', []);
    },
    present: [
      'ksiss_config_reloads_total{result="success"} 1',
      'ksiss_config_reloads_total{result="failure"} 1',
      'ksiss_config_invalid_blocks_total{key="gpt2"} 1',
      'ksiss_config_invalid_blocks_total{key="llama"} 1',
    ],
  },
  {
    name: 'leader gauge',
    record: (m) => m.setLeader(true),
    present: ['ksiss_leader 1'],
  },
];

describe('createControllerMetrics', () => {
  it.each(cases)('$name', async ({ record, present, absent = [] }) => {
    const registry = new Registry();
    record(createControllerMetrics(registry));
    const text = await registry.metrics();
    for (const line of present) expect(text).toContain(line);
    for (const fragment of absent) expect(text).not.toContain(fragment);
    // Never NaN or Inf: every sample line ends in a finite number.
    for (const sample of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      const value = Number(sample.slice(sample.lastIndexOf(' ') + 1));
      expect({ sample, finite: Number.isFinite(value) }).toEqual({ sample, finite: true });
    }
  });

  it('uses only its own registry: the global one stays empty and two registries do not share', async () => {
    const first = new Registry();
    const second = new Registry();
    createControllerMetrics(first).recordDecision('demo', 'gpt2', { action: 'up', reason: 'sloPressure' });
    createControllerMetrics(second);
    expect(await globalRegistry.metrics()).not.toContain('ksiss_');
    expect(await first.metrics()).toContain('reason="sloPressure"');
    expect(await second.metrics()).not.toContain('reason="sloPressure"');
  });

  it('policy controller series', async () => {
    const registry = new Registry();
    const policy = createPolicyMetrics(registry);
    policy.setPolicyReplicas('ml', 'vllm-policy', 4, 2);
    policy.setPolicyReplicas('ml', 'gone', 1, 1);
    policy.recordPolicyDecision('ml', 'vllm-policy', 'scaleUp', 'queueDepth');
    policy.removePolicy('ml', 'gone');
    policy.setPolicyReplicas('ml', 'nan', NaN, NaN);
    const text = await registry.metrics();
    expect(text).toContain('ksiss_policy_desired_replicas{namespace="ml",policy="vllm-policy"} 4');
    expect(text).toContain('ksiss_policy_current_replicas{namespace="ml",policy="vllm-policy"} 2');
    expect(text).toContain(
      'ksiss_policy_decisions_total{namespace="ml",policy="vllm-policy",action="scaleUp",reason="queueDepth"} 1',
    );
    expect(text).not.toContain('policy="gone"');
    expect(text).not.toContain('policy="nan"');
  });
});
