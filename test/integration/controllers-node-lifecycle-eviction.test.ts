/**
 * Node lifecycle through a real `skiff server` (grace period shortened with
 * `--node-monitor-grace-period 4s`): two Nodes and their Leases are created through the API and
 * kept alive by this test (it plays both kubelets); when it stops renewing one Lease, that node's
 * Ready condition becomes Unknown, it is tainted `node.kubernetes.io/unreachable` (NoExecute and
 * NoSchedule), ReplicaSet pods tolerating that for 2 s are deleted after it and replaced on the
 * healthy node, while a pod with the admission default (300 s) stays. When the node reports
 * Ready again the taints go away.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { Node, Pod, Taint } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const NS = 'lifecycle';

let server: TestServer;
let client: RestClient;
const renewing = new Set<string>();
let heartbeat: ReturnType<typeof setInterval> | undefined;

type NodeObj = Node & KubeObject;
type PodObj = Pod & KubeObject;

function microTime(d = new Date()): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

async function renew(name: string): Promise<void> {
  const lease = await client.get(LEASES, name, { namespace: 'kube-node-lease' });
  await client.update(LEASES, { ...lease, spec: { ...(lease.spec as object), renewTime: microTime() } });
}

/** What a kubelet posts: Ready=True with a fresh heartbeat (read again and retried on a conflict, as a kubelet does). */
async function postReady(name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const node = await client.get<NodeObj>(NODES, name);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    conditions.push({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now });
    try {
      await client.updateStatus(NODES, { ...node, status: { ...node.status, conditions } });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
    }
  }
}

async function addNode(name: string, unschedulable: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const resources = { cpu: '4', memory: '8Gi', pods: '110' };
  await client.create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { unschedulable },
    status: {
      capacity: resources, allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  } as KubeObject);
  await postReady(name);
  await client.create(LEASES, {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  });
  renewing.add(name);
}

before(async () => {
  server = await startServer({ args: ['--node-monitor-grace-period', '4s'] });
  client = clientFromKubeconfig(server.kubeconfig);
  heartbeat = setInterval(() => {
    for (const name of renewing) renew(name).catch(() => {});
  }, 1000);
});

after(async () => {
  if (heartbeat) clearInterval(heartbeat);
  client?.close();
  await server?.cleanup();
});

const hasTaint = (node: NodeObj, key: string, effect: string): boolean => (node.spec?.taints ?? []).some((t: Taint) => t.key === key && t.effect === effect);

async function rsPods(): Promise<PodObj[]> {
  const list = await client.list<PodObj>(PODS, { namespace: NS, labelSelector: 'app=web' });
  return list.items;
}

test('a node whose lease stops is Unknown and tainted; its pods are evicted after their toleration and replaced', async () => {
  await kubectlOk(server, ['create', 'namespace', NS]);
  // "alive" is cordoned at first so every replica lands on "lost".
  await addNode('alive', true);
  await addNode('lost', false);
  await client.create(REPLICASETS, {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'app', image: 'busybox' }],
          tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
        },
      },
    },
  });
  await client.create(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'patient', namespace: NS },
    spec: { nodeName: 'lost', containers: [{ name: 'app', image: 'busybox' }] },
  });
  const first = await eventually('both replicas bound to lost', async () => {
    const pods = await rsPods();
    return pods.length === 2 && pods.every((p) => p.spec?.nodeName === 'lost') ? pods : undefined;
  });
  // The template's own toleration is kept; the not-ready one is added by admission.
  const tolerations = first[0]!.spec?.tolerations ?? [];
  assert.deepEqual(tolerations.map((t) => `${t.key}:${t.tolerationSeconds}`).sort(), ['node.kubernetes.io/not-ready:300', 'node.kubernetes.io/unreachable:2']);
  await client.patch(NODES, 'alive', { type: 'merge', patch: { spec: { unschedulable: false } } });

  const stoppedAt = Date.now();
  renewing.delete('lost');
  const lost = await eventually('lost marked Unknown and tainted', async () => {
    const n = await client.get<NodeObj>(NODES, 'lost');
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'Unknown' && hasTaint(n, 'node.kubernetes.io/unreachable', 'NoExecute') ? n : undefined;
  });
  assert.ok(Date.now() - stoppedAt >= 3500, 'not before the grace period');
  const ready = lost.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'NodeStatusUnknown');
  assert.equal(ready?.message, 'Kubelet stopped posting node status.');
  for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    assert.equal(lost.status?.conditions?.find((c) => c.type === type)?.status, 'Unknown', type);
  }
  assert.ok(hasTaint(lost, 'node.kubernetes.io/unreachable', 'NoSchedule'));
  const taints = await kubectlOk(server, ['get', 'node', 'lost', '-o', 'jsonpath={.spec.taints[*].key}']);
  assert.match(taints, /node\.kubernetes\.io\/unreachable/);
  const alive = await client.get<NodeObj>(NODES, 'alive');
  assert.equal(alive.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal((alive.spec?.taints ?? []).length, 0);

  // After their 2 s toleration the replicas are deleted (they stay Terminating: no kubelet confirms).
  const taintedAt = Date.parse(lost.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded ?? '') || Date.now();
  await eventually('original replicas evicted', async () => {
    const uids = new Set(first.map((p) => p.metadata.uid));
    const now = (await rsPods()).filter((p) => uids.has(p.metadata.uid));
    return now.every((p) => p.metadata.deletionTimestamp) ? true : undefined;
  });
  assert.ok(Date.now() - taintedAt >= 1500, 'evicted only after tolerationSeconds');
  const evicted = (await rsPods()).find((p) => p.metadata.uid === first[0]!.metadata.uid);
  if (evicted) {
    const cond = evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.reason, 'DeletionByTaintManager');
  }
  await eventually('replacements on alive', async () => {
    const live = (await rsPods()).filter((p) => !p.metadata.deletionTimestamp);
    return live.length === 2 && live.every((p) => p.spec?.nodeName === 'alive') ? true : undefined;
  });
  const patient = await client.get<PodObj>(PODS, 'patient', { namespace: NS });
  assert.equal(patient.metadata.deletionTimestamp, undefined, 'a 300 s toleration keeps the pod for now');

  // The node comes back: taints are removed.
  await postReady('lost');
  await renew('lost');
  renewing.add('lost');
  await eventually('lost untainted', async () => {
    const n = await client.get<NodeObj>(NODES, 'lost');
    const r = n.status?.conditions?.find((c) => c.type === 'Ready');
    return r?.status === 'True' && (n.spec?.taints ?? []).length === 0 ? true : undefined;
  });
  const stillThere = await client.get<PodObj>(PODS, 'patient', { namespace: NS });
  assert.equal(stillThere.metadata.deletionTimestamp, undefined);
});
