import type { V1Pod } from '@kubernetes/client-node';
import { podReady, podService } from './emulator.js';

const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

describe('podService', () => {
  const cases: Array<{ name: string; pod: V1Pod; want: ReturnType<typeof podService> }> = [
    {
      name: 'Knative revision pod',
      pod: {
        metadata: {
          name: 'chat-00002-deployment-abc',
          namespace: 'llm',
          labels: { 'serving.knative.dev/service': 'chat', 'serving.knative.dev/revision': 'chat-00002' },
        },
      },
      want: { namespace: 'llm', service: 'chat', revision: 'chat-00002', kind: 'knative' },
    },
    {
      name: 'Deployment pod: name from the ReplicaSet minus pod-template-hash',
      pod: {
        metadata: {
          name: 'chat-7d9f8-xyz',
          namespace: 'a',
          labels: { 'k-siss.io/emulated': 'true', 'pod-template-hash': '7d9f8' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'chat-7d9f8', uid: '1', controller: true },
          ],
        },
      },
      want: { namespace: 'a', service: 'chat', kind: 'workload' },
    },
    {
      name: 'StatefulSet pod: the owner name',
      pod: {
        metadata: {
          name: 'db-0',
          namespace: 'a',
          labels: { 'k-siss.io/emulated': 'true' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: '1', controller: true },
          ],
        },
      },
      want: { namespace: 'a', service: 'db', kind: 'workload' },
    },
    {
      name: 'explicit service label wins',
      pod: {
        metadata: {
          name: 'p',
          namespace: 'a',
          labels: { 'k-siss.io/emulated': 'true', 'k-siss.io/service': 'svc' },
        },
      },
      want: { namespace: 'a', service: 'svc', kind: 'workload' },
    },
    {
      name: 'bare emulated pod: its own name',
      pod: { metadata: { name: 'solo', namespace: 'a', labels: { 'k-siss.io/emulated': 'true' } } },
      want: { namespace: 'a', service: 'solo', kind: 'workload' },
    },
    {
      name: 'unlabelled pod is ignored',
      pod: { metadata: { name: 'x', namespace: 'a', labels: { app: 'x' } } },
      want: undefined,
    },
    {
      name: 'emulated label must be "true"',
      pod: { metadata: { name: 'x', namespace: 'a', labels: { 'k-siss.io/emulated': 'yes' } } },
      want: undefined,
    },
  ];
  for (const c of cases) test(c.name, () => expect(podService(c.pod)).toEqual(c.want));
});

describe('podReady', () => {
  const cases: Array<{ name: string; pod: V1Pod; want: boolean }> = [
    { name: 'Running and Ready', pod: { status: ready }, want: true },
    { name: 'Pending', pod: { status: { phase: 'Pending' } }, want: false },
    {
      name: 'Running, not Ready',
      pod: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } },
      want: false,
    },
    {
      name: 'being deleted',
      pod: { metadata: { deletionTimestamp: new Date(0) }, status: ready },
      want: false,
    },
  ];
  for (const c of cases) test(c.name, () => expect(podReady(c.pod)).toBe(c.want));
});
