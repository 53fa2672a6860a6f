import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1APIResource,
} from '@kubernetes/client-node';
import { dump, loadAll } from 'js-yaml';
import { withNamespaceRbac } from './namespace-rbac.js';

/** Field manager of `make deploy` / the demo when applying our manifests. */
export const DEPLOY_FIELD_MANAGER = 'k-siss-deploy';

/** A manifest document with the fields server-side apply needs. */
export interface Manifest extends KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & KubernetesObject['metadata'];
}

/** Parses a multi-document YAML file into manifests; throws naming the file and document index. */
export function parseManifests(text: string, source: string): Manifest[] {
  const manifests: Manifest[] = [];
  loadAll(text).forEach((doc, index) => {
    if (doc === null || doc === undefined) return;
    const candidate = doc as Partial<Manifest>;
    if (
      typeof candidate.apiVersion !== 'string' ||
      typeof candidate.kind !== 'string' ||
      typeof candidate.metadata?.name !== 'string'
    ) {
      throw new Error(`${source} document ${index}: needs apiVersion, kind and metadata.name`);
    }
    manifests.push(candidate as Manifest);
  });
  return manifests;
}

/** Reads and parses manifest files, in order. */
export async function readManifests(paths: readonly string[]): Promise<Manifest[]> {
  const all: Manifest[] = [];
  for (const path of paths) all.push(...parseManifests(await readFile(path, 'utf8'), path));
  return all;
}

/** Namespaces and CRDs first (others may live in them or be of their kind), otherwise file order. Pure. */
export function applyOrder(manifests: readonly Manifest[]): Manifest[] {
  const rank = (m: Manifest): number =>
    m.kind === 'Namespace' ? 0 : m.kind === 'CustomResourceDefinition' ? 1 : 2;
  return manifests
    .map((manifest, index) => ({ manifest, index }))
    .sort((a, b) => rank(a.manifest) - rank(b.manifest) || a.index - b.index)
    .map(({ manifest }) => manifest);
}

/** Returns the manifests with the controller Deployment's container image replaced. Pure. */
export function withImage(manifests: readonly Manifest[], image: string): Manifest[] {
  return manifests.map((manifest) => {
    if (manifest.kind !== 'Deployment') return manifest;
    const spec = (manifest as { spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } } })
      .spec;
    const containers = spec?.template?.spec?.containers;
    if (containers === undefined) return manifest;
    return {
      ...manifest,
      spec: {
        ...spec,
        template: {
          ...spec?.template,
          spec: { ...spec?.template?.spec, containers: containers.map((c) => ({ ...c, image })) },
        },
      },
    } as Manifest;
  });
}

/** API groups served by Kubernetes itself (client-node has typed models for them). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'autoscaling', 'policy']);

/** Whether client-node's generic API would mis-serialize this kind (it picks models by kind, not group). Pure. */
export function isCustomResource(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  return !BUILT_IN_GROUPS.has(group) && !group.endsWith('.k8s.io');
}

