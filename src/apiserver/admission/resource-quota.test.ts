import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createResourceQuotaPlugin } from './resource-quota.js';
import type { FakeDeps } from './testing.js';
import { attributes, createFakeDeps } from './testing.js';

function quota(name: string, hard: Record<string, string>, used: Record<string, string> | undefined, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'default' },
    spec: { hard, ...spec }, status: used ? { hard, used } : {},
  };
}

function pod(name: string, containers: Record<string, unknown>[] = [{}], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: containers.map((c, i) => ({ name: `c${i}`, image: 'x', ...c })), ...extra },
  };
}

function setup(...quotas: KubeObject[]): FakeDeps {
  const deps = createFakeDeps();
  for (const q of quotas) deps.put('', 'resourcequotas', q);
  return deps;
}

function used(deps: FakeDeps, name: string): Record<string, string> | undefined {
  const q = deps.registry('', 'resourcequotas').objects.get(`default/${name}`);
  return (q?.status as { used?: Record<string, string> } | undefined)?.used;
}

async function refusal(p: Promise<void> | void): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 403);
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('ResourceQuota admission', () => {
  it('charges a pod and refuses the one over the limit', async () => {
    const deps = setup(quota('q', { pods: '2' }, { pods: '1' }));
    const plugin = createResourceQuotaPlugin(deps);
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('a')));
    assert.deepEqual(used(deps, 'q'), { pods: '2' });
    assert.equal(await refusal(plugin.validate!(attributes('CREATE', '', 'pods', pod('b')))),
      'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    assert.deepEqual(used(deps, 'q'), { pods: '2' });
  });

  it('compute resources: requests, limits and bare cpu/memory', async () => {
    const deps = setup(quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi', cpu: '1' }, { 'requests.cpu': '0', 'limits.memory': '0', cpu: '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('a', [{ resources: { requests: { cpu: '600m' }, limits: { memory: '512Mi' } } }])));
    assert.deepEqual(used(deps, 'compute'), { cpu: '600m', 'limits.memory': '512Mi', 'requests.cpu': '600m' });
    assert.equal(await refusal(plugin.validate!(attributes('CREATE', '', 'pods', pod('b', [{ resources: { requests: { cpu: '600m' }, limits: { memory: '100Mi' } } }])))),
      'pods "b" is forbidden: exceeded quota: compute, requested: cpu=600m,requests.cpu=600m, used: cpu=600m,requests.cpu=600m, limited: cpu=1,requests.cpu=1');
  });

  it('containers must declare quota’d compute resources', async () => {
    const deps = setup(quota('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' }));
    const msg = await refusal(createResourceQuotaPlugin(deps).validate!(attributes('CREATE', '', 'pods',
      pod('a', [{ resources: { limits: { cpu: '1' } } }, {}], { initContainers: [{ name: 'init', image: 'x' }] }))));
    assert.equal(msg, 'pods "a" is forbidden: failed quota: compute: must specify limits.cpu for: c1,init; requests.memory for: c0,c1,init');
  });

  it('init containers count as their peak; terminal pods are free of compute quota', async () => {
    const deps = setup(quota('q', { 'requests.cpu': '10', pods: '5', 'count/pods': '5' }, { 'requests.cpu': '0', pods: '0', 'count/pods': '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('a', [{ resources: { requests: { cpu: '1' } } }], {
      initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '3' } } }],
    })));
    assert.deepEqual(used(deps, 'q'), { 'count/pods': '1', pods: '1', 'requests.cpu': '3' });
    const done = pod('b', [{ resources: { requests: { cpu: '1' } } }]);
    done.status = { phase: 'Succeeded' };
    await plugin.validate!(attributes('CREATE', '', 'pods', done));
    assert.deepEqual(used(deps, 'q'), { 'count/pods': '2', pods: '1', 'requests.cpu': '3' });
  });

  it('a quota not yet synced by the controller limits nothing', async () => {
    const deps = setup(quota('fresh', { pods: '0' }, undefined));
    await createResourceQuotaPlugin(deps).validate!(attributes('CREATE', '', 'pods', pod('a')));
  });

  it('status unknown when used lacks a tracked resource', async () => {
    const q = quota('q', { pods: '5', 'requests.cpu': '1' }, { pods: '0' });
    const msg = await refusal(createResourceQuotaPlugin(setup(q)).validate!(attributes('CREATE', '', 'pods', pod('a', [{ resources: { requests: { cpu: '1' } } }]))));
    assert.equal(msg, 'pods "a" is forbidden: status unknown for quota: q, resources: requests.cpu');
  });

  it('object counts with count/<resource>.<group> and legacy names', async () => {
    const deps = setup(quota('objects', { 'count/deployments.apps': '1', configmaps: '1', 'count/configmaps': '5' }, { 'count/deployments.apps': '0', configmaps: '0', 'count/configmaps': '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    const deploy: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1', namespace: 'default' }, spec: {} };
    await plugin.validate!(attributes('CREATE', 'apps', 'deployments', deploy));
    assert.equal(await refusal(plugin.validate!(attributes('CREATE', 'apps', 'deployments', { ...deploy, metadata: { name: 'd2', namespace: 'default' } }))),
      'deployments.apps "d2" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    // Updates of counted objects are free.
    await plugin.validate!(attributes('UPDATE', 'apps', 'deployments', deploy, { oldObject: { ...deploy, metadata: { ...deploy.metadata, resourceVersion: '5' } } }));
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'default' } };
    await plugin.validate!(attributes('CREATE', '', 'configmaps', cm));
    assert.equal(await refusal(plugin.validate!(attributes('CREATE', '', 'configmaps', { ...cm, metadata: { name: 'c2', namespace: 'default' } }))),
      'configmaps "c2" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=1, limited: configmaps=1');
  });

  it('services: node ports and load balancers, charged on type changes', async () => {
    const deps = setup(quota('svc', { services: '5', 'services.nodeports': '2', 'services.loadbalancers': '0' }, { services: '0', 'services.nodeports': '0', 'services.loadbalancers': '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    const svc = (type: string, ports = 1): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default', resourceVersion: '3' },
      spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) } });
    await plugin.validate!(attributes('CREATE', '', 'services', svc('ClusterIP')));
    assert.deepEqual(used(deps, 'svc'), { services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' });
    await plugin.validate!(attributes('UPDATE', '', 'services', svc('NodePort', 2), { oldObject: svc('ClusterIP') }));
    assert.deepEqual(used(deps, 'svc'), { services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2' });
    assert.match(await refusal(plugin.validate!(attributes('CREATE', '', 'services', svc('LoadBalancer')))),
      /exceeded quota: svc, requested: services.loadbalancers=1,services.nodeports=1, used: services.loadbalancers=0,services.nodeports=2, limited: services.loadbalancers=0,services.nodeports=2/);
  });

  it('claims: count and requests.storage (also per storage class)', async () => {
    const cls = 'local-path.storageclass.storage.k8s.io/requests.storage';
    const deps = setup(quota('storage', { persistentvolumeclaims: '3', 'requests.storage': '10Gi', [cls]: '4Gi' }, { persistentvolumeclaims: '0', 'requests.storage': '0', [cls]: '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    const pvc = (name: string, storage: string, storageClassName?: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
      spec: { storageClassName, resources: { requests: { storage } } } });
    await plugin.validate!(attributes('CREATE', '', 'persistentvolumeclaims', pvc('a', '6Gi')));
    assert.deepEqual(used(deps, 'storage'), { [cls]: '0', persistentvolumeclaims: '1', 'requests.storage': '6Gi' });
    assert.equal(await refusal(plugin.validate!(attributes('CREATE', '', 'persistentvolumeclaims', pvc('b', '5Gi', 'local-path')))),
      `persistentvolumeclaims "b" is forbidden: exceeded quota: storage, requested: ${cls}=5Gi,requests.storage=5Gi, used: ${cls}=0,requests.storage=6Gi, limited: ${cls}=4Gi,requests.storage=10Gi`);
  });

  it('every matching quota must allow the write; none is charged on refusal', async () => {
    const deps = setup(quota('a-wide', { pods: '10' }, { pods: '0' }), quota('b-tight', { pods: '1' }, { pods: '1' }));
    const msg = await refusal(createResourceQuotaPlugin(deps).validate!(attributes('CREATE', '', 'pods', pod('x'))));
    assert.match(msg, /exceeded quota: b-tight/);
    assert.deepEqual(used(deps, 'a-wide'), { pods: '0' });
  });

  it('scopes: BestEffort and Terminating quotas only see their pods', async () => {
    const deps = setup(
      quota('besteffort', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] }),
      quota('terminating', { pods: '1' }, { pods: '1' }, { scopes: ['Terminating'] }),
    );
    const plugin = createResourceQuotaPlugin(deps);
    // Burstable, no deadline: neither quota applies.
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('ok', [{ resources: { requests: { cpu: '1' } } }])));
    assert.match(await refusal(plugin.validate!(attributes('CREATE', '', 'pods', pod('be')))), /exceeded quota: besteffort/);
    assert.match(await refusal(plugin.validate!(attributes('CREATE', '', 'pods', pod('t', [{ resources: { requests: { cpu: '1' } } }], { activeDeadlineSeconds: 10 })))), /exceeded quota: terminating/);
  });

  it('PriorityClass scope selector', async () => {
    const deps = setup(quota('high', { pods: '0' }, { pods: '0' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }));
    const plugin = createResourceQuotaPlugin(deps);
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('low', [{}], { priorityClassName: 'low' })));
    assert.match(await refusal(plugin.validate!(attributes('CREATE', '', 'pods', pod('hi', [{}], { priorityClassName: 'high' })))), /exceeded quota: high/);
  });

  it('dry run checks without charging; subresources are ignored', async () => {
    const deps = setup(quota('q', { pods: '1' }, { pods: '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    await plugin.validate!(attributes('CREATE', '', 'pods', pod('a'), { dryRun: true }));
    assert.deepEqual(used(deps, 'q'), { pods: '0' });
    await plugin.validate!(attributes('UPDATE', '', 'pods', pod('a'), { subresource: 'status' }));
    assert.equal(deps.registry('', 'resourcequotas').writes.length, 0);
  });

  it('retries a status write that lost a race and re-checks', async () => {
    const deps = setup(quota('q', { pods: '3' }, { pods: '0' }));
    deps.registry('', 'resourcequotas').failNextWrites = 2;
    await createResourceQuotaPlugin(deps).validate!(attributes('CREATE', '', 'pods', pod('a')));
    assert.deepEqual(used(deps, 'q'), { pods: '1' });
  });

  it('concurrent creates never exceed the limit', async () => {
    const deps = setup(quota('q', { pods: '3' }, { pods: '0' }));
    const plugin = createResourceQuotaPlugin(deps);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => plugin.validate!(attributes('CREATE', '', 'pods', pod(`p${i}`)))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.deepEqual(used(deps, 'q'), { pods: '3' });
  });
});
