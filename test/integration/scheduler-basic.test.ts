/**
 * The scheduler against a real `skiff server`: Node objects created through the API (no
 * kubelet), `startScheduler` in this process; checks placements, the FailedScheduling message
 * and condition, schedulerName, re-activation when a node changes, and preemption.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Pod, Taint } from '../../src/apimachinery/generated/types.js';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig, isNotFound } from '../../src/client/rest-client.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { EVENTS, NODES, PODS, startScheduler } from '../../src/scheduler/scheduler.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

let server: TestServer;
let client: RestClient;
let scheduler: Scheduler;
const abort = new AbortController();

function node(name: string, o: { cpu?: string; labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) } },
    spec: { taints: o.taints },
    status: {
      capacity: { cpu: o.cpu ?? '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: o.cpu ?? '2', memory: '4Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }],
    },
  };
}

function pod(name: string, o: { cpu?: string; nodeSelector?: Record<string, string>; schedulerName?: string; priority?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: o.labels },
    spec: {
      schedulerName: o.schedulerName,
      nodeSelector: o.nodeSelector,
      // The Priority admission plugin sets spec.priority from the class (a client-set value is refused).
      priorityClassName: o.priority !== undefined ? `priority-${o.priority}` : undefined,
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'c', image: 'busybox', resources: o.cpu ? { requests: { cpu: o.cpu } } : undefined }],
    },
  };
}

async function createNode(n: Node): Promise<void> {
  await client.create(NODES, n as unknown as KubeObject);
  // Status goes through the status subresource, as a kubelet writes it: a patch, so the node IPAM
  // controller's concurrent podCIDR write cannot make it conflict.
  await client.patch(NODES, n.metadata?.name ?? '', { type: 'merge', subresource: 'status', patch: { status: n.status } });
}

const getPod = async (name: string) => (await client.get(PODS, name, { namespace: 'default' })) as unknown as Pod;
const nodeOf = (name: string) => eventually(`${name} bound`, async () => (await getPod(name)).spec?.nodeName || undefined);

before(async () => {
  // The test runs its own scheduler against the server: the server's must not compete with it.
  server = await startServer({ args: ['--disable-scheduler'] });
  client = clientFromKubeconfig(server.kubeconfig);
  await createNode(node('gpu-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], labels: { accel: 'gpu' } }));
  await createNode(node('small-1', { cpu: '1' }));
  await createNode(node('small-2', { cpu: '1' }));
  scheduler = startScheduler({ client, signal: abort.signal, initialBackoffMs: 100, maxBackoffMs: 500 });
  assert.ok(await scheduler.synced);
});

after(async () => {
  abort.abort();
  await scheduler?.done;
  client?.close();
  await server?.cleanup();
});

test('pods are bound to fitting nodes; taints keep them off the gpu node', async () => {
  await client.create(PODS, pod('a', { cpu: '600m' }) as unknown as KubeObject);
  await client.create(PODS, pod('b', { cpu: '600m' }) as unknown as KubeObject);
  const [na, nb] = await Promise.all([nodeOf('a'), nodeOf('b')]);
  assert.notEqual(na, 'gpu-1');
  assert.notEqual(nb, 'gpu-1');
  assert.notEqual(na, nb, 'the cache keeps the second pod off the node the first one filled');
});

test('a pod for another scheduler is left alone', async () => {
  await client.create(PODS, pod('other', { schedulerName: 'my-scheduler' }) as unknown as KubeObject);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await getPod('other')).spec?.nodeName, undefined);
});

test('a pod that fits nowhere gets the upstream message, then schedules once a node is untainted', async () => {
  await client.create(PODS, pod('big', { cpu: '800m' }) as unknown as KubeObject);
  const want =
    '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
  const cond = await eventually('PodScheduled=False', async () => (await getPod('big')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, want);
  const ev = await eventually('FailedScheduling event', async () => {
    const list = await client.list(EVENTS, { namespace: 'default' });
    return (list.items as unknown as Event[]).find((e) => e.involvedObject.name === 'big' && e.reason === 'FailedScheduling');
  });
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, want);

  const gpu = (await client.get(NODES, 'gpu-1')) as unknown as Node;
  await client.update(NODES, { ...gpu, spec: { ...gpu.spec, taints: [] } } as unknown as KubeObject);
  assert.equal(await nodeOf('big'), 'gpu-1');
});

test('a high-priority pod preempts a lower-priority one and is nominated', async () => {
  // every node is now full (a, b on the small nodes, big on gpu-1 with 1.2 cpu free)
  await client.create({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' }, {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'priority-1000' }, value: 1000,
  });
  await client.create(PODS, pod('vip', { cpu: '1500m', priority: 1000 }) as unknown as KubeObject);
  const nominated = await eventually('nominatedNodeName', async () => (await getPod('vip')).status?.nominatedNodeName || undefined);
  assert.equal(nominated, 'gpu-1');
  const victim = await eventually('victim deleted or terminating', async () => {
    try {
      const p = await getPod('big');
      return p.metadata?.deletionTimestamp ? 'terminating' : undefined;
    } catch (e) {
      return isNotFound(e) ? 'gone' : undefined;
    }
  });
  assert.ok(victim);
  // nothing runs the pod's kubelet: finish the graceful deletion ourselves
  await client.delete(PODS, 'big', { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined);
  assert.equal(await nodeOf('vip'), 'gpu-1');
});
