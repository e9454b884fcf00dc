/**
 * `kubectl top` on the embedded agent with real containers: a busybox pod whose main container
 * spins (`while :; do :; done`, limited to 200m) and holds a few MiB, beside an idle container.
 * The kubelet samples CRI ListContainerStats and /proc; the API server's metrics.k8s.io turns its
 * /stats/summary into PodMetrics and NodeMetrics. Figures appear once two samples exist, so
 * every read waits with a deadline; values are checked for being plausible (non-zero, under the
 * limit), never for how soon they came.
 *
 * Needs root and Debian's containerd, runc, containernetworking-plugins, busybox-static, iptables
 * and iproute2; it fails (never skips) without them. Teardown removes every container, sandbox,
 * network namespace, iptables chain, mount and the bridge (see node-agent-support.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { parseTable, rowOf } from './kubectl-util.js';

const cluster = new AgentCluster(agentNetwork('mt', 50));

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: burn
  labels:
    app: burn
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: burn
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "x=$(head -c 16000000 /dev/zero | tr '\\\\0' a); while :; do :; done"]
    resources:
      requests: { cpu: 200m, memory: 64Mi }
      limits: { cpu: 200m, memory: 64Mi }
  - name: idle
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
`;

function milli(cell: string | undefined): number {
  const m = /^(\d+)m$/.exec(cell ?? '');
  assert.ok(m, `CPU cell ${JSON.stringify(cell)}`);
  return Number(m[1]);
}

function mib(cell: string | undefined): number {
  const m = /^(\d+)Mi$/.exec(cell ?? '');
  assert.ok(m, `memory cell ${JSON.stringify(cell)}`);
  return Number(m[1]);
}

describe('node: kubectl top with real containers', { timeout: 300_000 }, () => {
  before(async () => {
    await cluster.start();
    await cluster.apply(POD);
    await cluster.waitPod('burn', (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready), 120_000);
  });

  after(async () => {
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('kubectl top pod shows the spinning pod using CPU and memory', async () => {
    // The first samples may predate the busy loop: wait until the rate shows it.
    const out = await cluster.waitOutput(['top', 'pod', 'burn'], /^burn\s+([5-9]\d|[1-9]\d{2,})m\s+\d+Mi\s*$/m, 120_000);
    const t = parseTable(out);
    assert.deepEqual(t.header, ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const row = rowOf(t, 'burn')!;
    // At most its 200m limit (with room for the sampling window's edges).
    assert.ok(milli(row['CPU(cores)']) <= 260, `CPU ${row['CPU(cores)']}`);
    // The 16 MB shell variable is in its working set.
    assert.ok(mib(row['MEMORY(bytes)']) >= 10, `memory ${row['MEMORY(bytes)']}`);
    assert.ok(mib(row['MEMORY(bytes)']) <= 64, `memory ${row['MEMORY(bytes)']}`);

    const byLabel = parseTable(await cluster.ok(['top', 'pods', '-l', 'app=burn']));
    assert.deepEqual(byLabel.rows.map((r) => r[0]), ['burn']);
  });

  test('kubectl top pod --containers splits the figures by container', async () => {
    const out = await cluster.waitOutput(['top', 'pod', 'burn', '--containers'], /^burn\s+burn\s+([5-9]\d|[1-9]\d{2,})m\s/m, 120_000);
    const t = parseTable(out);
    assert.deepEqual(t.header, ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const rows = new Map(t.rows.map((r) => [r[1], r]));
    assert.deepEqual([...rows.keys()].sort(), ['burn', 'idle']);
    assert.ok(milli(rows.get('idle')![2]) < 20, `idle CPU ${rows.get('idle')![2]}`);
    assert.ok(milli(rows.get('burn')![2]) >= 50);
  });

  test('kubectl top node shows the node with its CPU and memory', async () => {
    const node = cluster.net.node;
    const out = await cluster.waitOutput(['top', 'node', node], new RegExp(`^${node}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`, 'm'), 120_000);
    const t = parseTable(out);
    assert.deepEqual(t.header, ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    const row = rowOf(t, node)!;
    // The node runs at least the spinning container.
    assert.ok(milli(row['CPU(cores)']) >= 50, `node CPU ${row['CPU(cores)']}`);
    assert.ok(mib(row['MEMORY(bytes)']) > 0);
    const all = parseTable(await cluster.ok(['top', 'nodes']));
    assert.ok(rowOf(all, node), `node ${node} in kubectl top nodes:\n${all.rows.join('\n')}`);

    // The raw summary (as metrics-server reads it) through the metrics API's node object.
    const metrics = JSON.parse(await cluster.ok(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${node}`])) as { usage: { cpu: string; memory: string }; window: string };
    assert.match(metrics.usage.cpu, /^\d+(n|u|m)?$/);
    assert.match(metrics.usage.memory, /^\d+(Ki|Mi|Gi)?$/);
  });
});
