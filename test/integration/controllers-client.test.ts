/**
 * The controller client (src/client) against a real `skiff server`: REST verbs and Status errors,
 * watch streams, informers with indexes, and Lease leader election between two candidates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { RestClient, WatchEvent } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import { DeletedFinalStateUnknown, createInformer, createSharedInformerFactory } from '../../src/client/informer.js';
import { LEASES, runLeaderElection } from '../../src/client/leader-election.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer();
  client = clientFromKubeconfig(server.kubeconfig);
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'client-test' } });
  // The root-ca-cert-publisher adds kube-root-ca.crt to the new namespace; the configmap tests
  // below start once it is there.
  const deadline = Date.now() + 10_000;
  while (!(await client.list(CONFIGMAPS, { namespace: 'client-test' })).items.some((o) => o.metadata.name === 'kube-root-ca.crt')) {
    if (Date.now() > deadline) throw new Error('timed out waiting for kube-root-ca.crt');
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('REST verbs and Status errors', async () => {
  const ns = 'client-test';
  const created = await client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rest', namespace: ns }, data: { a: '1' } });
  assert.ok(created.metadata.uid);
  await assert.rejects(
    client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rest', namespace: ns } }),
    (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists' && e.details?.name === 'rest',
  );
  const patched = await client.patch<KubeObject>(CONFIGMAPS, 'rest', { namespace: ns, type: 'strategic', patch: { data: { b: '2' } } });
  assert.deepEqual(patched.data, { a: '1', b: '2' });
  await assert.rejects(
    client.update(CONFIGMAPS, { ...patched, metadata: { ...patched.metadata, resourceVersion: created.metadata.resourceVersion } }),
    (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'Conflict',
  );
  const meta = await client.get(CONFIGMAPS, 'rest', { namespace: ns, metadataOnly: true });
  assert.equal(meta.kind, 'PartialObjectMetadata');
  assert.equal(meta.metadata.uid, created.metadata.uid);
  await client.delete(CONFIGMAPS, 'rest', { namespace: ns, preconditions: { uid: created.metadata.uid } });
  await assert.rejects(client.get(CONFIGMAPS, 'rest', { namespace: ns }), (e: unknown) => isNotFound(e));
});

test('watch streams events from a resourceVersion and stops on abort', async () => {
  const ns = 'client-test';
  const listed = await client.list(CONFIGMAPS, { namespace: ns });
  const abort = new AbortController();
  const events: WatchEvent[] = [];
  const consumer = (async () => {
    for await (const ev of client.watch(CONFIGMAPS, { namespace: ns, resourceVersion: listed.metadata.resourceVersion, signal: abort.signal })) {
      events.push(ev);
      if (events.length === 3) break;
    }
  })();
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace: ns } });
  await client.patch(CONFIGMAPS, 'w', { namespace: ns, type: 'merge', patch: { data: { x: 'y' } } });
  await client.delete(CONFIGMAPS, 'w', { namespace: ns });
  await consumer;
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  abort.abort();
});

test('informer keeps a store in step with the server, with indexes and handlers', async () => {
  const ns = 'client-test';
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before', namespace: ns, labels: { team: 'a' } } });
  const inf = createInformer(client, CONFIGMAPS, { indexers: { team: (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []) } });
  const seen: string[] = [];
  // The test's own maps (not the published kube-root-ca.crt).
  const ours = (o: KubeObject): boolean => o.metadata.namespace === ns && o.metadata.name !== 'kube-root-ca.crt';
  inf.addEventHandler({
    onAdd: (o) => ours(o) && seen.push(`add ${o.metadata.name}`),
    onUpdate: (_o, n) => ours(n) && seen.push(`update ${n.metadata.name}`),
    onDelete: (o) => {
      const obj = o instanceof DeletedFinalStateUnknown ? o.obj : o;
      if (ours(obj)) seen.push(`delete ${obj.metadata.name}`);
    },
  });
  inf.run();
  assert.equal(await inf.waitForSync(AbortSignal.timeout(10_000)), true);
  assert.ok(inf.store.get(`${ns}/before`));
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: ns, labels: { team: 'b' } } });
  await client.patch(CONFIGMAPS, 'before', { namespace: ns, type: 'merge', patch: { metadata: { labels: { team: 'b' } } } });
  await client.delete(CONFIGMAPS, 'after', { namespace: ns });
  await until('events seen', () => seen.includes('delete after'));
  assert.deepEqual(seen, ['add before', 'add after', 'update before', 'delete after']);
  assert.deepEqual(inf.store.byIndex('team', 'b').map((o) => o.metadata.name), ['before']);
  assert.deepEqual(inf.store.byIndex('team', 'a'), []);
  assert.deepEqual(inf.store.byIndex('namespace', ns).map((o) => o.metadata.name).sort(), ['before', 'kube-root-ca.crt']);
  inf.stop();

  const factory = createSharedInformerFactory(client);
  assert.equal(factory.informerFor(CONFIGMAPS), factory.informerFor(CONFIGMAPS));
  factory.start();
  assert.equal(await factory.waitForCacheSync(AbortSignal.timeout(10_000)), true);
  factory.stop();
});

test('leader election: one leader at a time, handed over on release', async () => {
  const name = 'skiff-test-election';
  const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
  const state = { a: false, b: false };
  const stopA = new AbortController();
  const stopB = new AbortController();
  const runA = runLeaderElection({
    client, name, identity: 'candidate-a', ...timing, releaseOnCancel: true, signal: stopA.signal,
    onStartedLeading: () => {
      state.a = true;
    },
    onStoppedLeading: () => {
      state.a = false;
    },
  });
  await until('a leads', () => state.a);
  const runB = runLeaderElection({
    client, name, identity: 'candidate-b', ...timing, releaseOnCancel: true, signal: stopB.signal,
    onStartedLeading: () => {
      state.b = true;
    },
    onStoppedLeading: () => {
      state.b = false;
    },
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(state.b, false, 'b waits while a renews');
  const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string; leaseDurationSeconds?: number } }>(LEASES, name, { namespace: 'kube-system' });
  assert.equal(lease.spec?.holderIdentity, 'candidate-a');
  assert.equal(lease.spec?.leaseDurationSeconds, 3);

  stopA.abort();
  await runA;
  assert.equal(state.a, false);
  await until('b leads after a released', () => state.b, 5000);
  const after = await client.get<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(LEASES, name, { namespace: 'kube-system' });
  assert.equal(after.spec?.holderIdentity, 'candidate-b');
  assert.ok((after.spec?.leaseTransitions ?? 0) >= 1);
  stopB.abort();
  await runB;
});

test('the server runs its controller manager under the kube-controller-manager lease', async () => {
  const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(LEASES, 'kube-controller-manager', { namespace: 'kube-system' });
  assert.match(lease.spec?.holderIdentity ?? '', /^.+_[0-9a-f-]{36}$/);
});
