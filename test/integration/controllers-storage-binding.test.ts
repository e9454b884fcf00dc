/**
 * The PersistentVolume binder and the built-in local-path provisioner through a real
 * `skiff server --simulated-nodes 2`: the default StorageClass, a static PV binding, the
 * WaitForFirstConsumer handshake with the scheduler, and Released volumes after claim deletion.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, PersistentVolumeSpec, PersistentVolumeStatus, PodSpec } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

type Pv = KubeObject & { spec?: PersistentVolumeSpec; status?: PersistentVolumeStatus };
type Pvc = KubeObject & { spec?: PersistentVolumeClaimSpec; status?: PersistentVolumeClaimStatus };
type Pod = KubeObject & { spec?: PodSpec };

const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer({ args: ['--simulated-nodes', '2'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function namespace(name: string): Promise<void> {
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function claim(ns: string, name: string, spec: PersistentVolumeClaimSpec): Pvc {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns }, spec };
}

test('kubectl get storageclass shows local-path as the default', async () => {
  const out = await kubectlOk(server, ['get', 'storageclass']);
  const line = out.split('\n').find((l) => l.startsWith('local-path'));
  assert.ok(line, out);
  assert.match(line, /^local-path \(default\)\s+skiff\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s/);
});

test('a claim without a class gets the default class', async () => {
  const ns = 'pv-default-class';
  await namespace(ns);
  const created = await client.create<Pvc>(PVCS, claim(ns, 'data', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }));
  assert.equal(created.spec?.storageClassName, 'local-path');
  const none = await client.create<Pvc>(PVCS, claim(ns, 'none', { storageClassName: '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }));
  assert.equal(none.spec?.storageClassName, '');
});

test('a claim binds to the smallest matching static volume; deleting it releases a Retain volume', async () => {
  const ns = 'pv-static';
  await namespace(ns);
  const pv = (name: string, size: string, modes: string[]): Pv => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, labels: { tier: 'static' } },
    spec: { storageClassName: 'manual', capacity: { storage: size }, accessModes: modes, persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/tmp/${name}` } },
  });
  await client.create(PVS, pv('static-big', '10Gi', ['ReadWriteOnce']));
  await client.create(PVS, pv('static-small', '1Gi', ['ReadWriteOnce']));
  await client.create(PVS, pv('static-rox', '1Gi', ['ReadOnlyMany']));
  await eventually('static volumes Available', async () => {
    const v = await client.get<Pv>(PVS, 'static-small');
    return v.status?.phase === 'Available' ? v : undefined;
  });
  await client.create(PVCS, claim(ns, 'data', {
    storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Mi' } }, selector: { matchLabels: { tier: 'static' } },
  }));
  const bound = await eventually('claim Bound', async () => {
    const c = await client.get<Pvc>(PVCS, 'data', { namespace: ns });
    return c.status?.phase === 'Bound' ? c : undefined;
  });
  assert.equal(bound.spec?.volumeName, 'static-small');
  assert.deepEqual(bound.status?.capacity, { storage: '1Gi' });
  assert.deepEqual(bound.status?.accessModes, ['ReadWriteOnce']);
  assert.equal(bound.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(bound.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  const vol = await eventually('volume Bound', async () => {
    const v = await client.get<Pv>(PVS, 'static-small');
    return v.status?.phase === 'Bound' ? v : undefined;
  });
  assert.equal(vol.spec?.claimRef?.name, 'data');
  assert.equal(vol.spec?.claimRef?.namespace, ns);
  assert.equal(vol.spec?.claimRef?.uid, bound.metadata.uid);
  assert.equal(vol.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
  assert.equal((await client.get<Pv>(PVS, 'static-big')).status?.phase, 'Available');

  const table = await kubectlOk(server, ['get', 'pv,pvc', '-n', ns]);
  assert.match(table, new RegExp(`persistentvolume/static-small\\s+1Gi\\s+RWO\\s+Retain\\s+Bound\\s+${ns}/data\\s+manual`));
  assert.match(table, /persistentvolumeclaim\/data\s+Bound\s+static-small\s+1Gi\s+RWO\s+manual/);

  await client.delete(PVCS, 'data', { namespace: ns });
  const released = await eventually('volume Released', async () => {
    const v = await client.get<Pv>(PVS, 'static-small');
    return v.status?.phase === 'Released' ? v : undefined;
  });
  assert.equal(released.spec?.claimRef?.uid, bound.metadata.uid);
  // Retain: the volume stays Released and is not bound again.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await client.get<Pv>(PVS, 'static-small')).status?.phase, 'Released');
});

test('a claim naming its volume binds to it (pre-binding)', async () => {
  const ns = 'pv-prebound';
  await namespace(ns);
  await client.create(PVS, {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'prebound-pv' },
    spec: { storageClassName: '', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/prebound' } },
  } as Pv);
  await client.create(PVCS, claim(ns, 'named', { storageClassName: '', volumeName: 'prebound-pv', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }));
  const c = await eventually('claim Bound', async () => {
    const x = await client.get<Pvc>(PVCS, 'named', { namespace: ns });
    return x.status?.phase === 'Bound' ? x : undefined;
  });
  assert.equal(c.spec?.volumeName, 'prebound-pv');
  assert.equal(c.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
});

test('WaitForFirstConsumer: the claim waits for a pod, then gets a local-path volume on its node', async () => {
  const ns = 'pv-wffc';
  await namespace(ns);
  const pvc = await client.create<Pvc>(PVCS, claim(ns, 'data', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } }));
  await eventually('WaitForFirstConsumer event', async () => {
    const list = await client.list<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace: ns });
    return list.items.find((e) => e.reason === 'WaitForFirstConsumer' && e.message === 'waiting for first consumer to be created before binding');
  });
  await new Promise((r) => setTimeout(r, 500));
  const waiting = await client.get<Pvc>(PVCS, 'data', { namespace: ns });
  assert.equal(waiting.status?.phase, 'Pending');
  assert.equal(waiting.spec?.volumeName, undefined);

  await client.create<Pod>(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user', namespace: ns },
    spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
  });
  const pod = await eventually('pod scheduled', async () => {
    const p = await client.get<Pod>(PODS, 'user', { namespace: ns });
    return p.spec?.nodeName ? p : undefined;
  });
  const node = pod.spec?.nodeName ?? '';
  const bound = await eventually('claim Bound', async () => {
    const c = await client.get<Pvc>(PVCS, 'data', { namespace: ns });
    return c.status?.phase === 'Bound' ? c : undefined;
  });
  const pvName = `pvc-${pvc.metadata.uid ?? ''}`;
  assert.equal(bound.spec?.volumeName, pvName);
  assert.equal(bound.metadata.annotations?.['volume.kubernetes.io/selected-node'], node);
  assert.equal(bound.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'], 'skiff.io/local-path');
  const pv = await eventually('volume Bound', async () => {
    const v = await client.get<Pv>(PVS, pvName);
    return v.status?.phase === 'Bound' ? v : undefined;
  });
  assert.equal(pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'skiff.io/local-path');
  assert.equal(pv.spec?.storageClassName, 'local-path');
  assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.deepEqual(pv.spec?.capacity, { storage: '2Gi' });
  assert.equal(pv.spec?.hostPath?.path, `/var/lib/skiff/storage/${pvName}_${ns}_data`);
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
  ]);
  await eventually('ProvisioningSucceeded event', async () => {
    const list = await client.list<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace: ns });
    return list.items.find((e) => e.reason === 'ProvisioningSucceeded' && e.message === `Successfully provisioned volume ${pvName}`);
  });

  // Delete reclaim policy: the provisioned volume goes away with its claim.
  await client.delete(PODS, 'user', { namespace: ns, gracePeriodSeconds: 0 });
  await client.delete(PVCS, 'data', { namespace: ns });
  await eventually('provisioned volume deleted', async () => {
    try {
      await client.get(PVS, pvName);
      return undefined;
    } catch (err) {
      return isNotFound(err) ? true : undefined;
    }
  });
});
