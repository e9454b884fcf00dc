/**
 * Quota, limits and node loss through the real kubectl against `skiff server --simulated-nodes 3
 * --node-monitor-grace-period 20s`: a ResourceQuota of 2 pods refuses the third with upstream's
 * message; a LimitRange default lands in a new pod's resources; a simulated node whose heartbeat is
 * stopped (Node annotation `sim.skiff.io/heartbeat: stopped`, see README) becomes NotReady and is
 * tainted unreachable, and its Deployment pods (tolerating that taint for 5 s only) are recreated on
 * the other nodes. The stopped kubelet still runs its pods, so the evicted ones finish terminating.
 * The grace period (20 s) must exceed the kubelet's Lease renewal interval (10 s) or every node
 * misses it, and with no node Ready the controller adds no NoExecute taint (full disruption).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { at, isObject, parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';
import { items, namespaced, readyNodes, until } from './workloads-util.js';

describe('quota, limits and node loss through kubectl', () => {
  let server: TestServer;

  async function newNamespace(ns: string): Promise<void> {
    await kubectlOk(server, ['create', 'namespace', ns]);
    await until(`default ServiceAccount in ${ns}`, async () => (await kubectlOk(server, ['-n', ns, 'get', 'serviceaccounts', '-o', 'name'])).includes('serviceaccount/default'));
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3', '--node-monitor-grace-period', '20s'] });
    await readyNodes(server, 3);
  });

  after(async () => {
    await server?.cleanup();
  });

  it('a quota of 2 pods refuses the third with the upstream message', async () => {
    const ns = 'policy-quota';
    await newNamespace(ns);
    const { k, ok } = namespaced(() => server, ns);
    assert.equal(await ok(['create', 'quota', 'pods', '--hard=pods=2']), 'resourcequota/pods created\n');
    await until('the quota controller filled in status', async () => {
      const q = await ok(['get', 'quota', 'pods', '-o', 'jsonpath={.status.hard.pods}/{.status.used.pods}']);
      return q === '2/0';
    });
    assert.equal(await ok(['run', 'p1', '--image=busybox']), 'pod/p1 created\n');
    assert.equal(await ok(['run', 'p2', '--image=busybox']), 'pod/p2 created\n');
    const third = await k(['run', 'p3', '--image=busybox']);
    assert.equal(third.code, 1);
    assert.equal(third.stderr.trim(), 'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2');
    const q = parseTable(await ok(['get', 'quota']));
    assert.equal(rowOf(q, 'pods')?.REQUEST, 'pods: 2/2');
    const described = await ok(['describe', 'quota', 'pods']);
    assert.match(described, /pods\s+2\s+2/);
    // Deleting one frees the slot.
    await ok(['delete', 'pod', 'p1', '--grace-period=0', '--force']);
    await until('the third pod is admitted once one is gone', async () => (await k(['run', 'p3', '--image=busybox'])).code === 0, 30_000);
  });

  it('a LimitRange default lands in a new pod\'s resources', async () => {
    const ns = 'policy-limits';
    await newNamespace(ns);
    const { ok, json, apply } = namespaced(() => server, ns);
    await apply({
      apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults' },
      spec: { limits: [{ type: 'Container', default: { cpu: '200m', memory: '128Mi' }, defaultRequest: { cpu: '100m', memory: '64Mi' } }] },
    });
    assert.equal(await ok(['run', 'plain', '--image=busybox']), 'pod/plain created\n');
    const pod = await json(['pod', 'plain']);
    assert.deepEqual(at(pod, 'spec.containers.0.resources'), { limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
    const annotations = at(pod, 'metadata.annotations');
    assert.ok(isObject(annotations));
    assert.equal(annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain');
    assert.match(await ok(['describe', 'pod', 'plain']), /Limits:\s+cpu:\s+200m\s+memory:\s+128Mi\s+Requests:\s+cpu:\s+100m\s+memory:\s+64Mi/);
  });

  it('a node whose heartbeat stops becomes NotReady and its Deployment pods move elsewhere', async (t) => {
    const ns = 'policy-nodeloss';
    await newNamespace(ns);
    const { ok, json, apply } = namespaced(() => server, ns);
    const tolerations = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']
      .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }));
    await apply({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'spread' },
      spec: {
        replicas: 6, selector: { matchLabels: { app: 'spread' } },
        template: {
          metadata: { labels: { app: 'spread' } },
          spec: {
            terminationGracePeriodSeconds: 1, tolerations,
            // Spread while all three are Ready; tainted nodes leave the skew count (nodeTaintsPolicy Honor).
            topologySpreadConstraints: [{
              maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor',
              labelSelector: { matchLabels: { app: 'spread' } },
            }],
            containers: [{ name: 'c', image: 'busybox' }],
          },
        },
      },
    });
    const placements = async (): Promise<Map<string, string>> => {
      const tbl = parseTable(await ok(['get', 'pods', '-o', 'wide', '-l', 'app=spread']));
      return new Map(tbl.rows.map((r) => rowOf(tbl, r[0]!)!).filter((r) => r.STATUS === 'Running').map((r) => [r.NAME!, r.NODE!]));
    };
    const before = await until('6 Running pods, two per node', async () => {
      const p = await placements();
      return p.size === 6 && [...p.values()].filter((n) => n === 'sim-1').length === 2 ? p : undefined;
    }, 60_000);
    const onLost = [...before].filter(([, n]) => n === 'sim-1').map(([name]) => name);
    t.diagnostic(`pods on sim-1: ${onLost.join(', ')}`);
    const defaults = await json(['pod', onLost[0]!]);
    const podTolerations = at(defaults, 'spec.tolerations');
    assert.ok(Array.isArray(podTolerations) && podTolerations.some((x) => isObject(x) && x.key === 'node.kubernetes.io/unreachable' && x.tolerationSeconds === 5),
      'the short toleration is kept (DefaultTolerationSeconds adds none over it)');

    assert.equal(await kubectlOk(server, ['annotate', 'node', 'sim-1', 'sim.skiff.io/heartbeat=stopped']), 'node/sim-1 annotated\n');
    try {
      await until('sim-1 NotReady', async () => rowOf(parseTable(await kubectlOk(server, ['get', 'nodes'])), 'sim-1')?.STATUS === 'NotReady', 60_000);
      const node = JSON.parse(await kubectlOk(server, ['get', 'node', 'sim-1', '-o', 'json'])) as JsonObject;
      const ready = (at(node, 'status.conditions') as JsonObject[]).find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'Unknown');
      assert.equal(ready?.reason, 'NodeStatusUnknown');
      assert.equal(ready?.message, 'Kubelet stopped posting node status.');
      await until('sim-1 tainted unreachable (NoSchedule and NoExecute)', async () => {
        const taints = await kubectlOk(server, ['get', 'node', 'sim-1', '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}']);
        return taints.includes('node.kubernetes.io/unreachable:NoExecute') && taints.includes('node.kubernetes.io/unreachable:NoSchedule');
      }, 30_000);
      for (const n of ['sim-0', 'sim-2']) assert.equal(rowOf(parseTable(await kubectlOk(server, ['get', 'nodes'])), n)?.STATUS, 'Ready');

      // After the 5 s toleration the pods are evicted and replaced on the other nodes.
      const after = await until('6 Running pods, none on sim-1', async () => {
        const p = await placements();
        const live = items(await json(['pods', '-l', 'app=spread'])).filter((x) => at(x, 'metadata.deletionTimestamp') === undefined);
        return p.size === 6 && live.length === 6 && [...p.values()].every((n) => n !== 'sim-1') ? p : undefined;
      }, 90_000);
      for (const name of onLost) assert.ok(!after.has(name), `${name} was replaced`);
      assert.equal(rowOf(parseTable(await ok(['get', 'deployments'])), 'spread')?.AVAILABLE, '6');
      const events = await kubectl(server, ['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=${onLost[0]!}`]);
      assert.match(events.stdout, /TaintManagerEviction\s+pod\/\S+\s+Marking for deletion Pod/);
    } finally {
      await kubectlOk(server, ['annotate', 'node', 'sim-1', 'sim.skiff.io/heartbeat-']);
    }
    // The heartbeat is back: Ready again and untainted.
    await until('sim-1 Ready again without unreachable taints', async () => {
      const row = rowOf(parseTable(await kubectlOk(server, ['get', 'nodes'])), 'sim-1');
      const taints = await kubectlOk(server, ['get', 'node', 'sim-1', '-o', 'jsonpath={.spec.taints}']);
      return row?.STATUS === 'Ready' && !taints.includes('unreachable');
    }, 60_000);
  });
});