/** Exposes the discovery lookup of KubernetesObjectApi (plural and scope of a kind). */
class ResourceLookup extends KubernetesObjectApi {
  lookup(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

/** Server-side apply of a custom resource through the custom objects API (raw JSON, nothing dropped). */
async function applyCustom(
  kubeConfig: KubeConfig,
  lookup: ResourceLookup,
  manifest: Manifest,
  fieldManager: string,
): Promise<KubernetesObject> {
  const resource = await lookup.lookup(manifest.apiVersion, manifest.kind);
  if (resource === undefined)
    throw new Error(`the API server does not serve ${manifest.apiVersion} ${manifest.kind}`);
  const [group = '', version = ''] = manifest.apiVersion.split('/');
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const common = {
    group,
    version,
    plural: resource.name,
    name: manifest.metadata.name,
    body: manifest,
    fieldManager,
    force: true,
  };
  const result: unknown = resource.namespaced
    ? await custom.patchNamespacedCustomObject(
        { ...common, namespace: manifest.metadata.namespace ?? 'default' },
        apply,
      )
    : await custom.patchClusterCustomObject(common, apply);
  return result as KubernetesObject;
}

/** Options of `applyManifests`. */
export interface ApplyOptions {
  readonly fieldManager?: string;
  /** Wait this long for applied CRDs to become Established. */
  readonly crdTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Server-side applies each manifest (apply patch with a field manager, force on conflicts). */
export async function applyManifests(
  kubeConfig: KubeConfig,
  manifests: readonly Manifest[],
  options: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  const lookup = kubeConfig.makeApiClient(ResourceLookup);
  const fieldManager = options.fieldManager ?? DEPLOY_FIELD_MANAGER;
  const applied: KubernetesObject[] = [];
  const ordered = applyOrder(manifests);
  for (const manifest of ordered) {
    try {
      applied.push(
        isCustomResource(manifest.apiVersion)
          ? await applyCustom(kubeConfig, lookup, manifest, fieldManager)
          : await api.patch(
              manifest,
              undefined,
              undefined,
              fieldManager,
              true,
              PatchStrategy.ServerSideApply,
            ),
      );
    } catch (error) {
      throw new Error(`applying ${describe(manifest)}: ${errorText(error)}`, { cause: error });
    }
    options.log?.(`applied ${describe(manifest)}`);
    if (manifest.kind === 'CustomResourceDefinition') {
      await waitForCrdEstablished(kubeConfig, manifest.metadata.name, options.crdTimeoutMs ?? 60_000);
    }
  }
  return applied;
}

/** Deletes the manifests in reverse apply order; absent objects are fine. */
export async function deleteManifests(
  kubeConfig: KubeConfig,
  manifests: readonly Manifest[],
  log?: (line: string) => void,
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const manifest of applyOrder(manifests).reverse()) {
    try {
      await api.delete(manifest);
      log?.(`deleted ${describe(manifest)}`);
    } catch (error) {
      if (statusCode(error) !== 404)
        throw new Error(`deleting ${describe(manifest)}: ${errorText(error)}`, { cause: error });
    }
  }
}

async function waitForCrdEstablished(kubeConfig: KubeConfig, name: string, timeoutMs: number): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function describe(manifest: Manifest): string {
  const ns = manifest.metadata.namespace;
  return `${manifest.kind} ${ns === undefined ? '' : `${ns}/`}${manifest.metadata.name}`;
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}

function errorText(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'body' in error) {
    const body: unknown = error.body;
    if (typeof body === 'string') return body;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Multi-document YAML of the manifests (what `render` prints for `kubectl apply -f -`). Pure. */
export function renderManifests(manifests: readonly Manifest[]): string {
  return manifests.map((m) => dump(m, { lineWidth: -1, noRefs: true })).join('---\n');
}

const USAGE =
  'usage: apply-manifests.ts apply|render|delete [--image IMAGE] [--namespace-rbac TEMPLATE [--namespaces a,b]] FILE...';

/**
 * `tsx demo/apply-manifests.ts apply|render|delete [--image IMAGE] [--namespace-rbac TEMPLATE]
 * [--namespaces a,b] FILE...` (current kubeconfig). `--namespace-rbac` adds the template's Role and
 * RoleBinding in every namespace of the ConfigMap's `_global.namespaces` (or of `--namespaces`); `render`
 * prints the manifests instead of applying them.
 */
async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  let image: string | undefined;
  let rbacTemplate: string | undefined;
  let namespaces: string[] | undefined;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--image') image = rest[++i];
    else if (arg === '--namespace-rbac') rbacTemplate = rest[++i];
    else if (arg === '--namespaces') {
      namespaces = (rest[++i] ?? '')
        .split(',')
        .map((ns) => ns.trim())
        .filter((ns) => ns !== '');
    } else files.push(arg);
  }
  if ((command !== 'apply' && command !== 'delete' && command !== 'render') || files.length === 0) {
    throw new Error(`${USAGE} (got ${argv.join(' ')})`);
  }
  let manifests = await readManifests(files);
  if (rbacTemplate !== undefined) {
    manifests = withNamespaceRbac(manifests, await readManifests([rbacTemplate]), namespaces);
  }
  if (image !== undefined) manifests = withImage(manifests, image);
  if (command === 'render') {
    process.stdout.write(renderManifests(manifests));
    return;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (command === 'delete') {
    await deleteManifests(kubeConfig, manifests, log);
    return;
  }
  await applyManifests(kubeConfig, manifests, { log });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
