import { applyOrder, isCustomResource, parseManifests, withImage, type Manifest } from './apply-manifests.js';

describe('apply-manifests (pure parts)', () => {
  it.each([
    { apiVersion: 'v1', custom: false },
    { apiVersion: 'apps/v1', custom: false },
    { apiVersion: 'policy/v1', custom: false },
    { apiVersion: 'rbac.authorization.k8s.io/v1', custom: false },
    { apiVersion: 'apiextensions.k8s.io/v1', custom: false },
    { apiVersion: 'serving.knative.dev/v1', custom: true },
    { apiVersion: 'autoscaling.k-siss.io/v1alpha1', custom: true },
    { apiVersion: 'monitoring.coreos.com/v1', custom: true },
  ])('isCustomResource($apiVersion) = $custom', ({ apiVersion, custom }) => {
    expect(isCustomResource(apiVersion)).toBe(custom);
  });

  it('orders Namespaces, then CRDs, then the rest in file order', () => {
    const m = (kind: string, name: string): Manifest => ({ apiVersion: 'v1', kind, metadata: { name } });
    const ordered = applyOrder([
      m('ConfigMap', 'a'),
      m('CustomResourceDefinition', 'c'),
      m('Role', 'b'),
      m('Namespace', 'n'),
    ]);
    expect(ordered.map((x) => x.metadata.name)).toEqual(['n', 'c', 'a', 'b']);
  });

  it('parses multi-document YAML and names a bad document', () => {
    expect(
      parseManifests('---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n', 'f.yaml'),
    ).toHaveLength(1);
    expect(() => parseManifests('apiVersion: v1\nkind: Namespace\n', 'f.yaml')).toThrow('f.yaml document 0');
  });

  it('replaces the Deployment image only', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'old' }] } } },
    } as Manifest;
    const [changed] = withImage([deployment], 'new:1');
    expect(JSON.stringify(changed)).toContain('"image":"new:1"');
    expect(JSON.stringify(deployment)).toContain('"image":"old"');
  });
});
