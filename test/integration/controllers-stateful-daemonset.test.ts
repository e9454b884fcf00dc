/**
 * The DaemonSet controller through a real `skiff server`: Node objects are created through the
 * API (no kubelet runs), pods are inspected for their node binding and tolerations.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { DaemonSetStatus, PodSpec } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' };
const REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };

type Pod = KubeObject & { spec?: PodSpec };
type Ds = KubeObject & { status?: DaemonSetStatus };

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

async function node(name: string, extra: { labels?: Record<string, string>; taints?: unknown[] } = {}): Promise<void> {
  await client.create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: extra.taints ? { taints: extra.taints } : {},
  });
}

function targetNode(p: Pod): string | undefined {
  return p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0];
}

async function dsPods(ns: string, app: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, { namespace: ns, labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

test('one pod per eligible node, bound by node affinity; tainted nodes skipped; new nodes get one', async () => {
  await node('n1');
  await node('n2');
  await node('tainted', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  await node('pressured', { taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] });
  await client.create(DAEMONSETS, {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  }, { namespace: 'default' });
  const pods = await eventually('3 pods', async () => {
    const p = await dsPods('default', 'agent');
    return p.length === 3 ? p : undefined;
  });
  assert.deepEqual(pods.map(targetNode).sort(), ['n1', 'n2', 'pressured']);
  const tol = pods[0]?.spec?.tolerations?.map((t) => `${t.key ?? ''}:${t.effect ?? ''}`).sort();
  assert.deepEqual(tol, [
    'node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule',
  ]);
  const hash = pods[0]?.metadata.labels?.['controller-revision-hash'];
  assert.ok(hash);
  const revs = await client.list(REVISIONS, { namespace: 'default' });
  assert.deepEqual(revs.items.map((r) => r.metadata.name), [`agent-${hash}`]);
  const ds = await eventually('status', async () => {
    const cur = await client.get<Ds>(DAEMONSETS, 'agent', { namespace: 'default' });
    return cur.status?.currentNumberScheduled === 3 ? cur : undefined;
  });
  assert.equal(ds.status?.desiredNumberScheduled, 3);
  assert.equal(ds.status?.numberMisscheduled, 0);
  assert.equal(ds.status?.updatedNumberScheduled, 3);
  assert.equal(ds.status?.numberReady, 0);

  await node('n3');
  await eventually('pod on n3', async () => ((await dsPods('default', 'agent')).some((p) => targetNode(p) === 'n3') ? true : undefined));

  // nodeSelector narrows it down: pods on other nodes are deleted.
  await client.patch(NODES, 'n1', { type: 'merge', patch: { metadata: { labels: { role: 'edge' } } } });
  await client.patch(DAEMONSETS, 'agent', {
    namespace: 'default', type: 'merge', patch: { spec: { template: { spec: { nodeSelector: { role: 'edge' } } } } },
  });
  await eventually('only n1', async () => {
    const p = await dsPods('default', 'agent');
    return p.length === 1 && targetNode(p[0]!) === 'n1' ? true : undefined;
  });
});
