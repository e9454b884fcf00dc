import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import { formatResourceList } from '../../apimachinery/quota/resource-list.js';
import { computeUsage } from './resource-quota-controller.js';

const quota = (hard: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard, ...spec } });

const pod = (name: string, cpu?: string, phase = 'Running', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', image: 'x', ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}) }], ...extra },
  status: { phase },
});

describe('quota usage', () => {
  const objects: Record<string, KubeObject[]> = {
    '/pods': [pod('a', '500m'), pod('b', '250m'), pod('done', '4', 'Succeeded'), pod('be')],
    '/services': [{ metadata: { name: 's', namespace: 'ns' }, spec: { type: 'NodePort', ports: [{ port: 1 }] } }],
    'apps/deployments': [{ metadata: { name: 'd', namespace: 'ns' } }],
  };
  const of = (g: string, r: string): KubeObject[] | undefined => objects[`${g}/${r}`];

  it('sums what the objects consume, zero for tracked but unused', () => {
    const used = computeUsage(quota({
      pods: '10', 'count/pods': '10', 'requests.cpu': '4', 'limits.cpu': '8', 'requests.memory': '1Gi',
      services: '5', 'services.nodeports': '2', 'count/deployments.apps': '3', 'count/secrets': '2',
    }), of);
    assert.deepEqual(formatResourceList(used), {
      'count/deployments.apps': '1', 'count/pods': '4', 'count/secrets': '0', 'limits.cpu': '750m', pods: '3',
      'requests.cpu': '750m', 'requests.memory': '0', services: '1', 'services.nodeports': '1',
    });
  });

  it('scopes filter pods', () => {
    assert.deepEqual(formatResourceList(computeUsage(quota({ pods: '10' }, { scopes: ['BestEffort'] }), of)), { pods: '1' });
    assert.deepEqual(formatResourceList(computeUsage(quota({ pods: '10' }, { scopes: ['NotBestEffort'] }), of)), { pods: '2' });
  });
});
