/**
 * ReplicaSet, ReplicationController and Deployment controllers through a real `skiff server` and
 * the real kubectl. No kubelet runs here: the test plays the kubelet by writing pod status
 * (Running, Ready, podIP) through `pods/<name>/status`, one pod at a time where a rollout step
 * is checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const RCS = { group: '', version: 'v1', resource: 'replicationcontrollers' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };

type Pod = KubeObject & {
  spec?: { containers?: { image?: string }[]; nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
};
type Workload = KubeObject & {
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string }[] };
};

let server: TestServer;
let client: RestClient;
let ipCounter = 10;

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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function pods(ns: string, labelSelector?: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, { namespace: ns, labelSelector });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Plays the kubelet: Running + Ready (+ a pod IP). */
async function markReady(p: Pod, ready = true): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ip = `10.42.1.${ipCounter++ % 250}`;
  await client.updateStatus(PODS, {
    ...p,
    status: {
      phase: 'Running', podIP: ip, podIPs: [{ ip }], startTime: now,
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
      ],
    },
  });
}

async function markAllReady(ns: string, labelSelector?: string): Promise<void> {
  for (const p of await pods(ns, labelSelector)) if (!isReady(p)) await markReady(p);
}

async function namespace(name: string): Promise<void> {
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function table(out: string): Record<string, string>[] {
  const lines = out.trim().split('\n');
  const header = lines[0]!.trim().split(/\s{2,}/);
  return lines.slice(1).map((l) => {
    const cells = l.trim().split(/\s{2,}/);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

test('ReplicaSet: slow-start creation, status, adoption, release and scale-down preference', async () => {
  const ns = 'wl-rs';
  await namespace(ns);
  await kubectlOk(server, ['apply', '-n', ns, '-f', '-'], {
    input: `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: fe}
spec:
  replicas: 3
  selector: {matchLabels: {app: fe}}
  template:
    metadata: {labels: {app: fe, tier: x}}
    spec: {containers: [{name: c, image: nginx}]}
`,
  });
  const created = await eventually('3 pods', async () => {
    const ps = await pods(ns, 'app=fe');
    return ps.length === 3 ? ps : undefined;
  });
  for (const p of created) {
    assert.match(p.metadata.name ?? '', /^fe-[a-z0-9]{5}$/);
    const ref = p.metadata.ownerReferences?.[0];
    assert.equal(ref?.kind, 'ReplicaSet');
    assert.equal(ref?.name, 'fe');
    assert.equal(ref?.controller, true);
    assert.equal(ref?.blockOwnerDeletion, true);
  }
  await markReady(created[0]!);
  await markReady(created[1]!);
  const rs = await eventually('status ready 2', async () => {
    const o = await client.get<Workload>(REPLICASETS, 'fe', { namespace: ns });
    return o.status?.readyReplicas === 2 && o.status?.availableReplicas === 2 ? o : undefined;
  });
  assert.equal(rs.status?.replicas, 3);
  assert.equal(rs.status?.fullyLabeledReplicas, 3);
  assert.equal(rs.status?.observedGeneration, rs.metadata.generation);

  // Scale down to 2: the not-ready pod goes first.
  await kubectlOk(server, ['scale', 'rs', 'fe', '-n', ns, '--replicas=2']);
  await eventually('not-ready pod deleted', async () => {
    const names = (await pods(ns, 'app=fe')).map((p) => p.metadata.name);
    return names.length === 2 && !names.includes(created[2]!.metadata.name) ? true : undefined;
  });

  // An orphan matching the selector is adopted (and then surplus, so deleted); a pod whose
  // labels stop matching is released.
  const kept = await pods(ns, 'app=fe');
  await kubectlOk(server, ['label', 'pod', kept[0]!.metadata.name ?? '', '-n', ns, 'app=other', '--overwrite']);
  const released = await eventually('released', async () => {
    const p = await client.get<Pod>(PODS, kept[0]!.metadata.name ?? '', { namespace: ns });
    return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
  });
  assert.equal(released.metadata.labels?.app, 'other');
  await eventually('replacement created', async () => ((await pods(ns, 'app=fe')).length === 2 ? true : undefined));
  await kubectlOk(server, ['label', 'pod', kept[0]!.metadata.name ?? '', '-n', ns, 'app=fe', '--overwrite']);
  await eventually('re-adopted and surplus removed', async () => {
    const ps = await pods(ns, 'app=fe');
    return ps.length === 2 && ps.every((p) => p.metadata.ownerReferences?.[0]?.name === 'fe') ? true : undefined;
  });
});

test('ReplicationController: creates pods and reports status; minReadySeconds delays availability', async () => {
  const ns = 'wl-rc';
  await namespace(ns);
  await kubectlOk(server, ['apply', '-n', ns, '-f', '-'], {
    input: `apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 2
  minReadySeconds: 2
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: nginx}]}
`,
  });
  const ps = await eventually('2 pods', async () => {
    const l = await pods(ns, 'app=legacy');
    return l.length === 2 ? l : undefined;
  });
  assert.equal(ps[0]!.metadata.ownerReferences?.[0]?.kind, 'ReplicationController');
  for (const p of ps) await markReady(p);
  const ready = await eventually('ready 2', async () => {
    const o = await client.get<Workload>(RCS, 'legacy', { namespace: ns });
    return o.status?.readyReplicas === 2 ? o : undefined;
  });
  assert.ok(((ready.status?.availableReplicas as number | undefined) ?? 0) < 2, 'not available before minReadySeconds');
  await eventually('available 2 after minReadySeconds', async () => {
    const o = await client.get<Workload>(RCS, 'legacy', { namespace: ns });
    return o.status?.availableReplicas === 2 ? true : undefined;
  }, 10_000);
});

test('Deployment: create, scale, rolling update within maxSurge/maxUnavailable, undo, history', async () => {
  const ns = 'wl-deploy';
  await namespace(ns);
  await kubectlOk(server, ['create', 'deployment', 'web', '-n', ns, '--image=nginx:1', '--replicas=3']);
  const rs1 = await eventually('first ReplicaSet with 3 pods', async () => {
    const l = await client.list<Workload>(REPLICASETS, { namespace: ns });
    const p = await pods(ns, 'app=web');
    return l.items.length === 1 && p.length === 3 ? l.items[0] : undefined;
  });
  const hash = rs1.metadata.labels?.['pod-template-hash'] ?? '';
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(rs1.metadata.name, `web-${hash}`);
  assert.equal(rs1.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs1.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(rs1.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');

  await markAllReady(ns, 'app=web');
  await eventually('READY 3/3', async () => {
    const row = table(await kubectlOk(server, ['get', 'deploy', '-n', ns]))[0];
    return row?.READY === '3/3' && row['UP-TO-DATE'] === '3' && row.AVAILABLE === '3' ? true : undefined;
  });

  await kubectlOk(server, ['scale', 'deployment', 'web', '-n', ns, '--replicas=10']);
  await eventually('10 pods', async () => ((await pods(ns, 'app=web')).length === 10 ? true : undefined));
  await markAllReady(ns, 'app=web');
  await eventually('READY 10/10', async () => {
    const row = table(await kubectlOk(server, ['get', 'deploy', '-n', ns]))[0];
    return row?.READY === '10/10' && row.AVAILABLE === '10' ? true : undefined;
  });
  await kubectlOk(server, ['rollout', 'status', `deployment/web`, '-n', ns, '--timeout=20s']);

  // 10 replicas, maxSurge 25% → 3 (rounded up), maxUnavailable 25% → 2 (rounded down).
  await kubectlOk(server, ['annotate', 'deployment', 'web', '-n', ns, 'kubernetes.io/change-cause=image nginx:2']);
  await kubectlOk(server, ['set', 'image', 'deployment/web', '-n', ns, 'nginx=nginx:2']);
  let steps = 0;
  for (;;) {
    await sleep(400);
    const rsList = (await client.list<Workload>(REPLICASETS, { namespace: ns })).items;
    const specTotal = rsList.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
    assert.ok(specTotal <= 13, `ReplicaSets want ${specTotal} pods, more than 10 + maxSurge 3`);
    const current = await pods(ns, 'app=web');
    const ready = current.filter(isReady).length;
    assert.ok(ready >= 8, `only ${ready} ready pods, fewer than 10 - maxUnavailable 2`);
    const newPods = current.filter((p) => p.spec?.containers?.[0]?.image === 'nginx:2');
    const notReadyNew = newPods.filter((p) => !isReady(p));
    if (newPods.length === 10 && notReadyNew.length === 0 && current.length === 10) break;
    if (notReadyNew.length > 0) {
      await markReady(notReadyNew[0]!);
      steps++;
    }
    assert.ok(steps <= 20, 'rollout did not finish');
  }
  await kubectlOk(server, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s']);
  const d2 = await client.get<Workload>(DEPLOYMENTS, 'web', { namespace: ns });
  assert.equal(d2.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  const progressing = d2.status?.conditions?.find((c) => c.type === 'Progressing');
  assert.equal(progressing?.reason, 'NewReplicaSetAvailable');
  assert.equal(d2.status?.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasAvailable');
  const history = await kubectlOk(server, ['rollout', 'history', 'deployment/web', '-n', ns]);
  assert.match(history, /2\s+image nginx:2/);

  // Undo goes back to revision 1's template, reusing its ReplicaSet (now revision 3).
  await kubectlOk(server, ['rollout', 'undo', 'deployment/web', '-n', ns]);
  await eventually('old ReplicaSet scaled up again', async () => {
    await markAllReady(ns, 'app=web');
    const r = await client.get<Workload>(REPLICASETS, `web-${hash}`, { namespace: ns });
    const all = await pods(ns, 'app=web');
    return r.spec?.replicas === 10 && all.length === 10 && all.every((p) => p.spec?.containers?.[0]?.image === 'nginx:1') ? r : undefined;
  }, 30_000).then((r) => assert.equal(r.metadata.annotations?.['deployment.kubernetes.io/revision'], '3'));
  await kubectlOk(server, ['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=20s']);
  const rsCount = (await client.list<Workload>(REPLICASETS, { namespace: ns })).items.length;
  assert.equal(rsCount, 2, 'undo reuses the revision-1 ReplicaSet');
  const d3 = await client.get<Workload>(DEPLOYMENTS, 'web', { namespace: ns });
  assert.equal(d3.spec?.template?.spec?.containers?.[0]?.image, 'nginx:1');
});

test('Deployment: Recreate, pause/resume, restart, revisionHistoryLimit', async () => {
  const ns = 'wl-recreate';
  await namespace(ns);
  await kubectlOk(server, ['apply', '-n', ns, '-f', '-'], {
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: rc}
spec:
  replicas: 2
  revisionHistoryLimit: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: rc}}
  template:
    metadata: {labels: {app: rc}}
    spec: {containers: [{name: c, image: busybox:1}]}
`,
  });
  await eventually('2 pods', async () => ((await pods(ns, 'app=rc')).length === 2 ? true : undefined));
  await markAllReady(ns, 'app=rc');
  await kubectlOk(server, ['rollout', 'status', 'deployment/rc', '-n', ns, '--timeout=20s']);

  // Paused: a template change makes no new ReplicaSet; scaling still applies.
  await kubectlOk(server, ['rollout', 'pause', 'deployment/rc', '-n', ns]);
  await kubectlOk(server, ['set', 'image', 'deployment/rc', '-n', ns, 'c=busybox:2']);
  await kubectlOk(server, ['scale', 'deployment', 'rc', '-n', ns, '--replicas=3']);
  await eventually('paused condition and scale', async () => {
    const d = await client.get<Workload>(DEPLOYMENTS, 'rc', { namespace: ns });
    const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
    const rsl = (await client.list<Workload>(REPLICASETS, { namespace: ns })).items;
    return c?.reason === 'DeploymentPaused' && rsl.length === 1 && rsl[0]!.spec?.replicas === 3 ? true : undefined;
  });
  await kubectlOk(server, ['rollout', 'resume', 'deployment/rc', '-n', ns]);
  // Recreate: all old pods go before any new one is created.
  await eventually('new ReplicaSet at 3 after old at 0', async () => {
    const rsl = (await client.list<Workload>(REPLICASETS, { namespace: ns })).items;
    const all = await pods(ns, 'app=rc');
    const mixed = all.some((p) => p.spec?.containers?.[0]?.image === 'busybox:1') && all.some((p) => p.spec?.containers?.[0]?.image === 'busybox:2');
    assert.ok(!mixed, 'Recreate never runs old and new pods together');
    return rsl.length === 2 && all.length === 3 && all.every((p) => p.spec?.containers?.[0]?.image === 'busybox:2') ? true : undefined;
  });
  await markAllReady(ns, 'app=rc');
  await kubectlOk(server, ['rollout', 'status', 'deployment/rc', '-n', ns, '--timeout=20s']);

  // restart: a new template annotation, a third ReplicaSet, history limited to 1 old one.
  await kubectlOk(server, ['rollout', 'restart', 'deployment/rc', '-n', ns]);
  await eventually('restarted pods', async () => {
    await markAllReady(ns, 'app=rc');
    const all = await pods(ns, 'app=rc');
    const d = await client.get<Workload>(DEPLOYMENTS, 'rc', { namespace: ns });
    return d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3' && all.length === 3 && all.every(isReady) ? true : undefined;
  });
  await kubectlOk(server, ['rollout', 'status', 'deployment/rc', '-n', ns, '--timeout=20s']);
  await eventually('history pruned to 1 old ReplicaSet', async () => {
    const rsl = (await client.list<Workload>(REPLICASETS, { namespace: ns })).items;
    return rsl.length === 2 ? true : undefined;
  });
  const pod = (await pods(ns, 'app=rc'))[0]!;
  assert.ok(pod.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], 'restartedAt annotation on new pods');
});

test('Deployment: progressDeadlineSeconds reports ProgressDeadlineExceeded', async () => {
  const ns = 'wl-deadline';
  await namespace(ns);
  await kubectlOk(server, ['apply', '-n', ns, '-f', '-'], {
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 1
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: nginx}]}
`,
  });
  const d = await eventually('timed out', async () => {
    const o = await client.get<Workload>(DEPLOYMENTS, 'slow', { namespace: ns });
    const c = o.status?.conditions?.find((x) => x.type === 'Progressing');
    return c?.reason === 'ProgressDeadlineExceeded' ? o : undefined;
  }, 15_000);
  assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.status, 'False');
  assert.equal(d.status?.conditions?.find((x) => x.type === 'Available')?.reason, 'MinimumReplicasUnavailable');
});
