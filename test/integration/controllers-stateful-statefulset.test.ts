/**
 * The StatefulSet controller through a real `skiff server`; the test plays kubelet by writing
 * pod status (Running + Ready) through `pods/<name>/status`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { PodSpec, PodStatus, StatefulSetStatus } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' };
const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

type Pod = KubeObject & { spec?: PodSpec; status?: PodStatus };
type Sts = KubeObject & { status?: StatefulSetStatus };

let server: TestServer;
let client: RestClient;

before(async () => {
  // The test plays the kubelet (writes pod status) on a cluster without nodes: no scheduler
  // competing for the same pods' status.
  server = await startServer({ args: ['--disable-scheduler'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

function statefulSet(name: string, replicas: number, extra: Record<string, unknown> = {}, image = 'nginx'): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name },
    spec: {
      replicas, serviceName: name, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...extra,
    },
  };
}

async function podNames(ns: string, app: string): Promise<string[]> {
  const list = await client.list<Pod>(PODS, { namespace: ns, labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name ?? '').sort();
}

/** The scheduler (no nodes here) may rewrite conditions; tests re-mark pods ready while waiting. */
async function markReady(ns: string, name: string): Promise<void> {
  const cur = await get(PODS, ns, name) as Pod | undefined;
  if (!cur || cur.metadata.deletionTimestamp) return;
  if (cur.status?.phase === 'Running' && cur.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(PODS, name, {
    namespace: ns, subresource: 'status', type: 'merge',
    patch: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } },
  });
}

async function get(gvr: typeof PODS, ns: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(gvr, name, { namespace: ns });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

test('OrderedReady: web-1 only after web-0 is Running and Ready; claims, identity, status', async () => {
  const ns = 'sts-ordered';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(STATEFULSETS, statefulSet('web', 3), { namespace: ns });
  await eventually('web-0', async () => ((await podNames(ns, 'web')).includes('web-0') ? true : undefined));
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await podNames(ns, 'web'), ['web-0'], 'only web-0 before it is ready');
  const web0 = (await client.get<Pod>(PODS, 'web-0', { namespace: ns }));
  assert.equal(web0.spec?.hostname, 'web-0');
  assert.equal(web0.spec?.subdomain, 'web');
  assert.equal(web0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
  assert.ok(web0.metadata.labels?.['controller-revision-hash']?.startsWith('web-'));
  assert.equal(web0.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, 'data-web-0');
  assert.ok(await get(PVCS, ns, 'data-web-0'), 'claim data-web-0 exists');

  await markReady(ns, 'web-0');
  await eventually('web-1', async () => ((await podNames(ns, 'web')).includes('web-1') ? true : undefined));
  await new Promise((r) => setTimeout(r, 800));
  assert.deepEqual(await podNames(ns, 'web'), ['web-0', 'web-1']);
  await markReady(ns, 'web-1');
  await eventually('web-2', async () => ((await podNames(ns, 'web')).includes('web-2') ? true : undefined));
  const sts = await eventually('status ready 3', async () => {
    for (const n of ['web-0', 'web-1', 'web-2']) await markReady(ns, n);
    const cur = await client.get<Sts>(STATEFULSETS, 'web', { namespace: ns });
    return cur.status?.readyReplicas === 3 ? cur : undefined;
  });
  assert.equal(sts.status?.replicas, 3);
  assert.equal(sts.status?.currentReplicas, 3);
  assert.equal(sts.status?.updatedReplicas, 3);
  assert.equal(sts.status?.availableReplicas, 3);
  assert.equal(sts.status?.currentRevision, sts.status?.updateRevision);
  assert.equal(sts.status?.observedGeneration, sts.metadata.generation);
  for (const n of ['data-web-0', 'data-web-1', 'data-web-2']) assert.ok(await get(PVCS, ns, n), n);
  const revs = await client.list(REVISIONS, { namespace: ns });
  assert.equal(revs.items.length, 1);
  assert.equal(revs.items[0]?.metadata.name, sts.status?.updateRevision);
  assert.ok(revs.items[0]?.metadata.labels?.['controller.kubernetes.io/hash']);

  // Scale down from the highest ordinal; claims stay (Retain).
  await client.patch(STATEFULSETS, 'web', { namespace: ns, type: 'merge', patch: { spec: { replicas: 1 } } });
  await eventually('scaled down to web-0', async () => {
    const names = await podNames(ns, 'web');
    for (const n of names) await markReady(ns, n);
    return names.join(',') === 'web-0' ? true : undefined;
  });
  // Highest ordinal first (the controller's events record the order).
  const events = await client.list<KubeObject & { message?: string }>({ group: '', version: 'v1', resource: 'events' }, { namespace: ns });
  const deletes = events.items.map((e) => e.message ?? '').filter((m) => m.startsWith('delete Pod'));
  assert.deepEqual(deletes, ['delete Pod web-2 in StatefulSet web successful', 'delete Pod web-1 in StatefulSet web successful']);
  assert.ok(await get(PVCS, ns, 'data-web-2'), 'claim kept on scale-down');
});

test('Parallel creates all pods at once; RollingUpdate replaces from the highest ordinal', async () => {
  const ns = 'sts-parallel';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(STATEFULSETS, statefulSet('db', 3, { podManagementPolicy: 'Parallel' }), { namespace: ns });
  await eventually('3 pods', async () => ((await podNames(ns, 'db')).length === 3 ? true : undefined));
  for (const n of ['db-0', 'db-1', 'db-2']) await markReady(ns, n);
  const before = await eventually('ready', async () => {
    const cur = await client.get<Sts>(STATEFULSETS, 'db', { namespace: ns });
    return cur.status?.readyReplicas === 3 ? cur : undefined;
  });
  await client.patch(STATEFULSETS, 'db', {
    namespace: ns, type: 'json', patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' }],
  });
  const after1 = await eventually('new update revision', async () => {
    const cur = await client.get<Sts>(STATEFULSETS, 'db', { namespace: ns });
    return cur.status?.updateRevision && cur.status.updateRevision !== before.status?.updateRevision ? cur : undefined;
  });
  // db-2 is replaced first with the new revision.
  const db2 = await eventually('db-2 at update revision', async () => {
    const p = await get(PODS, ns, 'db-2') as Pod | undefined;
    return p && !p.metadata.deletionTimestamp && p.metadata.labels?.['controller-revision-hash'] === after1.status?.updateRevision ? p : undefined;
  });
  assert.equal(db2.spec?.containers[0]?.image, 'nginx:2');
  const db0 = await client.get<Pod>(PODS, 'db-0', { namespace: ns });
  assert.equal(db0.metadata.labels?.['controller-revision-hash'], before.status?.updateRevision, 'db-0 untouched while db-2 is not ready');
  const revs = await client.list<KubeObject & { revision: number }>(REVISIONS, { namespace: ns });
  assert.deepEqual(revs.items.map((r) => r.revision).sort(), [1, 2]);
});
