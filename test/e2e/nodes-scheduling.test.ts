/**
 * The scheduler through the real kubectl against `skiff server --simulated-nodes 3`: pods land
 * where nodeSelector, required node affinity, tolerations, resource requests, hostPorts, required
 * pod anti-affinity and topology spread say; a pod that fits nowhere stays Pending with upstream's
 * FailedScheduling text in `kubectl describe pod`, and is scheduled once a node is labelled or
 * untainted. Messages are upstream 1.32's. Each test removes its pods; node labels and taints are
 * undone where later tests would see them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { describeResult, parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';

const NS = 'nodes-sched';
const NODES = ['sim-0', 'sim-1', 'sim-2'];

function pod(name: string, labels: Record<string, string>, spec: JsonObject = {}, container: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { ...spec, containers: [{ name: 'c', image: 'busybox', ...container }] },
  };
}

function list(...items: JsonObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('scheduling through kubectl', () => {
  let server: TestServer;
  const k = (args: string[], input?: string) => kubectl(server, ['-n', NS, ...args], { input });
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });

  /** name → NODE column of `kubectl get pods -o wide -l <selector>` ('<none>' while unscheduled). */
  async function placements(selector: string): Promise<Map<string, string>> {
    const t = parseTable(await ok(['get', 'pods', '-o', 'wide', '-l', selector]));
    const node = t.header.indexOf('NODE');
    return new Map(t.rows.map((r) => [r[0]!, r[node]!]));
  }

  /** Waits until every pod in `names` has a node and is Running; returns name → node. */
  async function scheduled(selector: string, names: string[]): Promise<Map<string, string>> {
    return until(`${names.join(', ')} scheduled and Running`, async () => {
      const t = parseTable(await ok(['get', 'pods', '-o', 'wide', '-l', selector]));
      const rows = names.map((n) => rowOf(t, n));
      if (rows.some((r) => !r || r.NODE === '<none>' || r.STATUS !== 'Running')) return undefined;
      return new Map(rows.map((r) => [r!.NAME!, r!.NODE!]));
    });
  }

  /** Waits for the FailedScheduling event in `kubectl describe pod` and returns its message. */
  async function failedScheduling(name: string, expected?: string): Promise<string> {
    return until(`FailedScheduling on ${name}${expected ? `: ${expected}` : ''}`, async () => {
      const out = await ok(['describe', 'pod', name]);
      const lines = out.split('\n').filter((l) => /^ {2}Warning +FailedScheduling +/.test(l));
      const msgs = lines.map((l) => l.replace(/^ {2}Warning +FailedScheduling +.+? +default-scheduler +/, ''));
      if (expected === undefined) return msgs.at(-1);
      return msgs.includes(expected) ? expected : undefined;
    });
  }

  /** The pod is Pending with no node, and its PodScheduled condition is False/Unschedulable (with `message` when given). */
  async function stillPending(name: string, message?: string): Promise<void> {
    const row = rowOf(parseTable(await ok(['get', 'pod', name, '-o', 'wide'])), name);
    assert.equal(row?.STATUS, 'Pending', `${name} stays Pending`);
    assert.equal(row?.NODE, '<none>');
    const jp = 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}/{.status.conditions[?(@.type=="PodScheduled")].reason}/{.status.conditions[?(@.type=="PodScheduled")].message}';
    const want = `False/Unschedulable/${message ?? ''}`;
    await until(`${name} PodScheduled=${want}`, async () => {
      const cond = await ok(['get', 'pod', name, '-o', jp]);
      return message === undefined ? cond.startsWith('False/Unschedulable/') : cond === want;
    });
  }

  /** FailedScheduling with `message` in `kubectl describe pod`, and the pod Pending with the same condition message. */
  async function unschedulable(name: string, message: string): Promise<void> {
    await failedScheduling(name, message);
    await stillPending(name, message);
  }

  async function cleanup(selector: string): Promise<void> {
    await ok(['delete', 'pods', '-l', selector, '--grace-period=1']);
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await kubectlOk(server, ['create', 'namespace', NS]);
    await until('three Ready nodes', async () => {
      const t = parseTable(await kubectlOk(server, ['get', 'nodes']));
      return t.rows.length === 3 && t.rows.every((r) => r[1] === 'Ready');
    });
  });

  after(async () => {
    await server?.cleanup();
  });

  it('nodeSelector and required node affinity pick the node', async () => {
    assert.equal(await kubectlOk(server, ['label', 'node', 'sim-2', 'disk=ssd']), 'node/sim-2 labeled\n');
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['sim-0', 'sim-2'] }] }],
        },
      },
    };
    const manifest = list(
      pod('by-selector', { t: 'select' }, { nodeSelector: { disk: 'ssd' } }),
      pod('by-affinity', { t: 'select' }, { affinity }),
    );
    await ok(['create', '-f', '-'], manifest);
    const where = await scheduled('t=select', ['by-selector', 'by-affinity']);
    assert.equal(where.get('by-selector'), 'sim-2');
    assert.equal(where.get('by-affinity'), 'sim-1');
    const out = await ok(['describe', 'pod', 'by-selector']);
    assert.match(out, /^Node-Selectors: +disk=ssd$/m);
    assert.match(out, new RegExp(`^ {2}Normal +Scheduled +.+ +default-scheduler +Successfully assigned ${NS}/by-selector to sim-2$`, 'm'));
    await cleanup('t=select');
    assert.equal(await kubectlOk(server, ['label', 'node', 'sim-2', 'disk-']), 'node/sim-2 unlabeled\n');
  });

  it('hostPorts: one pod per node for the same port, the fourth fits nowhere', async () => {
    const hp = (name: string) => pod(name, { t: 'hostport' }, {}, { ports: [{ containerPort: 8080, hostPort: 18080 }] });
    await ok(['create', '-f', '-'], list(hp('hp-0'), hp('hp-1'), hp('hp-2')));
    const where = await scheduled('t=hostport', ['hp-0', 'hp-1', 'hp-2']);
    assert.deepEqual([...where.values()].sort(), NODES);
    await ok(['create', '-f', '-'], JSON.stringify(hp('hp-3')));
    await unschedulable(
      'hp-3',
      "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
    // Freeing a port lets the pending pod in.
    const freed = where.get('hp-1')!;
    await ok(['delete', 'pod', 'hp-1']);
    const after = await scheduled('t=hostport', ['hp-3']);
    assert.equal(after.get('hp-3'), freed);
    await cleanup('t=hostport');
  });

  it('required pod anti-affinity on kubernetes.io/hostname spreads replicas, one per node', async () => {
    const anti = (name: string) =>
      pod(name, { t: 'anti', app: 'anti' }, {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }],
          },
        },
      });
    await ok(['create', '-f', '-'], list(anti('anti-0'), anti('anti-1'), anti('anti-2')));
    const where = await scheduled('t=anti', ['anti-0', 'anti-1', 'anti-2']);
    assert.deepEqual([...where.values()].sort(), NODES);
    await ok(['create', '-f', '-'], JSON.stringify(anti('anti-3')));
    await unschedulable(
      'anti-3',
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
    await cleanup('t=anti');
  });

  it('topology spread (maxSkew 1, DoNotSchedule over hostname) puts two pods on each node', async () => {
    const spread = (name: string) =>
      pod(name, { t: 'spread', app: 'spread' }, {
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
        ],
      });
    // One node already holds a matching pod, so the first three must avoid it.
    await ok(['create', '-f', '-'], JSON.stringify({ ...spread('spread-pre'), spec: { ...(spread('spread-pre').spec as JsonObject), nodeName: 'sim-1' } }));
    await scheduled('t=spread', ['spread-pre']);
    const names = ['spread-0', 'spread-1', 'spread-2', 'spread-3', 'spread-4'];
    await ok(['create', '-f', '-'], list(...names.map(spread)));
    const where = await scheduled('t=spread', ['spread-pre', ...names]);
    const perNode = new Map<string, number>();
    for (const n of where.values()) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    assert.deepEqual([...perNode.entries()].sort(), [['sim-0', 2], ['sim-1', 2], ['sim-2', 2]]);
    await cleanup('t=spread');
  });

  it('tolerations and resource requests decide; a pod that fits nowhere is Pending with the upstream message until a node is untainted', async () => {
    assert.equal(await kubectlOk(server, ['taint', 'node', 'sim-0', 'dedicated=gpu:NoSchedule']), 'node/sim-0 tainted\n');
    try {
      const onSim0 = { nodeSelector: { 'kubernetes.io/hostname': 'sim-0' } };
      await ok(['create', '-f', '-'], list(
        pod('tolerant', { t: 'taint' }, { ...onSim0, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
        pod('intolerant', { t: 'taint' }, onSim0),
      ));
      assert.equal((await scheduled('t=taint', ['tolerant'])).get('tolerant'), 'sim-0');
      await unschedulable(
        'intolerant',
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      );
      await ok(['delete', 'pod', 'intolerant']);

      // Resource requests: sim-1 is filled, so a 20-CPU pod must go to sim-2; the next fits nowhere.
      const cpu = (n: string) => ({ resources: { requests: { cpu: n } } });
      await ok(['create', '-f', '-'], JSON.stringify(pod('filler', { t: 'taint' }, { nodeSelector: { 'kubernetes.io/hostname': 'sim-1' } }, cpu('30'))));
      assert.equal((await scheduled('t=taint', ['filler'])).get('filler'), 'sim-1');
      await ok(['create', '-f', '-'], JSON.stringify(pod('big-1', { t: 'taint' }, {}, cpu('20'))));
      assert.equal((await scheduled('t=taint', ['big-1'])).get('big-1'), 'sim-2');
      await ok(['create', '-f', '-'], JSON.stringify(pod('big-2', { t: 'taint' }, {}, cpu('20'))));
      await unschedulable(
        'big-2',
        '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
      );
      const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=big-2,reason=FailedScheduling', '-o', 'jsonpath={.items[*].type}']);
      assert.match(events, /^Warning( Warning)*$/);
    } finally {
      assert.equal(await kubectlOk(server, ['taint', 'node', 'sim-0', 'dedicated=gpu:NoSchedule-']), 'node/sim-0 untainted\n');
    }
    const where = await scheduled('t=taint', ['big-2']);
    assert.equal(where.get('big-2'), 'sim-0');
    const out = await ok(['describe', 'pod', 'big-2']);
    assert.match(out, new RegExp(`^ {2}Normal +Scheduled +.+ +default-scheduler +Successfully assigned ${NS}/big-2 to sim-0$`, 'm'));
    await cleanup('t=taint');
  });

  it('a pod whose nodeSelector matches nothing is Pending until a node is labelled', async () => {
    await ok(['create', '-f', '-'], JSON.stringify(pod('wants-zone', { t: 'label' }, { nodeSelector: { zone: 'z9' } })));
    await unschedulable(
      'wants-zone',
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    const p = await placements('t=label');
    assert.equal(p.get('wants-zone'), '<none>');
    assert.equal(await kubectlOk(server, ['label', 'node', 'sim-1', 'zone=z9']), 'node/sim-1 labeled\n');
    assert.equal((await scheduled('t=label', ['wants-zone'])).get('wants-zone'), 'sim-1');
    const r = await k(['get', 'pod', 'wants-zone', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}']);
    assert.equal(r.stdout, 'True', describeResult(['get'], r));
    await cleanup('t=label');
  });
});
