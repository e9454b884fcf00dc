/**
 * Namespace deletion through a real `skiff server` (its controller manager runs the namespace
 * controller): `kubectl delete namespace` empties the namespace, refuses new content while it is
 * Terminating, reports progress in status conditions and finally removes the namespace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };
const ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
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

async function getNamespace(name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(NAMESPACES, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function populate(ns: string): Promise<void> {
  await kubectlOk(server, ['create', 'namespace', ns]);
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: ns }, data: { a: 'b' } });
  await client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: ns }, stringData: { k: 'v' } });
  await client.create(SERVICEACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1', namespace: ns } });
  await client.create(ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r1', namespace: ns }, rules: [] });
  await client.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1', namespace: ns },
    spec: {
      replicas: 0, selector: { matchLabels: { app: 'd1' } },
      template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  });
}

test('kubectl delete namespace removes its content and then the namespace', async () => {
  const ns = 'ns-delete';
  await populate(ns);
  await kubectlOk(server, ['delete', 'namespace', ns], { timeoutMs: 60_000 });
  // kubectl waits for the namespace to be gone.
  assert.equal(await getNamespace(ns), undefined);
  for (const gvr of [CONFIGMAPS, SECRETS, SERVICEACCOUNTS, ROLES, DEPLOYMENTS]) {
    const left = await client.list(gvr, { namespace: ns });
    assert.equal(left.items.length, 0, `${gvr.resource} left in ${ns}`);
  }
  const out = await kubectl(server, ['get', 'namespace', ns]);
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /not found/);
});

test('a Terminating namespace refuses new content (403) and reports conditions until its finalized content goes', async () => {
  const ns = 'ns-terminating';
  const finalizer = 'example.com/hold';
  await populate(ns);
  await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: ns, finalizers: [finalizer] } });
  await kubectlOk(server, ['delete', 'namespace', ns, '--wait=false']);

  const terminating = await eventually('namespace reports remaining content', async () => {
    const o = await getNamespace(ns);
    const conds = (o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    return conds.some((c) => c.type === 'NamespaceContentRemaining' && c.status === 'True') ? o : undefined;
  });
  assert.equal((terminating.status as { phase?: string }).phase, 'Terminating');
  assert.ok(terminating.metadata.deletionTimestamp);
  const conditions = (terminating.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions;
  const byType = new Map(conditions.map((c) => [c.type, c]));
  assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.status, 'False');
  assert.equal(byType.get('NamespaceDeletionContentFailure')?.reason, 'ContentDeleted');
  assert.equal(byType.get('NamespaceContentRemaining')?.reason, 'SomeResourcesRemain');
  assert.match(byType.get('NamespaceContentRemaining')?.message ?? '', /configmaps\. has 1 resource instances/);
  assert.equal(byType.get('NamespaceFinalizersRemaining')?.reason, 'SomeFinalizersRemain');
  assert.match(byType.get('NamespaceFinalizersRemaining')?.message ?? '', /example\.com\/hold in 1 resource instances/);

  // Everything without a finalizer is gone already.
  await eventually('unfinalized content deleted', async () => {
    const cms = await client.list(CONFIGMAPS, { namespace: ns });
    const secrets = await client.list(SECRETS, { namespace: ns });
    return cms.items.length === 1 && secrets.items.length === 0 ? true : undefined;
  });

  // New content is refused while Terminating.
  await assert.rejects(
    client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: ns } }),
    (err: unknown) => err instanceof StatusError && err.code === 403 && /being terminated/.test(err.message),
  );
  const viaKubectl = await kubectl(server, ['create', 'configmap', 'late2', '-n', ns]);
  assert.notEqual(viaKubectl.code, 0);
  assert.match(viaKubectl.stderr, /forbidden: unable to create new content in namespace ns-terminating because it is being terminated/);

  assert.ok(await getNamespace(ns), 'namespace stays while content remains');
  await client.patch(CONFIGMAPS, 'held', { namespace: ns, type: 'merge', patch: { metadata: { finalizers: null } } });
  await eventually('namespace deleted', async () => ((await getNamespace(ns)) ? undefined : true));
});
