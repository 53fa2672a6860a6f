import type { Expansion, QueryTarget } from './placeholders.js';
import { expandQuery, podRegex, queryShape } from './placeholders.js';

const target: QueryTarget = {
  namespace: 'serving',
  service: 'gpt2-large',
  revision: 'gpt2-large-00003',
  readyPods: ['gpt2-large-00003-deployment-b-2', 'gpt2-large-00003-deployment-a-1'],
};

describe('expandQuery', () => {
  const cases: ReadonlyArray<{ name: string; query: string; target?: QueryTarget; want: Expansion }> = [
    {
      name: 'original %s format runs once per Ready pod, pods in name order',
      query: 'rate(x{pod="%s"}[1m])/rate(y{pod="%s"}[1m])',
      want: {
        kind: 'queries',
        shape: 'perPod',
        queries: [
          'rate(x{pod="gpt2-large-00003-deployment-a-1"}[1m])/rate(y{pod="gpt2-large-00003-deployment-a-1"}[1m])',
          'rate(x{pod="gpt2-large-00003-deployment-b-2"}[1m])/rate(y{pod="gpt2-large-00003-deployment-b-2"}[1m])',
        ],
      },
    },
    {
      name: '{{pod}} is the same as %s',
      query: 'x{namespace="{{namespace}}",pod="{{pod}}"}',
      want: {
        kind: 'queries',
        shape: 'perPod',
        queries: [
          'x{namespace="serving",pod="gpt2-large-00003-deployment-a-1"}',
          'x{namespace="serving",pod="gpt2-large-00003-deployment-b-2"}',
        ],
      },
    },
    {
      name: '{{podRegex}} runs one query for the whole revision',
      query: 'max(x{pod=~"{{podRegex}}"})',
      want: {
        kind: 'queries',
        shape: 'whole',
        queries: ['max(x{pod=~"gpt2-large-00003-deployment-a-1|gpt2-large-00003-deployment-b-2"})'],
      },
    },
    {
      name: 'namespace, service and revision placeholders, every occurrence',
      query: 'a{ns="{{namespace}}",svc="{{service}}",rev="{{revision}}"} / b{rev="{{revision}}"}',
      want: {
        kind: 'queries',
        shape: 'whole',
        queries: ['a{ns="serving",svc="gpt2-large",rev="gpt2-large-00003"} / b{rev="gpt2-large-00003"}'],
      },
    },
    {
      name: 'a query without placeholders is run as written',
      query: 'vector(1)',
      want: { kind: 'queries', shape: 'whole', queries: ['vector(1)'] },
    },
    {
      name: 'no Ready pod: nothing to ask for a per-pod query',
      query: 'x{pod="%s"}',
      target: { ...target, readyPods: [] },
      want: { kind: 'noTarget', reason: 'noReadyPods', message: 'service gpt2-large has no Ready pod' },
    },
    {
      name: 'no Ready pod: nothing to ask for a podRegex query either (an empty regex matches pod-less series)',
      query: 'x{pod=~"{{podRegex}}"}',
      target: { ...target, readyPods: [] },
      want: { kind: 'noTarget', reason: 'noReadyPods', message: 'service gpt2-large has no Ready pod' },
    },
    {
      name: 'no serving revision where {{revision}} is used',
      query: 'x{revision="{{revision}}"}',
      target: { ...target, revision: undefined },
      want: { kind: 'noTarget', reason: 'noRevision', message: 'service gpt2-large has no serving revision' },
    },
    {
      name: 'no serving revision does not matter to a query that does not name it',
      query: 'x{service="{{service}}"}',
      target: { ...target, revision: undefined, readyPods: [] },
      want: { kind: 'queries', shape: 'whole', queries: ['x{service="gpt2-large"}'] },
    },
  ];
  test.each(cases)('$name', ({ query, target: given, want }) => {
    expect(expandQuery(query, given ?? target)).toEqual(want);
  });
});

describe('podRegex', () => {
  const cases: ReadonlyArray<{ name: string; pods: string[]; want: string }> = [
    { name: 'one pod', pods: ['a-1'], want: 'a-1' },
    { name: 'sorted alternation', pods: ['b', 'a'], want: 'a|b' },
    { name: 'dots escaped for a PromQL string', pods: ['web.v1-x'], want: 'web\\\\.v1-x' },
  ];
  test.each(cases)('$name', ({ pods, want }) => {
    expect(podRegex(pods)).toBe(want);
  });
});

describe('queryShape', () => {
  const cases: ReadonlyArray<{ query: string; shape: string }> = [
    { query: 'x{pod="%s"}', shape: 'perPod' },
    { query: 'x{pod="{{pod}}"}', shape: 'perPod' },
    { query: 'x{pod=~"{{podRegex}}"}', shape: 'whole' },
    { query: 'sum(x{service="{{service}}"})', shape: 'whole' },
  ];
  test.each(cases)('$query', ({ query, shape }) => {
    expect(queryShape(query)).toBe(shape);
  });
});
