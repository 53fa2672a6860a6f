import { fileURLToPath } from 'node:url';

import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  KubeConfig,
  type KubernetesObject,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';

import { formatIssue, parseConfig } from '../autoscaler/index.js';
import { createSecretReader } from '../cli/index.js';
import {
  applyManifests,
  deleteManifests,
  namespaceRbac,
  readManifests,
  serviceAccountKubeConfig,
  watchedNamespacesOf,
  type Manifest,
} from '../demo/index.js';
import { createCredentialReader } from '../prometheus/index.js';
import { kubeConfig } from './cluster-state.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 120_000;

/**
 * The shipped deploy manifests are a test fixture: configuration.yaml and the policy CRD are server-side
 * applied to the real API server, and SubjectAccessReviews (plus real requests with the ServiceAccount's
 * own token) show the controller may do what it needs and nothing more.
 */
const repo = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const NAMESPACE = 'k-siss-system';
const SERVICE_ACCOUNT = 'k-siss-autoscaler';
const USER = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`;
const GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'];

type Deployment = Manifest & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        securityContext: { runAsNonRoot?: boolean };
        containers: Array<{
          env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
          ports: Array<{ name: string; containerPort: number }>;
          livenessProbe: { httpGet: { path: string; port: string } };
          readinessProbe: { httpGet: { path: string; port: string } };
          resources: { requests: Record<string, string>; limits: Record<string, string> };
          securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
        }>;
      };
    };
  };
};

const find = <T extends Manifest>(manifests: readonly Manifest[], kind: string, name?: string): T => {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found === undefined) throw new Error(`configuration.yaml has no ${kind} ${name ?? ''}`);
  return found as T;
};

/** Namespaces the SubjectAccessReviews probe outside the configured ones. */
const UNCONFIGURED = ['kube-system', 'k-siss-not-configured'] as const;

describe('configuration.yaml', () => {
  let manifests: Manifest[];
  let monitor: Manifest;
  let rbacTemplate: Manifest[];
  /** What `make deploy` adds: namespace-rbac.yaml per namespace of the ConfigMap's `_global.namespaces`. */
  let generated: Manifest[];
  beforeAll(async () => {
    manifests = await readManifests([repo('configuration.yaml')]);
    [monitor] = (await readManifests([repo('servicemonitor.yaml')])) as [Manifest];
    rbacTemplate = await readManifests([repo('namespace-rbac.yaml')]);
    generated = namespaceRbac(rbacTemplate, watchedNamespacesOf(manifests));
  }, TEST_TIMEOUT_MS);

  it(
    'a NetworkPolicy lets only the monitoring namespace reach the controller pods, on the metrics port only',
    () => {
      const deployment = find<Deployment>(manifests, 'Deployment');
      const policy = find<
        Manifest & {
          spec: {
            podSelector: { matchLabels: Record<string, string> };
            policyTypes: string[];
            ingress: Array<{ from: unknown[]; ports: Array<{ protocol: string; port: string }> }>;
          };
        }
      >(manifests, 'NetworkPolicy');
      expect(deployment.spec.template.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
      expect(policy.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ protocol: 'TCP', port: 'metrics' }],
        },
      ]);
      const ports = deployment.spec.template.spec.containers[0]?.ports.map((p) => p.name);
      expect(ports).toEqual(['metrics']);
    },
    TEST_TIMEOUT_MS,
  );

  describe('least privilege: write verbs per watched namespace', () => {
    it(
      'make deploy generates one Role and RoleBinding in each configured namespace, for the ServiceAccount',
      () => {
        expect(watchedNamespacesOf(manifests)).toEqual(['default']);
        expect(generated.map((m) => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
          'Role default/k-siss-autoscaler-scaler',
          'RoleBinding default/k-siss-autoscaler-scaler',
        ]);
        const binding = generated[1] as Manifest & { subjects: unknown[]; roleRef: { kind: string } };
        expect(binding.subjects).toEqual([
          { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE },
        ]);
        expect(binding.roleRef.kind).toBe('Role');
        expect(namespaceRbac(rbacTemplate, ['a', 'b', 'a']).map((m) => m.metadata.namespace)).toEqual([
          'a',
          'a',
          'b',
          'b',
        ]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the ClusterRole grants only reading nodes and pods (free GPU capacity)',
      () => {
        const clusterRole = find<Manifest & { rules: Array<{ resources: string[]; verbs: string[] }> }>(
          manifests,
          'ClusterRole',
        );
        expect(clusterRole.rules).toEqual([
          { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
        ]);
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe('namespaces and names line up (the original defect 2)', () => {
    it(
      'every namespaced object lives in k-siss-system',
      () => {
        const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
        for (const m of manifests.filter((m) => !clusterScoped.has(m.kind))) {
          expect(`${m.kind}/${m.metadata.name} in ${m.metadata.namespace}`).toBe(
            `${m.kind}/${m.metadata.name} in ${NAMESPACE}`,
          );
        }
        expect(find(manifests, 'Namespace').metadata.name).toBe(NAMESPACE);
        expect(monitor.metadata.namespace).toBe(NAMESPACE);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the controller reads the ConfigMap of its own namespace, which parses with no issue',
      () => {
        const deployment = find<Deployment>(manifests, 'Deployment');
        const container = deployment.spec.template.spec.containers[0];
        const env = new Map(container?.env.map((e) => [e.name, e]) ?? []);
        expect(env.get('NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
        const configMap = find<Manifest & { data: Record<string, string> }>(manifests, 'ConfigMap');
        expect(configMap.metadata.name).toBe(env.get('CONFIG_MAP_NAME')?.value);
        const parsed = parseConfig(configMap.data, {
          NAMESPACE: deployment.metadata.namespace,
          CONFIG_MAP_NAME: env.get('CONFIG_MAP_NAME')?.value,
          PROMETHEUS_URL: env.get('PROMETHEUS_URL')?.value,
          METRICS_SCRAPE_INTERVAL: env.get('METRICS_SCRAPE_INTERVAL')?.value,
        });
        expect(parsed.issues.map(formatIssue)).toEqual([]);
        expect(parsed.config?.global.configMapNamespace).toBe(NAMESPACE);
        expect([...(parsed.config?.services.keys() ?? [])].length).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the Deployment runs as the bound ServiceAccount; the metrics Service and ServiceMonitor select it',
      () => {
        const deployment = find<Deployment>(manifests, 'Deployment');
        expect(deployment.spec.template.spec.serviceAccountName).toBe(SERVICE_ACCOUNT);
        for (const binding of ['RoleBinding', 'ClusterRoleBinding']) {
          const subjects = (find(manifests, binding) as Manifest & { subjects: unknown[] }).subjects;
          expect(subjects).toEqual([{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }]);
        }
        const service = find<
          Manifest & { spec: { selector: Record<string, string>; ports: Array<{ name: string }> } }
        >(manifests, 'Service');
        expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
        expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
        const monitorSpec = (
          monitor as Manifest & {
            spec: {
              namespaceSelector: { matchNames: string[] };
              selector: { matchLabels: Record<string, string> };
              endpoints: Array<{ port: string }>;
            };
          }
        ).spec;
        expect(monitorSpec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
        expect(service.metadata.labels).toMatchObject(monitorSpec.selector.matchLabels);
        expect(service.spec.ports.map((p) => p.name)).toContain(monitorSpec.endpoints[0]?.port);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the pod is hardened: non-root, read-only root, probes on /healthz and /readyz, requests and limits',
      () => {
        const deployment = find<Deployment>(manifests, 'Deployment');
        const pod = deployment.spec.template.spec;
        const container = pod.containers[0];
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(container?.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
        expect(container?.readinessProbe.httpGet.path).toBe('/readyz');
        expect(Object.keys(container?.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(container?.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe('applied with server-side apply to the real API server', () => {
    let admin: KubeConfig;
    let applied: KubernetesObject[];
    let all: Manifest[];

    beforeAll(async () => {
      admin = kubeConfig();
      all = [...(await readManifests([repo('policy/crd.yaml')])), ...manifests, ...generated];
      applied = await applyManifests(admin, all, { fieldManager: 'k-siss-deploy-test' });
    }, TEST_TIMEOUT_MS);

    it(
      'creates every object, owned by the field manager',
      () => {
        expect(applied.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(
          expect.arrayContaining(all.map((m) => `${m.kind}/${m.metadata.name}`)),
        );
        for (const object of applied) {
          expect(object.metadata?.managedFields?.map((f) => `${f.manager}:${f.operation}`)).toContain(
            'k-siss-deploy-test:Apply',
          );
        }
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'applying again changes nothing (same generation, or same resourceVersion where there is none)',
      async () => {
        const again = await applyManifests(admin, all, { fieldManager: 'k-siss-deploy-test' });
        // Controllers update the status of some objects (CRD, PodDisruptionBudget, Deployment), which bumps
        // their resourceVersion but not their generation.
        const versions = (objects: KubernetesObject[]) =>
          objects.map(
            (o) =>
              `${o.kind}/${o.metadata?.name}@${o.metadata?.generation === undefined ? `rv${o.metadata?.resourceVersion}` : `gen${o.metadata.generation}`}`,
          );
        expect(versions(again)).toEqual(versions(applied));
      },
      TEST_TIMEOUT_MS,
    );

    const allowed: ReadonlyArray<[string, V1ResourceAttributes]> = [
      [
        'read its ConfigMap',
        { namespace: NAMESPACE, verb: 'get', resource: 'configmaps', name: 'autoscaler-config' },
      ],
      ['watch ConfigMaps of its namespace', { namespace: NAMESPACE, verb: 'watch', resource: 'configmaps' }],
      ['list ConfigMaps of its namespace', { namespace: NAMESPACE, verb: 'list', resource: 'configmaps' }],
      [
        'create the leader Lease',
        { namespace: NAMESPACE, verb: 'create', group: 'coordination.k8s.io', resource: 'leases' },
      ],
      ...(['get', 'update'] as const).map((verb): [string, V1ResourceAttributes] => [
        `${verb} the leader Lease`,
        {
          namespace: NAMESPACE,
          verb,
          group: 'coordination.k8s.io',
          resource: 'leases',
          name: 'k-siss-autoscaler',
        },
      ]),
      ...(['get', 'list', 'watch'] as const).flatMap((verb) =>
        (['nodes', 'pods'] as const).map((resource): [string, V1ResourceAttributes] => [
          `${verb} ${resource}`,
          { verb, resource },
        ]),
      ),
      ...(['get', 'list', 'watch', 'patch'] as const).map((verb): [string, V1ResourceAttributes] => [
        `${verb} Knative services`,
        { namespace: 'default', verb, group: 'serving.knative.dev', resource: 'services' },
      ]),
      ...(['get', 'list', 'watch', 'patch', 'delete'] as const).map(
        (verb): [string, V1ResourceAttributes] => [
          `${verb} Knative revisions`,
          { namespace: 'default', verb, group: 'serving.knative.dev', resource: 'revisions' },
        ],
      ),
      ['create core Events', { namespace: 'default', verb: 'create', resource: 'events' }],
      ['create Events on its ConfigMap', { namespace: NAMESPACE, verb: 'create', resource: 'events' }],
      [
        'read the Prometheus credentials Secret of its namespace',
        { namespace: NAMESPACE, verb: 'get', resource: 'secrets', name: 'k-siss-prometheus-credentials' },
      ],
      ...(['deployments', 'statefulsets'] as const).flatMap((resource) => [
        ...(['get', 'list', 'watch'] as const).map((verb): [string, V1ResourceAttributes] => [
          `${verb} ${resource}`,
          { namespace: 'default', verb, group: 'apps', resource },
        ]),
        ...(['get', 'patch', 'update'] as const).map((verb): [string, V1ResourceAttributes] => [
          `${verb} ${resource}/scale`,
          { namespace: 'default', verb, group: 'apps', resource, subresource: 'scale' },
        ]),
      ]),
      [
        'list HPAs',
        { namespace: 'default', verb: 'list', group: 'autoscaling', resource: 'horizontalpodautoscalers' },
      ],
      [
        'watch HPAs',
        { namespace: 'default', verb: 'watch', group: 'autoscaling', resource: 'horizontalpodautoscalers' },
      ],
      ...(['get', 'list', 'watch'] as const).map((verb): [string, V1ResourceAttributes] => [
        `${verb} policies`,
        {
          namespace: 'default',
          verb,
          group: 'autoscaling.k-siss.io',
          resource: 'aiinferenceautoscalerpolicies',
        },
      ]),
      ...(['patch', 'update'] as const).map((verb): [string, V1ResourceAttributes] => [
        `${verb} policy status`,
        {
          namespace: 'default',
          verb,
          group: 'autoscaling.k-siss.io',
          resource: 'aiinferenceautoscalerpolicies',
          subresource: 'status',
        },
      ]),
    ];

    const denied: ReadonlyArray<[string, V1ResourceAttributes]> = [
      // Nothing the code does not use (audit: no replace of Services, no Routes/Configurations read).
      [
        'replace Knative services',
        { namespace: 'default', verb: 'update', group: 'serving.knative.dev', resource: 'services' },
      ],
      ...(['routes', 'configurations'] as const).map((resource): [string, V1ResourceAttributes] => [
        `watch Knative ${resource}`,
        { namespace: 'default', verb: 'watch', group: 'serving.knative.dev', resource },
      ]),
      ['patch core Events', { namespace: 'default', verb: 'patch', resource: 'events' }],
      ['read Secrets of its namespace', { namespace: NAMESPACE, verb: 'get', resource: 'secrets' }],
      ['list Secrets of its namespace', { namespace: NAMESPACE, verb: 'list', resource: 'secrets' }],
      ['read Secrets elsewhere', { namespace: 'default', verb: 'get', resource: 'secrets' }],
      ['list Secrets cluster-wide', { verb: 'list', resource: 'secrets' }],
      ['watch Secrets cluster-wide', { verb: 'watch', resource: 'secrets' }],
      ['read ConfigMaps of other namespaces', { namespace: 'default', verb: 'get', resource: 'configmaps' }],
      [
        'change its own ConfigMap',
        { namespace: NAMESPACE, verb: 'update', resource: 'configmaps', name: 'autoscaler-config' },
      ],
      [
        'take over other Leases',
        {
          namespace: NAMESPACE,
          verb: 'update',
          group: 'coordination.k8s.io',
          resource: 'leases',
          name: 'other',
        },
      ],
      ['delete pods', { namespace: 'default', verb: 'delete', resource: 'pods' }],
      ['exec into pods', { namespace: 'default', verb: 'create', resource: 'pods', subresource: 'exec' }],
      ['patch nodes', { verb: 'patch', resource: 'nodes' }],
      [
        'delete Knative services',
        { namespace: 'default', verb: 'delete', group: 'serving.knative.dev', resource: 'services' },
      ],
      [
        'update Deployments (only their scale)',
        { namespace: 'default', verb: 'update', group: 'apps', resource: 'deployments' },
      ],
      [
        'edit policies (only their status)',
        {
          namespace: 'default',
          verb: 'update',
          group: 'autoscaling.k-siss.io',
          resource: 'aiinferenceautoscalerpolicies',
        },
      ],
      [
        'mint ServiceAccount tokens',
        { namespace: NAMESPACE, verb: 'create', resource: 'serviceaccounts', subresource: 'token' },
      ],
      ['escalate RBAC', { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }],
      [
        'read another Secret of its namespace',
        { namespace: NAMESPACE, verb: 'get', resource: 'secrets', name: 'other' },
      ],
      [
        'read a Secret of that name elsewhere',
        { namespace: 'default', verb: 'get', resource: 'secrets', name: 'k-siss-prometheus-credentials' },
      ],
      // Outside the configured namespaces (and cluster-wide): no write, no read of workloads.
      ...[...UNCONFIGURED, undefined].flatMap((namespace): Array<[string, V1ResourceAttributes]> => {
        const where = namespace === undefined ? 'cluster-wide' : `in ${namespace}`;
        const ns = namespace === undefined ? {} : { namespace };
        const knative = { group: 'serving.knative.dev' };
        return [
          [`patch Knative services ${where}`, { ...ns, ...knative, verb: 'patch', resource: 'services' }],
          [`list Knative services ${where}`, { ...ns, ...knative, verb: 'list', resource: 'services' }],
          [`patch Knative revisions ${where}`, { ...ns, ...knative, verb: 'patch', resource: 'revisions' }],
          [`delete Knative revisions ${where}`, { ...ns, ...knative, verb: 'delete', resource: 'revisions' }],
          ...(['deployments', 'statefulsets'] as const).flatMap((resource) =>
            (['patch', 'update'] as const).map((verb): [string, V1ResourceAttributes] => [
              `${verb} ${resource}/scale ${where}`,
              { ...ns, verb, group: 'apps', resource, subresource: 'scale' },
            ]),
          ),
          [
            `patch policy status ${where}`,
            {
              ...ns,
              verb: 'patch',
              group: 'autoscaling.k-siss.io',
              resource: 'aiinferenceautoscalerpolicies',
              subresource: 'status',
            },
          ],
          [`create Events ${where}`, { ...ns, verb: 'create', resource: 'events' }],
        ];
      }),
    ];

    const review = async (attributes: V1ResourceAttributes): Promise<boolean> => {
      const api = admin.makeApiClient(AuthorizationV1Api);
      const result = await api.createSubjectAccessReview({
        body: { spec: { user: USER, groups: GROUPS, resourceAttributes: attributes } },
      });
      return result.status?.allowed === true;
    };

    it.each(allowed)(
      'the ServiceAccount may %s',
      async (_name, attributes) => {
        expect(await review(attributes)).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );

    it.each(denied)(
      'the ServiceAccount may NOT %s',
      async (_name, attributes) => {
        expect(await review(attributes)).toBe(false);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'with its own token, the ServiceAccount reads its ConfigMap and is refused Secrets (403)',
      async () => {
        const asServiceAccount = await serviceAccountKubeConfig(admin, {
          namespace: NAMESPACE,
          serviceAccount: SERVICE_ACCOUNT,
          expirationSeconds: 600,
        });
        const core = asServiceAccount.makeApiClient(CoreV1Api);
        const configMap = await core.readNamespacedConfigMap({
          namespace: NAMESPACE,
          name: 'autoscaler-config',
        });
        expect(Object.keys(configMap.data ?? {})).toContain('_global');
        const refused = await core.listNamespacedSecret({ namespace: NAMESPACE }).then(
          () => 'allowed',
          (error: unknown) => (error as { code?: number }).code,
        );
        expect(refused).toBe(403);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'with its own token: a scale change in kube-system is refused (403), in a configured namespace allowed',
      async () => {
        const asServiceAccount = await serviceAccountKubeConfig(admin, {
          namespace: NAMESPACE,
          serviceAccount: SERVICE_ACCOUNT,
          expirationSeconds: 600,
        });
        const apps = asServiceAccount.makeApiClient(AppsV1Api);
        const code = (namespace: string) =>
          apps
            .patchNamespacedDeploymentScale(
              { namespace, name: 'k-siss-absent', body: { spec: { replicas: 1 } } },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            )
            .then(
              () => 200,
              (error: unknown) => (error as { code?: number }).code,
            );
        // Authorization comes before the lookup: 403 outside, 404 (allowed, no such Deployment) inside.
        expect({ 'kube-system': await code('kube-system'), default: await code('default') }).toEqual({
          'kube-system': 403,
          default: 404,
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'a namespace added to the config is bound by a generated Role, and no longer once it is removed',
      async () => {
        const extra = 'k-siss-rbac-added';
        const attributes = {
          namespace: extra,
          verb: 'patch',
          group: 'serving.knative.dev',
          resource: 'services',
        };
        expect(await review(attributes)).toBe(false);
        const copy = namespaceRbac(rbacTemplate, [extra]);
        await applyManifests(
          admin,
          [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: extra } } as Manifest, ...copy],
          { fieldManager: 'k-siss-deploy-test' },
        );
        expect(await review(attributes)).toBe(true);
        await deleteManifests(admin, copy);
        expect(await review(attributes)).toBe(false);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'with its own token: the Prometheus token is read from the named Secret, no other Secret is',
      async () => {
        const core = admin.makeApiClient(CoreV1Api);
        const token = 'deploy-test-prometheus-token';
        for (const name of ['k-siss-prometheus-credentials', 'k-siss-other-secret']) {
          await core.deleteNamespacedSecret({ namespace: NAMESPACE, name }).catch(() => undefined);
          await core.createNamespacedSecret({
            namespace: NAMESPACE,
            body: { metadata: { name }, stringData: { token: `${token}-${name}` } },
          });
        }
        const asServiceAccount = await serviceAccountKubeConfig(admin, {
          namespace: NAMESPACE,
          serviceAccount: SERVICE_ACCOUNT,
          expirationSeconds: 600,
        });
        const readSecret = createSecretReader(asServiceAccount, NAMESPACE);
        const reader = (name: string) =>
          createCredentialReader({
            auth: { kind: 'bearer', token: { secret: { name, key: 'token' } } },
            readSecret,
          });
        expect(await reader('k-siss-prometheus-credentials').authorization()).toBe(
          `Bearer ${token}-k-siss-prometheus-credentials`,
        );
        const refused = await reader('k-siss-other-secret')
          .authorization()
          .then(
            (value) => `read: ${String(value)}`,
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          );
        expect(refused).toBe(
          `cannot read the bearer token from Secret k-siss-other-secret (key token): HTTP 403 reading Secret ${NAMESPACE}/k-siss-other-secret (the Role must grant get on it)`,
        );
        for (const name of ['k-siss-prometheus-credentials', 'k-siss-other-secret']) {
          await core.deleteNamespacedSecret({ namespace: NAMESPACE, name });
        }
      },
      TEST_TIMEOUT_MS,
    );
  });
});
