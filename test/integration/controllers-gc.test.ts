/**
 * Garbage collection through a real `skiff server` (its controller manager runs the collector):
 * `kubectl delete --cascade=background|foreground|orphan` on a ConfigMap owner with Secret and
 * ConfigMap dependents.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

let server: TestServer;
let client: RestClient;

before(async () => {
  server = await startServer();
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function exists(gvr: typeof CONFIGMAPS, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(gvr, name, { namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function gone(gvr: typeof CONFIGMAPS, namespace: string, name: string): Promise<true | undefined> {
  return (await exists(gvr, namespace, name)) ? undefined : true;
}

async function family(ns: string, opts: { blockingFinalizer?: string } = {}): Promise<{ owner: KubeObject }> {
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const owner = await client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns }, data: { a: '1' } });
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid ?? '' };
  await client.create(SECRETS, {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: 'dep-secret', namespace: ns, ownerReferences: [{ ...ref, blockOwnerDeletion: true }], finalizers: opts.blockingFinalizer ? [opts.blockingFinalizer] : undefined },
    stringData: { k: 'v' },
  });
  await client.create(CONFIGMAPS, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dep-cm', namespace: ns, ownerReferences: [{ ...ref, controller: true }] },
  });
  return { owner };
}

test('background cascade removes the dependents after the owner', async () => {
  const ns = 'gc-background';
  await family(ns);
  await kubectlOk(server, ['delete', 'configmap', 'owner', '-n', ns, '--cascade=background']);
  assert.equal(await exists(CONFIGMAPS, ns, 'owner'), undefined);
  await eventually('dependent secret deleted', () => gone(SECRETS, ns, 'dep-secret'));
  await eventually('dependent configmap deleted', () => gone(CONFIGMAPS, ns, 'dep-cm'));
});

test('a dependent whose owner never existed is collected; one with a live owner is kept', async () => {
  const ns = 'gc-dangling';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const live = await client.create<KubeObject>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live', namespace: ns } });
  await client.create(CONFIGMAPS, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'orphaned', namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'missing', uid: '00000000-0000-0000-0000-000000000001' }] },
  });
  await client.create(CONFIGMAPS, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: 'two-owners', namespace: ns, ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'missing', uid: '00000000-0000-0000-0000-000000000001' },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'live', uid: live.metadata.uid ?? '' },
      ],
    },
  });
  await eventually('dangling dependent deleted', () => gone(CONFIGMAPS, ns, 'orphaned'));
  const kept = await eventually('dangling reference dropped', async () => {
    const o = await exists(CONFIGMAPS, ns, 'two-owners');
    return o && o.metadata.ownerReferences?.length === 1 ? o : undefined;
  });
  assert.equal(kept.metadata.ownerReferences?.[0]?.name, 'live');
});

test('foreground cascade deletes dependents before the owner', async () => {
  const ns = 'gc-foreground';
  const finalizer = 'example.com/hold';
  await family(ns, { blockingFinalizer: finalizer });
  await kubectlOk(server, ['delete', 'configmap', 'owner', '-n', ns, '--cascade=foreground', '--wait=false']);

  // The owner waits, marked, while the blocking dependent is held by its own finalizer.
  const owner = await eventually('owner marked for foreground deletion', async () => {
    const o = await exists(CONFIGMAPS, ns, 'owner');
    return o?.metadata.deletionTimestamp ? o : undefined;
  });
  assert.ok(owner.metadata.finalizers?.includes('foregroundDeletion'));
  await eventually('non-blocking dependent deleted', () => gone(CONFIGMAPS, ns, 'dep-cm'));
  const held = await eventually('blocking dependent being deleted', async () => {
    const s = await exists(SECRETS, ns, 'dep-secret');
    return s?.metadata.deletionTimestamp ? s : undefined;
  });
  assert.deepEqual(held.metadata.finalizers, [finalizer]);
  await new Promise((r) => setTimeout(r, 1000));
  const stillThere = await exists(CONFIGMAPS, ns, 'owner');
  assert.ok(stillThere, 'owner stays while a blockOwnerDeletion dependent exists');
  assert.ok(stillThere.metadata.finalizers?.includes('foregroundDeletion'));

  await client.patch(SECRETS, 'dep-secret', { namespace: ns, type: 'merge', patch: { metadata: { finalizers: null } } });
  await eventually('blocking dependent gone', () => gone(SECRETS, ns, 'dep-secret'));
  await eventually('owner deleted after its dependents', () => gone(CONFIGMAPS, ns, 'owner'));
});

test('orphan cascade keeps dependents and removes their ownerReferences', async () => {
  const ns = 'gc-orphan';
  const { owner } = await family(ns);
  await kubectlOk(server, ['delete', 'configmap', 'owner', '-n', ns, '--cascade=orphan']);
  await eventually('owner deleted', () => gone(CONFIGMAPS, ns, 'owner'));
  for (const [gvr, name] of [[SECRETS, 'dep-secret'], [CONFIGMAPS, 'dep-cm']] as const) {
    const dep = await exists(gvr, ns, name);
    assert.ok(dep, `${name} kept`);
    assert.ok(!(dep.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid), `${name} lost its ownerReference`);
  }
  // Still there a moment later: nothing collects them.
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(await exists(SECRETS, ns, 'dep-secret'));
  assert.ok(await exists(CONFIGMAPS, ns, 'dep-cm'));
});
