import { fileURLToPath } from 'node:url';
import { parseManifests, readManifests, renderManifests, type Manifest } from './apply-manifests.js';
import { namespaceRbac, watchedNamespacesOf, withNamespaceRbac } from './namespace-rbac.js';

const repo = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

const configMap = (data: Record<string, string>, namespace = 'k-siss-system'): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'autoscaler-config', namespace },
    data,
  }) as Manifest;

describe('per-namespace RBAC generated from the config', () => {
  it.each([
    ['the namespaces of _global', { _global: 'namespaces: [llm, team-b]\n' }, ['llm', 'team-b']],
    ['no _global: the ConfigMap namespace, as the controller reads it', {}, ['k-siss-system']],
  ])('%s', (_name, data, expected) => {
    expect(watchedNamespacesOf([configMap(data)])).toEqual(expected);
  });

  it.each([
    [
      'no ConfigMap',
      [] as Manifest[],
      'no ConfigMap autoscaler-config among the manifests: pass --namespaces a,b',
    ],
    [
      'an invalid ConfigMap',
      [configMap({ _global: 'namespaces: [Bad_NS]\n' })],
      'ConfigMap autoscaler-config is invalid, its namespaces are unknown: _global.namespaces[0]: must be a DNS label (lower-case letters, digits and dashes)',
    ],
  ])('%s is an error', (_name, manifests, message) => {
    expect(() => watchedNamespacesOf(manifests)).toThrow(message);
  });

  it('the shipped template: one Role and RoleBinding per namespace, nothing left as a placeholder', async () => {
    const template = await readManifests([repo('namespace-rbac.yaml')]);
    const shipped = await readManifests([repo('configuration.yaml')]);
    const all = withNamespaceRbac(shipped, template, ['llm', 'team-b']);
    const added = all.slice(shipped.length);
    expect(added.map((m) => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'Role llm/k-siss-autoscaler-scaler',
      'RoleBinding llm/k-siss-autoscaler-scaler',
      'Role team-b/k-siss-autoscaler-scaler',
      'RoleBinding team-b/k-siss-autoscaler-scaler',
    ]);
    expect(renderManifests(all)).not.toContain('WATCHED_NAMESPACE');
    // What `render` prints for kubectl parses back to the same objects.
    expect(parseManifests(renderManifests(all), 'render')).toEqual(all);
  });

  it('a template document with a fixed namespace is refused', () => {
    const fixed = {
      apiVersion: 'v1',
      kind: 'Role',
      metadata: { name: 'x', namespace: 'default' },
    } as Manifest;
    expect(() => namespaceRbac([fixed], ['a'])).toThrow(
      'Role x: a namespace-rbac template document must have namespace WATCHED_NAMESPACE',
    );
  });
});
