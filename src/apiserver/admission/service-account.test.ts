import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { LocalObjectReference, PodSpec } from '../../apimachinery/generated/types.js';
import { DEFAULT_API_TOKEN_MOUNT_PATH, createServiceAccountPlugin, generateTokenVolumeName, tokenVolumeSource } from './service-account.js';
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

describe('ServiceAccount admission: service account name and token volume', () => {
  async function admitSpec(p: KubeObject, sas: KubeObject[] = []): Promise<PodSpec> {
    const deps = createFakeDeps();
    for (const sa of sas) deps.put('', 'serviceaccounts', sa);
    const plugin = createServiceAccountPlugin(deps);
    await plugin.mutate!(attributes('CREATE', '', 'pods', p));
    return p.spec as PodSpec;
  }
  const sa = (name: string, automount?: boolean): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'team' }, automountServiceAccountToken: automount } as KubeObject);

  it('defaults the service account and mounts the projected token volume in every container', async () => {
    const spec = await admitSpec(pod({ initContainers: [{ name: 'i', image: 'x' }] }));
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    assert.equal(spec.volumes?.length, 1);
    const vol = spec.volumes![0]!;
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vol.projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    const mount = { name: vol.name, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    assert.deepEqual(spec.containers[0]!.volumeMounts, [mount]);
    assert.deepEqual(spec.initContainers![0]!.volumeMounts, [mount]);
  });
  it('keeps a named service account and takes the deprecated field when the name is empty', async () => {
    assert.equal((await admitSpec(pod({ serviceAccountName: 'robot' }))).serviceAccount, 'robot');
    assert.equal((await admitSpec(pod({ serviceAccount: 'old' }))).serviceAccountName, 'old');
  });
  it('honours automountServiceAccountToken: the pod first, then the service account', async () => {
    assert.equal((await admitSpec(pod({ automountServiceAccountToken: false }))).volumes, undefined);
    assert.equal((await admitSpec(pod(), [sa('default', false)])).volumes, undefined);
    assert.equal((await admitSpec(pod({ automountServiceAccountToken: true }), [sa('default', false)])).volumes?.length, 1);
    assert.equal((await admitSpec(pod({ serviceAccountName: 'robot' }), [sa('default', false), sa('robot')])).volumes?.length, 1);
  });
  it('skips containers that already mount something at the token path', async () => {
    const own = { name: 'mine', mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    const spec = await admitSpec(pod({ volumes: [{ name: 'mine', emptyDir: {} }], containers: [{ name: 'a', image: 'x', volumeMounts: [own] }, { name: 'b', image: 'x' }] }));
    assert.deepEqual(spec.containers[0]!.volumeMounts, [own]);
    assert.equal(spec.containers[1]!.volumeMounts?.[0]?.mountPath, DEFAULT_API_TOKEN_MOUNT_PATH);
    assert.equal(spec.volumes?.length, 2);
    const none = await admitSpec(pod({ volumes: [{ name: 'mine', emptyDir: {} }], containers: [{ name: 'a', image: 'x', volumeMounts: [own] }] }));
    assert.deepEqual(none.volumes, [{ name: 'mine', emptyDir: {} }]);
  });
  it('leaves mirror pods and updates alone', async () => {
    const deps = createFakeDeps();
    const plugin = createServiceAccountPlugin(deps);
    const mirror = pod({}, { 'kubernetes.io/config.mirror': 'abc' });
    await plugin.mutate!(attributes('CREATE', '', 'pods', mirror));
    const updated = pod();
    await plugin.mutate!(attributes('UPDATE', '', 'pods', updated));
    for (const p of [mirror, updated]) assert.deepEqual(p.spec, { containers: [{ name: 'c', image: 'x' }] });
  });
  it('generates names from upstream\'s alphabet and fresh volume sources', () => {
    assert.equal(generateTokenVolumeName(() => 0), 'kube-api-access-bbbbb');
    assert.equal(generateTokenVolumeName((n) => n - 1), 'kube-api-access-99999');
    assert.notEqual(tokenVolumeSource(), tokenVolumeSource());
  });
});
