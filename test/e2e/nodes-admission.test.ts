/**
 * Kubelet pod admission through the real kubectl against `skiff server --simulated-nodes 2`:
 * pods bound with `spec.nodeName` (bypassing the scheduler) that do not fit the node are rejected
 * by its kubelet as upstream's: phase Failed, reason `OutOfcpu` / `NodeAffinity` as the STATUS of
 * `kubectl get pods`, "Pod was rejected: ..." as the status message, a Warning event from the
 * kubelet, and no container ever started. (An untolerated NoExecute taint is left to the unit
 * tests: the taint eviction controller deletes such a pod too, so which wins is a race.) Rejected pods do not count against the node, and they
 * can be deleted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';
import { getJson, parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';

const NS = 'nodes-admission';

function boundPod(name: string, cpu: string, spec: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      nodeName: 'sim-1', ...spec,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu } } }],
    },
  };
}

describe('kubelet pod admission through kubectl', () => {
  let server: TestServer;
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });
  const apply = (pod: JsonObject) => ok(['apply', '-f', '-'], JSON.stringify(pod));

  /** STATUS column of `kubectl get pod` once it equals `want`. */
  async function status(name: string, want: string): Promise<void> {
    await eventually(`${name} STATUS ${want}`, async () => {
      const row = rowOf(parseTable(await ok(['get', 'pod', name])), name);
      return row?.STATUS === want ? row : undefined;
    }, 60_000);
  }

  /** The Warning event line of `kubectl describe pod` with `reason`, from the kubelet; returns its message. */
  async function warning(name: string, reason: string): Promise<string> {
    return eventually(`${reason} event on ${name}`, async () => {
      const out = await ok(['describe', 'pod', name]);
      const re = new RegExp(`^ {2}Warning +${reason} +.*? +kubelet(?:, \\S+)? +(.*)$`, 'm');
      return re.exec(out)?.[1]?.trim();
    }, 60_000);
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '2', '--simulated-node-capacity', 'cpu=2,memory=4Gi,pods=110'] });
    await kubectlOk(server, ['create', 'namespace', NS]);
    await eventually('two Ready nodes', async () => {
      const t = parseTable(await kubectlOk(server, ['get', 'nodes']));
      return t.rows.length === 2 && t.rows.every((r) => r[1] === 'Ready') ? true : undefined;
    }, 60_000);
  });

  after(async () => {
    await server?.cleanup();
  });

  it('a pod that fits runs; one asking for more CPU than is left is rejected with OutOfcpu', async () => {
    await apply(boundPod('fits', '500m'));
    await status('fits', 'Running');

    await apply(boundPod('too-big', '4'));
    await status('too-big', 'OutOfcpu');
    const pod = await getJson(server, ['pod', 'too-big', '-n', NS]);
    const st = pod.status as JsonObject;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.reason, 'OutOfcpu');
    const m = /^Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: (\d+), capacity: 2000$/.exec(String(st.message));
    assert.ok(m, `status message: ${String(st.message)}`);
    assert.ok(Number(m[1]) >= 500, 'the running pod counts as used');
    assert.equal(st.containerStatuses, undefined, 'no container was started');

    const event = await warning('too-big', 'OutOfcpu');
    assert.equal(event, `Node didn't have enough resource: cpu, requested: 4000, used: ${m[1]}, capacity: 2000`);
    const describe = await ok(['describe', 'pod', 'too-big']);
    assert.match(describe, /^Status: +Failed$/m);
    assert.match(describe, /^Reason: +OutOfcpu$/m);
  });

  it('a rejected pod does not count: the next pod that fits still runs', async () => {
    await apply(boundPod('fits-too', '1'));
    await status('fits-too', 'Running');
    await status('too-big', 'OutOfcpu');
  });

  it('a nodeSelector the node does not match is rejected with NodeAffinity', async () => {
    await apply(boundPod('wrong-node', '100m', { nodeSelector: { disk: 'ssd' } }));
    await status('wrong-node', 'NodeAffinity');
    const pod = await getJson(server, ['pod', 'wrong-node', '-n', NS]);
    const st = pod.status as JsonObject;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.message, "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
    assert.equal(await warning('wrong-node', 'NodeAffinity'), "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
  });

  it('a pod whose nodeSelector matches (labels read fresh) is admitted', async () => {
    await kubectlOk(server, ['label', 'node', 'sim-1', 'disk=ssd']);
    await apply(boundPod('right-node', '100m', { nodeSelector: { disk: 'ssd' } }));
    await status('right-node', 'Running');
  });

  it('rejected pods can be deleted', async () => {
    assert.equal(await ok(['delete', 'pod', 'too-big', 'wrong-node']), 'pod "too-big" deleted\npod "wrong-node" deleted\n');
    const left = parseTable(await ok(['get', 'pods'])).rows.map((r) => r[0]).sort();
    assert.deepEqual(left, ['fits', 'fits-too', 'right-node']);
  });
});
