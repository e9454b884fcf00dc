import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { LimitRangeItem } from '../../apimachinery/generated/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import { createLimitRangerPlugin, LIMIT_RANGER_ANNOTATION } from './limit-ranger.js';
import { attributes, createFakeDeps } from './testing.js';

function limitRange(name: string, limits: LimitRangeItem[], namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace }, spec: { limits } };
}

function pod(containers: Record<string, unknown>[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
    spec: { containers: containers.map((c, i) => ({ name: `c${i}`, image: 'x', ...c })), ...extra },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function claim(storage: string): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } };
}

async function run(lrs: KubeObject[], obj: KubeObject, resource = 'pods', op: 'CREATE' | 'UPDATE' = 'CREATE'): Promise<KubeObject> {
  const deps = createFakeDeps();
  for (const lr of lrs) deps.put('', 'limitranges', lr);
  const plugin = createLimitRangerPlugin(deps);
  const attrs = attributes(op, '', resource, obj);
  await plugin.mutate!(attrs);
  await plugin.validate!(attrs);
  return obj;
}

async function refused(lrs: KubeObject[], obj: KubeObject, resource = 'pods'): Promise<string> {
  try {
    await run(lrs, obj, resource);
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 403);
    return err.message;
  }
  assert.fail('expected a refusal');
}

const resources = (o: KubeObject, i = 0): unknown => (o.spec as { containers: { resources?: unknown }[] }).containers[i]!.resources;

describe('LimitRanger admission', () => {
  const defaults = limitRange('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }]);

  it('fills missing requests and limits and records them', async () => {
    const p = await run([defaults], pod([{}]));
    assert.deepEqual(resources(p), { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION], 'LimitRanger plugin set: cpu, memory request for container c0; cpu, memory limit for container c0');
    assert.equal((p.status as { qosClass: string }).qosClass, 'Burstable');
  });

  it('keeps what the container sets', async () => {
    const p = await run([defaults], pod([{ resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }]));
    assert.deepEqual(resources(p), { limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '1', memory: '128Mi' } });
    assert.equal(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION], 'LimitRanger plugin set: memory request for container c0; memory limit for container c0');
  });

  it('defaults init containers too', async () => {
    const p = await run([defaults], pod([{ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }], { initContainers: [{ name: 'init', image: 'x' }] }));
    assert.match(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION] ?? '', /cpu, memory limit for init container init/);
  });

  const max = limitRange('max', [{ type: 'Container', max: { cpu: '1' } }]);
  const cases: { name: string; lr: KubeObject; containers: Record<string, unknown>[]; message: string; extra?: Record<string, unknown> }[] = [
    { name: 'limit over max', lr: max, containers: [{ resources: { limits: { cpu: '2' }, requests: { cpu: '500m' } } }],
      message: 'maximum cpu usage per Container is 1, but limit is 2' },
    { name: 'request over max', lr: max, containers: [{ resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } }],
      message: 'maximum cpu usage per Container is 1, but request is 2' },
    { name: 'no limit under max', lr: limitRange('m', [{ type: 'Container', max: { memory: '1Gi' } }]), containers: [{}],
      message: 'maximum memory usage per Container is 1Gi.  No limit is specified' },
    { name: 'request under min', lr: limitRange('m', [{ type: 'Container', min: { cpu: '200m' } }]), containers: [{ resources: { requests: { cpu: '100m' } } }],
      message: 'minimum cpu usage per Container is 200m, but request is 100m' },
    { name: 'no request with min', lr: limitRange('m', [{ type: 'Container', min: { cpu: '200m' } }]), containers: [{}],
      message: 'minimum cpu usage per Container is 200m.  No request is specified' },
    { name: 'ratio too high', lr: limitRange('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      containers: [{ resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } } }],
      message: 'cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000' },
    { name: 'ratio without request', lr: limitRange('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]), containers: [{}],
      message: 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0' },
    { name: 'pod sum over max', lr: limitRange('p', [{ type: 'Pod', max: { cpu: '1' } }]),
      containers: [{ resources: { limits: { cpu: '600m' } } }, { resources: { limits: { cpu: '600m' } } }],
      message: 'maximum cpu usage per Pod is 1, but limit is 1200m' },
    { name: 'two violations aggregate', lr: limitRange('two', [{ type: 'Container', max: { cpu: '1' } }]),
      containers: [{ resources: { limits: { cpu: '2' } } }, { resources: { limits: { cpu: '3' } } }],
      message: '[maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Container is 1, but limit is 3]' },
  ];
  for (const c of cases) {
    it(`refuses: ${c.name}`, async () => {
      assert.equal(await refused([c.lr], pod(c.containers, c.extra)), `pods "p" is forbidden: ${c.message}`);
    });
  }

  it('admits a pod inside the bounds and ignores other namespaces', async () => {
    await run([max, limitRange('elsewhere', [{ type: 'Container', max: { cpu: '1m' } }], 'other')], pod([{ resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }]));
  });

  it('does not touch pod updates', async () => {
    const p = pod([{}]);
    await run([defaults, max], p, 'pods', 'UPDATE');
    assert.equal(resources(p), undefined);
  });

  it('holds claims to storage min and max', async () => {
    const lr = limitRange('storage', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
    assert.equal(await refused([lr], claim('20Gi'), 'persistentvolumeclaims'),
      'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
    assert.equal(await refused([lr], claim('500Mi'), 'persistentvolumeclaims'),
      'persistentvolumeclaims "data" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    await run([lr], claim('5Gi'), 'persistentvolumeclaims');
  });
});
