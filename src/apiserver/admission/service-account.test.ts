import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { LocalObjectReference } from '../../apimachinery/generated/types.js';
import { createServiceAccountPlugin } from './service-account.js';
import { attributes, createFakeDeps } from './testing.js';

function pod(spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team', annotations }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } };
}

function setup() {
  const deps = createFakeDeps();
  deps.put('', 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' }, imagePullSecrets: [{ name: 'regcred' }] } as KubeObject);
  deps.put('', 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'team' }, imagePullSecrets: [{ name: 'a' }, { name: 'b' }] } as KubeObject);
  deps.put('', 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'other' } } as KubeObject);
  const plugin = createServiceAccountPlugin(deps);
  return async (p: KubeObject, opts: { op?: 'CREATE' | 'UPDATE'; subresource?: string } = {}): Promise<LocalObjectReference[] | undefined> => {
    await plugin.mutate!(attributes(opts.op ?? 'CREATE', '', 'pods', p, { subresource: opts.subresource }));
    return (p.spec as { imagePullSecrets?: LocalObjectReference[] }).imagePullSecrets;
  };
}

describe('ServiceAccount admission: image pull secrets', () => {
  it('copies the default service account\'s secrets into a pod naming none', async () => {
    assert.deepEqual(await setup()(pod()), [{ name: 'regcred' }]);
  });
  it('uses the pod\'s own service account', async () => {
    assert.deepEqual(await setup()(pod({ serviceAccountName: 'robot' })), [{ name: 'a' }, { name: 'b' }]);
  });
  it('keeps the pod\'s own secrets', async () => {
    assert.deepEqual(await setup()(pod({ imagePullSecrets: [{ name: 'mine' }] })), [{ name: 'mine' }]);
  });
  it('adds nothing for a service account without secrets or one that does not exist', async () => {
    const admit = setup();
    const p = pod();
    p.metadata.namespace = 'other';
    assert.equal(await admit(p), undefined);
    assert.equal(await admit(pod({ serviceAccountName: 'nobody' })), undefined);
  });
  it('leaves updates, subresources and mirror pods alone', async () => {
    const admit = setup();
    assert.equal(await admit(pod(), { op: 'UPDATE' }), undefined);
    assert.equal(await admit(pod(), { subresource: 'status' }), undefined);
    assert.equal(await admit(pod({}, { 'kubernetes.io/config.mirror': 'abc' })), undefined);
  });
});
