import { isRevisionReady, type MigrationStep, type RevisionTemplate } from '../knative/index.js';
import { SimKnativeObjects, jsonMergePatch } from './knative-objects.js';

const template = (name: string, gpu: string): RevisionTemplate => ({
  metadata: { name },
  spec: { containers: [{ name: 'user-container', resources: { limits: { [gpu]: '1' } } }] },
});

function patchStep(
  objects: SimKnativeObjects,
  spec: Extract<MigrationStep, { kind: 'patchService' }>['patch']['spec'],
  annotations: Record<string, string | null> = {},
  resourceVersion = objects.service.metadata.resourceVersion,
): Extract<MigrationStep, { kind: 'patchService' }> {
  return {
    kind: 'patchService',
    patch: {
      metadata: { ...(resourceVersion === undefined ? {} : { resourceVersion }), annotations },
      ...(spec === undefined ? {} : { spec }),
    },
    nextPhase: 'creating',
    reason: 'test',
    message: 'test',
    event: { type: 'Normal', reason: 'Test', message: 'test' },
  };
}

describe('jsonMergePatch (RFC 7386)', () => {
  const cases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
    {
      name: 'adds and replaces keys',
      target: { a: 1, b: 2 },
      patch: { b: 3, c: 4 },
      want: { a: 1, b: 3, c: 4 },
    },
    { name: 'null deletes a key', target: { a: 1, b: 2 }, patch: { b: null }, want: { a: 1 } },
    {
      name: 'merges nested objects',
      target: { m: { x: 1, y: 2 } },
      patch: { m: { y: null, z: 3 } },
      want: { m: { x: 1, z: 3 } },
    },
    {
      name: 'arrays replace',
      target: { t: [{ p: 50 }, { p: 50 }] },
      patch: { t: [{ p: 100 }] },
      want: { t: [{ p: 100 }] },
    },
    { name: 'undefined leaves a key alone', target: { a: 1 }, patch: { a: undefined }, want: { a: 1 } },
  ];
  it.each(cases)('$name', ({ target, patch, want }) => {
    expect(jsonMergePatch(target, patch)).toEqual(want);
  });
});

describe('SimKnativeObjects', () => {
  function started(): SimKnativeObjects {
    const objects = new SimKnativeObjects('default', 'llm', template('llm-a', 'nvidia.com/mig-1g.10gb'));
    objects.reconcileConfiguration();
    objects.setReadiness('llm-a', { ready: true });
    objects.reconcileRoute();
    return objects;
  }

  it('creates the template revision and routes latestRevision to it once Ready', () => {
    const objects = started();
    expect(objects.revisions.map((r) => r.metadata.name)).toEqual(['llm-a']);
    expect(objects.service.status?.traffic).toEqual([
      { revisionName: 'llm-a', latestRevision: true, percent: 100 },
    ]);
    expect(objects.service.status?.observedGeneration).toBe(objects.service.metadata.generation);
  });

  it('bumps the generation on a template change only, and refuses a stale resourceVersion', () => {
    const objects = started();
    const generation = objects.service.metadata.generation ?? 0;
    const stale = objects.service.metadata.resourceVersion;
    expect(objects.write(patchStep(objects, undefined, { note: 'x' })).outcome).toBe('applied');
    expect(objects.service.metadata.generation).toBe(generation);
    expect(objects.write(patchStep(objects, undefined, { note: 'y' }, stale)).outcome).toBe('conflict');
    expect(objects.service.metadata.annotations?.['note']).toBe('x');
    const next = patchStep(
      objects,
      { template: template('llm-b', 'nvidia.com/mig-2g.20gb') },
      { note: null },
    );
    expect(objects.write(next).outcome).toBe('applied');
    expect(objects.service.metadata.generation).toBe(generation + 1);
    expect(objects.service.metadata.annotations?.['note']).toBeUndefined();
  });

  it('keeps the last routable split until every revision spec.traffic names is Ready', () => {
    const objects = started();
    objects.write(
      patchStep(objects, {
        template: template('llm-b', 'nvidia.com/mig-2g.20gb'),
        traffic: [{ revisionName: 'llm-a', percent: 100 }],
      }),
    );
    expect(objects.reconcileConfiguration()).toEqual(['llm-b']);
    objects.write(
      patchStep(objects, {
        traffic: [
          { revisionName: 'llm-a', percent: 50 },
          { revisionName: 'llm-b', percent: 50 },
        ],
      }),
    );
    objects.setReadiness('llm-b', { ready: false, reason: 'Unschedulable', message: 'no 2g' });
    objects.reconcileRoute();
    expect(objects.routedPercents()).toEqual(new Map([['llm-a', 100]]));
    objects.setReadiness('llm-b', { ready: true });
    objects.reconcileRoute();
    expect(objects.routedPercents()).toEqual(
      new Map([
        ['llm-a', 50],
        ['llm-b', 50],
      ]),
    );
    // Ready stays True once reached; a deleted revision is gone.
    objects.setReadiness('llm-b', { ready: false, reason: 'Deploying' });
    expect(isRevisionReady(objects.revision('llm-b'))).toBe(true);
    expect(
      objects.write({
        kind: 'deleteRevision',
        revisionName: 'llm-a',
        reason: 'test',
        message: 'test',
        event: { type: 'Normal', reason: 'Test', message: 'test' },
      }).outcome,
    ).toBe('applied');
    expect(objects.revision('llm-a')).toBeUndefined();
  });

  it('pins replicas with min-scale = max-scale on a revision', () => {
    const objects = started();
    expect(objects.pinReplicas('llm-a', 3).outcome).toBe('applied');
    expect(objects.scaleBoundOf('llm-a')).toBe(3);
    expect(objects.pinReplicas('llm-zz', 3).outcome).toBe('notFound');
  });
});
