/**
 * The kubelet core on simulated nodes against a real `skiff server` child: three simulated
 * kubelets run in this test process and talk to the server only through the REST client.
 * Pods set `spec.nodeName` themselves (no scheduler needed). A small crash-loop back-off base
 * keeps the CrashLoopBackOff case quick.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { createRestClient } from '../../src/client/rest-client.js';
import type { RestClient } from '../../src/client/rest-client.js';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { Event, Lease, Node, Pod } from '../../src/apimachinery/generated/types.js';
import { startSimulatedNodes } from '../../src/kubelet/simulated-nodes.js';
import type { SimulatedNodes } from '../../src/kubelet/simulated-nodes.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NS = 'default';

let server: TestServer;
let client: RestClient;
let sim: SimulatedNodes;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getPod(name: string): Promise<Pod> {
  return (await client.get(PODS, name, { namespace: NS })) as unknown as Pod;
}

function pod(name: string, node: string, opts: { annotations?: Record<string, string>; restartPolicy?: string; grace?: number; readiness?: boolean } = {}): KubeObject {
  const p: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      nodeName: node,
      ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
      containers: [{
        name: 'c', image: 'busybox',
        ...(opts.readiness ? { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } } : {}),
      }],
    },
  };
  return p as unknown as KubeObject;
}

function condition(p: Pod, type: string): string | undefined {
  return p.status?.conditions?.find((c) => c.type === type)?.status;
}

before(async () => {
  server = await startServer();
  const tls = path.join(server.dataDir, 'tls');
  client = createRestClient({
    server: server.url, caPem: readFileSync(path.join(tls, 'server-ca.crt'), 'utf8'),
    certPem: readFileSync(path.join(tls, 'client-admin.crt'), 'utf8'), keyPem: readFileSync(path.join(tls, 'client-admin.key'), 'utf8'),
  });
  sim = startSimulatedNodes({
    client, count: 3, capacity: { cpu: '8', memory: '32Gi', pods: 110 },
    backoffInitialMs: 400, backoffMaxMs: 3_200, leaseRenewIntervalMs: 500, nodeStatusUpdateFrequencyMs: 1000,
    logger: {
      error: (fields, msg) => console.error('kubelet error:', msg, JSON.stringify(fields)),
      info: (fields, msg) => { if (process.env.SKIFF_TEST_VERBOSE) console.error('kubelet:', msg, JSON.stringify(fields)); },
      debug: (fields, msg) => { if (process.env.SKIFF_TEST_VERBOSE) console.error('kubelet debug:', msg, JSON.stringify(fields)); },
    },
  });
  await sim.ready;
});

after(async () => {
  await sim?.stop();
  client?.close();
  await server?.cleanup();
});

describe('simulated kubelet', () => {
  test('nodes register Ready with capacity, labels, podCIDR and addresses', async () => {
    const nodes = await until('3 Ready nodes', async () => {
      const list = await client.list(NODES);
      const ready = (list.items as unknown as Node[]).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 3 ? ready : undefined;
    });
    const n = nodes.find((x) => x.metadata?.name === 'sim-1')!;
    assert.ok(n, 'sim-1 exists');
    assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'sim-1');
    assert.equal(n.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.ok(n.metadata?.labels?.['kubernetes.io/arch']);
    assert.equal(n.status?.capacity?.pods, '110');
    assert.equal(n.status?.capacity?.cpu, '8');
    assert.equal(n.status?.allocatable?.memory, '32Gi');
    assert.equal(n.spec?.podCIDR, '10.128.1.0/24');
    assert.deepEqual(n.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(),
      ['DiskPressure=False', 'MemoryPressure=False', 'PIDPressure=False', 'Ready=True']);
    assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'KubeletReady');
    assert.ok(n.status?.addresses?.some((a) => a.type === 'InternalIP'));
    assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? '', /^simulated:\/\//);
  });

  test('leases in kube-node-lease renew', async () => {
    const first = (await until('lease', () => client.get(LEASES, 'sim-0', { namespace: 'kube-node-lease' }))) as unknown as Lease;
    assert.equal(first.spec?.holderIdentity, 'sim-0');
    assert.equal(first.spec?.leaseDurationSeconds, 40);
    assert.equal(first.metadata?.ownerReferences?.[0]?.kind, 'Node');
    await until('a renewed lease', async () => {
      const l = (await client.get(LEASES, 'sim-0', { namespace: 'kube-node-lease' })) as unknown as Lease;
      return l.spec?.renewTime !== first.spec?.renewTime ? l : undefined;
    });
  });

  test('a pod bound to a node reaches Running and Ready with an IP from the node CIDR', async () => {
    await client.create(PODS, pod('run', 'sim-1', { readiness: true }));
    const p = await until('Running and Ready', async () => {
      const x = await getPod('run');
      return x.status?.phase === 'Running' && condition(x, 'Ready') === 'True' ? x : undefined;
    });
    assert.match(p.status?.podIP ?? '', /^10\.128\.1\.\d+$/);
    assert.equal(p.status?.hostIP, '172.31.0.2');
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'PodScheduled']) assert.equal(condition(p, t), 'True', t);
    const cs = p.status?.containerStatuses?.[0];
    assert.ok(cs?.state?.running?.startedAt);
    assert.equal(cs?.ready, true);
    assert.equal(cs?.started, true);
    assert.equal(cs?.restartCount, 0);
    assert.match(cs?.containerID ?? '', /^simulated:\/\/[0-9a-f]+$/);
    assert.equal(cs?.image, 'docker.io/library/busybox:latest');
    const reasons = await until('Pulled, Created and Started events', async () => {
      const list = await client.list(EVENTS, { namespace: NS, fieldSelector: 'involvedObject.name=run' });
      const rs = (list.items as unknown as Event[]).map((e) => e.reason ?? '');
      return ['Pulled', 'Created', 'Started'].every((r) => rs.includes(r)) ? rs : undefined;
    });
    assert.ok(reasons.includes('Started'));
  });

  test('exit 1 with restartPolicy Always crash-loops with growing restart counts', async () => {
    await client.create(PODS, pod('crash', 'sim-0', { annotations: { 'sim.skiff.io/exit-code': '1', 'sim.skiff.io/exit-after': '100ms' } }));
    const p = await until('CrashLoopBackOff with restarts >= 2', async () => {
      const x = await getPod('crash');
      const cs = x.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 2 ? x : undefined;
    });
    const cs = p.status!.containerStatuses![0]!;
    assert.match(cs.state!.waiting!.message!, /^back-off \d+(\.\d+)?m?s restarting failed container=c pod=crash_default\(.+\)$/);
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.equal(p.status?.phase, 'Running');
    await until('a higher restart count', async () => {
      const x = await getPod('crash');
      return (x.status?.containerStatuses?.[0]?.restartCount ?? 0) > cs.restartCount ? x : undefined;
    });
    const events = await client.list(EVENTS, { namespace: NS, fieldSelector: 'involvedObject.name=crash' });
    assert.ok((events.items as unknown as Event[]).some((e) => e.reason === 'BackOff' && e.type === 'Warning'));
  });

  test('exit 1 with restartPolicy Never ends Failed', async () => {
    await client.create(PODS, pod('never', 'sim-2', { restartPolicy: 'Never', annotations: { 'sim.skiff.io/exit-code': '1' } }));
    const p = await until('Failed', async () => {
      const x = await getPod('never');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    const t = p.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(t?.exitCode, 1);
    assert.equal(t?.reason, 'Error');
    assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(condition(p, 'Ready'), 'False');
  });

  test('exit 0 with restartPolicy OnFailure ends Succeeded', async () => {
    await client.create(PODS, pod('job', 'sim-2', { restartPolicy: 'OnFailure', annotations: { 'sim.skiff.io/exit-after': '200ms' } }));
    const p = await until('Succeeded', async () => {
      const x = await getPod('job');
      return x.status?.phase === 'Succeeded' ? x : undefined;
    });
    const t = p.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(t?.exitCode, 0);
    assert.equal(t?.reason, 'Completed');
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  });

  test('delete waits for graceful termination, then the pod disappears', async () => {
    await client.create(PODS, pod('slow', 'sim-1', { grace: 3, annotations: { 'sim.skiff.io/ignore-sigterm': 'true' } }));
    await until('Running', async () => ((await getPod('slow')).status?.phase === 'Running' ? true : undefined));
    const t0 = Date.now();
    await client.delete(PODS, 'slow', { namespace: NS });
    const during = await getPod('slow');
    assert.ok(during.metadata?.deletionTimestamp, 'terminating, not gone');
    await until('gone', async () => {
      try {
        await getPod('slow');
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    }, 20_000);
    const took = Date.now() - t0;
    assert.ok(took >= 2500, `deleted after ${took}ms, before the 3s grace period`);
    const events = await client.list(EVENTS, { namespace: NS, fieldSelector: 'involvedObject.name=slow' });
    assert.ok((events.items as unknown as Event[]).some((e) => e.reason === 'Killing'));
  });

  test('a pod that stops on SIGTERM is gone quickly', async () => {
    await client.create(PODS, pod('quick', 'sim-0', { grace: 30 }));
    await until('Running', async () => ((await getPod('quick')).status?.phase === 'Running' ? true : undefined));
    const t0 = Date.now();
    await client.delete(PODS, 'quick', { namespace: NS });
    await until('gone', async () => {
      try {
        await getPod('quick');
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    });
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(sim.runtimeFor('sim-0')!.counts().running >= 0, true);
  });
});
