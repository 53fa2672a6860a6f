/**
 * Planted secrets against `k-siss run` on the real API server: a password in PROMETHEUS_URL, a bearer token
 * in a broken `_global`, an API key and a tenant in the headers, a token in a Secret. None may appear in a
 * log line, an Event or a policy status; the Secret's token is what reaches the upstream. The upstream is a
 * plain node HTTP server on 127.0.0.1 that refuses every query and echoes what it got (as some auth proxies
 * do), so the error path carries the secrets back; it evaluates nothing and is not an imitation of Prometheus.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { SYSTEM_CLOCK } from '../local-cluster/index.js';
import {
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  installPolicyCrd,
} from '../policy/index.js';
import {
  clusterState,
  createTestNamespace,
  deleteNamespace,
  emulatedPodTemplate,
  eventually,
  kubeClients,
} from '../test/cluster-state.js';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const URL_PASSWORD = 'url-pa55word-c41f';
const YAML_TOKEN = 'yaml-bearer-token-8e2b';
const API_KEY = 'header-api-key-5d07';
const TENANT = 'tenant-id-secret-93aa';
const SECRET_TOKEN = 'secret-bearer-token-1b6c';
/** The URL's password as a Basic credential, which an echo would show. */
const URL_BASIC = Buffer.from(`k-siss:${URL_PASSWORD}`).toString('base64');
const PLANTED = [URL_PASSWORD, URL_BASIC, YAML_TOKEN, API_KEY, TENANT, SECRET_TOKEN];

const block = `- name: latency
  query: 'vector(1)'
  slo: 1
  scaleUpFactor: 1.5
  scaleDownFactor: 0.5
`;

const leaked = (text: string): string[] => PLANTED.filter((secret) => text.includes(secret));

describe('no planted secret in any log line, Event or status of k-siss run', () => {
  let namespace = '';
  let upstream: Server;
  let port = 0;
  const received: IncomingMessage['headers'][] = [];
  const lines: string[] = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      received.push(request.headers);
      request.resume();
      request.on('end', () => {
        const echo = `${request.headers.authorization ?? ''} ${String(request.headers['x-api-key'])} ${String(request.headers['x-scope-orgid'])}`;
        response
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ status: 'error', errorType: 'unauthorized', error: `refused: ${echo}` }));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    port = (upstream.address() as AddressInfo).port;

    const { core, apps } = kubeClients();
    await installPolicyCrd(kubeClients().kc, {
      fieldManager: 'k-siss-tests',
      now: () => SYSTEM_CLOCK.now(),
      sleep: (ms) => SYSTEM_CLOCK.sleep(ms),
    });
    namespace = await createTestNamespace('redaction');
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'prom-token' }, stringData: { token: SECRET_TOKEN } },
    });
    // A broken `_global` with a bearer token in it: the YAML error must not copy it anywhere.
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'autoscaler-config' },
        data: {
          _global: `prometheusHeaders: {Authorization: Bearer ${YAML_TOKEN}}\nnamespaces: [${namespace}\n`,
          svc: block,
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: emulatedPodTemplate('web'),
        },
      },
    });
    await kubeClients().custom.createNamespacedCustomObject({
      group: POLICY_GROUP,
      version: POLICY_VERSION,
      namespace,
      plural: POLICY_PLURAL,
      body: {
        apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
        kind: POLICY_KIND,
        metadata: { name: 'web' },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: { gpuUtilization: { enabled: true, targetPercentage: 40 } },
        },
      },
    });

    child = spawn(
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
      {
        cwd: repoDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          KUBECONFIG: '',
          PROMETHEUS_URL: `http://k-siss:${URL_PASSWORD}@127.0.0.1:${port}`,
          LOG_LEVEL: 'debug',
        },
      },
    );
    let buffered = '';
    const collect = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts.filter((part) => part.trim() !== ''));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  });

  afterAll(async () => {
    // For a failure's post-mortem (the lines are checked for leaks by the last test).
    writeFileSync(join(tmpdir(), 'k-siss-redaction-int.log'), `${lines.join('\n')}\n`);
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await new Promise((resolve) => upstream.close(resolve));
    await deleteNamespace(namespace);
  });

  const events = async () =>
    (await kubeClients().core.listNamespacedEvent({ namespace })).items.map(
      (e) => `${e.reason ?? ''}: ${e.message ?? ''}`,
    );

  test('a YAML error in _global: the Event and the log name the key, not the token', async () => {
    const event = await eventually('InvalidConfig Event', async () =>
      (await events()).find((e) => e.startsWith('InvalidConfig:')),
    );
    expect(event).toContain('_global = [redacted]: invalid YAML');
    expect(leaked(event)).toEqual([]);
    expect(lines.some((line) => line.includes('_global = [redacted]: invalid YAML'))).toBe(true);
  });

  test('credentials in the ConfigMap are warned about; the Secret token is what Prometheus gets', async () => {
    await kubeClients().core.patchNamespacedConfigMap(
      {
        namespace,
        name: 'autoscaler-config',
        body: {
          data: {
            _global:
              `namespaces: [${namespace}]\n` +
              `prometheusHeaders: {X-Api-Key: ${API_KEY}, X-Scope-OrgID: ${TENANT}}\n` +
              'prometheusAuth: {bearerTokenSecret: {name: prom-token, key: token}}\n',
          },
        },
      },
      MERGE_PATCH,
    );
    const warning = await eventually('CredentialsInConfigMap Event', async () =>
      (await events()).find((e) => e.startsWith('CredentialsInConfigMap:')),
    );
    expect(warning).toContain('_global.prometheusHeaders.X-Api-Key');
    expect(warning).not.toContain('X-Scope-OrgID');
    // The policy controller queries with the Secret's token and the configured headers.
    await eventually('a query with the Secret token', async () =>
      received.some((h) => h.authorization === `Bearer ${SECRET_TOKEN}`) ? true : undefined,
    );
    const last = received.at(-1);
    expect(last?.['x-api-key']).toBe(API_KEY);
    expect(last?.['x-scope-orgid']).toBe(TENANT);
    // The refusal (which echoed every secret) reaches the policy's status, scrubbed.
    const status = await eventually('the policy reports its metrics unavailable', async () => {
      const policy = (await kubeClients().custom.getNamespacedCustomObject({
        group: POLICY_GROUP,
        version: POLICY_VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name: 'web',
      })) as { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } };
      const condition = policy.status?.conditions?.find((c) => c.type === 'MetricsAvailable');
      return condition?.status === 'False' ? JSON.stringify(policy.status) : undefined;
    });
    expect(leaked(status)).toEqual([]);
    expect(status).toContain('[redacted]');
  });

  test('after SIGTERM: no log line and no Event holds a planted secret', async () => {
    child?.kill('SIGTERM');
    if (child !== undefined && child.exitCode === null) await once(child, 'exit');
    expect(lines.length).toBeGreaterThan(5);
    const started = lines.find((line) => line.includes('policy controller started')) ?? '';
    expect(started).toContain(`http://[redacted]@127.0.0.1:${port}`);
    expect(lines.filter((line) => leaked(line).length > 0)).toEqual([]);
    const all = await events();
    expect(all.length).toBeGreaterThan(1);
    expect(all.filter((e) => leaked(e).length > 0)).toEqual([]);
    process.stdout.write(`redaction: ${lines.length} log lines and ${all.length} Events checked, 0 leaks\n`);
  });
});
