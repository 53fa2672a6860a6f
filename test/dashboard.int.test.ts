import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dashboardQueries, readDashboard, substituteVariables } from '../exporter/index.js';
import {
  applyManifests,
  clearDemoLoad,
  deleteManifests,
  DEMO_NAMESPACE,
  deployDemo,
  removeDemoService,
  setDemoLoad,
  startLocalController,
  waitForDemoService,
  type LocalController,
  type Manifest,
} from '../demo/index.js';
import { freePort } from '../local-cluster/index.js';
import { addScrapeTargets, clusterState, kubeConfig, removeScrapeTargets } from './cluster-state.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 400_000;

/**
 * The shipped Grafana dashboard is a test fixture: with the demo workload under load and the controller's
 * exporter scraped by the real Prometheus of the local cluster, every panel query (variables substituted as
 * Grafana would) must run without error and return data.
 */
const JOB = 'k-siss-controller-dashboard-test';
const WAIT_FOR_DATA_MS = 150_000;

interface QueryResult {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: ReadonlyArray<unknown> };
}

async function runQuery(prometheusUrl: string, expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryResult;
}

async function labelValues(prometheusUrl: string, label: string, match: string): Promise<string[]> {
  const url = `${prometheusUrl}/api/v1/label/${label}/values?match[]=${encodeURIComponent(match)}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: string[] };
  return body.status === 'success' ? body.data : [];
}

/** A Deployment of emulated pods and a policy for it, so the policy panels have something to show. */
function policyFixtures(): Manifest[] {
  const labels = { app: 'policy-demo', 'k-siss.io/emulated': 'true', 'k-siss.io/service': 'policy-demo' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'policy-demo', namespace: DEMO_NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'policy-demo' } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'server',
                image:
                  'registry.invalid/k-siss/llm-emulator@sha256:0000000000000000000000000000000000000000000000000000000000000002',
                resources: {
                  requests: { cpu: '1', memory: '10Gi', 'nvidia.com/gpu': '1' },
                  limits: { memory: '10Gi', 'nvidia.com/gpu': '1' },
                },
              },
            ],
          },
        },
      },
    } as Manifest,
    {
      apiVersion: 'autoscaling.k-siss.io/v1alpha1',
      kind: 'AIInferenceAutoscalerPolicy',
      metadata: { name: 'policy-demo', namespace: DEMO_NAMESPACE },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'policy-demo' },
        minReplicas: 1,
        maxReplicas: 2,
        metrics: { gpuUtilization: { enabled: true, targetPercentage: 60 } },
      },
    } as Manifest,
  ];
}

describe('exporter/grafana-dashboard.json against the real Prometheus', () => {
  let controller: LocalController | undefined;
  let workDir: string;
  let prometheusUrl: string;
  let emulatorUrl: string;

  beforeAll(async () => {
    const state = clusterState();
    prometheusUrl = state.prometheusUrl;
    emulatorUrl = state.emulatorUrl;
    const admin = kubeConfig();
    workDir = mkdtempSync(join(tmpdir(), 'k-siss-dashboard-'));
    const log = (line: string) => process.stderr.write(`[dashboard test] ${line}\n`);
    await deployDemo(admin, log);
    await applyManifests(admin, policyFixtures(), { fieldManager: 'k-siss-dashboard-test' });
    await waitForDemoService(admin);
    controller = await startLocalController({ admin, prometheusUrl, port: await freePort(), workDir, log });
    addScrapeTargets(JOB, [`127.0.0.1:${controller.port}`]);
    await setDemoLoad(emulatorUrl, {
      kind: 'constant',
      requestsPerSecond: 2,
      promptTokens: 512,
      outputTokens: 128,
    });
    await setLoadFor('policy-demo');
  }, TEST_TIMEOUT_MS);

  const setLoadFor = async (service: string) => {
    await fetch(`${emulatorUrl}/load/${DEMO_NAMESPACE}/${service}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'constant', requestsPerSecond: 2, promptTokens: 512, outputTokens: 128 }),
    });
  };

  afterAll(async () => {
    await clearDemoLoad(emulatorUrl);
    await fetch(`${emulatorUrl}/load/${DEMO_NAMESPACE}/policy-demo`, { method: 'DELETE' }).catch(
      () => undefined,
    );
    removeScrapeTargets(JOB);
    await controller?.stop();
    const admin = kubeConfig();
    await deleteManifests(admin, policyFixtures());
    await removeDemoService(admin);
    rmSync(workDir, { recursive: true, force: true });
  }, TEST_TIMEOUT_MS);

  it(
    'every panel query runs and returns data; the variable queries find the demo service',
    async () => {
      const dashboard = await readDashboard();
      const queries = dashboardQueries(dashboard);
      expect(queries.length).toBeGreaterThan(10);

      let failures: string[];
      const deadline = Date.now() + WAIT_FOR_DATA_MS;
      for (;;) {
        const namespaces = await labelValues(prometheusUrl, 'namespace', 'ksiss_service_replicas');
        const services = await labelValues(
          prometheusUrl,
          'service',
          `ksiss_service_replicas{namespace=~"${namespaces.join('|') || '.*'}"}`,
        );
        failures = [];
        if (!namespaces.includes(DEMO_NAMESPACE))
          failures.push(`variable namespace: ${JSON.stringify(namespaces)}`);
        if (!services.includes('chat')) failures.push(`variable service: ${JSON.stringify(services)}`);
        const values = {
          variables: { namespace: [DEMO_NAMESPACE], service: ['chat'], datasource: ['prometheus'] },
          rateInterval: '1m',
          range: '10m',
        };
        for (const query of queries) {
          const expr = substituteVariables(query.expr, values);
          const result = await runQuery(prometheusUrl, expr);
          if (result.status !== 'success')
            failures.push(`${query.panel} [${query.refId}] error: ${result.error}: ${expr}`);
          else if ((result.data?.result.length ?? 0) === 0)
            failures.push(`${query.panel} [${query.refId}] no data: ${expr}`);
        }
        if (failures.length === 0 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      expect(failures).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
