/**
 * `kubectl top` against `skiff server --simulated-nodes 3`: the metrics.k8s.io API in discovery
 * (`kubectl api-resources`), `kubectl top nodes`, `kubectl top pods` in one namespace, in all
 * namespaces, with a label selector and with `--containers`. Simulated containers report steady
 * figures (the `sim.skiff.io/cpu-usage` / `memory-usage` annotations, else their requests), so the expected columns are exact. Metrics come from the kubelets a few
 * seconds after a pod runs: waits have deadlines; nothing asserts how long they took.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';
import { parseTable, rowOf } from './kubectl-util.js';

const NS = 'top-web';
const NS2 = 'top-data';
const EMPTY = 'top-empty';

interface ContainerSpec { name: string; requests?: Record<string, string>; limits?: Record<string, string> }

function pod(name: string, ns: string, node: string, containers: ContainerSpec[], meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, ...meta },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: containers.map((c) => ({
        name: c.name, image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent',
        ...(c.requests || c.limits ? { resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } } : {}),
      })),
    },
  });
}

/** kubectl's figures: CPU in whole millicores, memory in whole MiB. */
function milli(cpu: string): number {
  const m = /^(\d+)m$/.exec(cpu);
  assert.ok(m, `CPU cell ${JSON.stringify(cpu)}`);
  return Number(m[1]);
}

function mib(mem: string): number {
  const m = /^(\d+)Mi$/.exec(mem);
  assert.ok(m, `memory cell ${JSON.stringify(mem)}`);
  return Number(m[1]);
}

describe('kubectl top on simulated nodes', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    for (const ns of [NS, NS2, EMPTY]) await kubectlOk(server, ['create', 'namespace', ns]);
    await kubectlOk(server, ['create', '-f', '-'], {
      input: pod('web', NS, 'sim-0', [
        { name: 'app', requests: { cpu: '250m', memory: '64Mi' } },
        { name: 'side', limits: { cpu: '1', memory: '100Mi' } },
      ], { labels: { tier: 'web' }, annotations: { 'sim.skiff.io/cpu-usage.side': '5m', 'sim.skiff.io/memory-usage.side': '50Mi' } }),
    });
    await kubectlOk(server, ['create', '-f', '-'], { input: pod('db', NS2, 'sim-1', [{ name: 'pg', requests: { cpu: '500m', memory: '128Mi' } }], { labels: { tier: 'db' } }) });
    await kubectlOk(server, ['create', '-f', '-'], { input: pod('cache', NS2, 'sim-1', [{ name: 'redis' }], { labels: { tier: 'cache' } }) });
    // Never starts within the test: no figures, so left out.
    await kubectlOk(server, ['create', '-f', '-'], { input: pod('slow', NS, 'sim-2', [{ name: 'c' }], { annotations: { 'sim.skiff.io/start-delay': '1h' } }) });
    await eventually('web, db and cache Running', async () => {
      const phases = await kubectlOk(server, ['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}']);
      return ['web', 'db', 'cache'].every((p) => phases.includes(`${p}=Running`)) ? true : undefined;
    }, 60_000);
  });

  after(async () => {
    await server?.cleanup();
  });

  it('kubectl api-resources lists the metrics.k8s.io resources', async () => {
    const t = parseTable(await kubectlOk(server, ['api-resources', '--api-group=metrics.k8s.io']));
    assert.deepEqual(t.header, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    assert.deepEqual(t.rows, [
      ['nodes', '', 'metrics.k8s.io/v1beta1', 'false', 'NodeMetrics'],
      ['pods', '', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics'],
    ]);
    const versions = await kubectlOk(server, ['api-versions']);
    assert.match(versions, /^metrics\.k8s\.io\/v1beta1$/m);
  });

  it('kubectl top pods -n shows each pod with the sum of its containers', async () => {
    const out = await eventually('web metrics', async () => {
      const r = await kubectl(server, ['top', 'pods', '-n', NS]);
      return r.code === 0 && r.stdout.includes('web') ? r.stdout : undefined;
    });
    const t = parseTable(out);
    assert.deepEqual(t.header, ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    // 250m + 5m; 64Mi + 50Mi (side's request defaults to its limit; the annotations win). The pod
    // that never started is left out.
    assert.deepEqual(t.rows, [['web', '255m', '114Mi']]);
  });

  it('kubectl top pods -A, with a label selector, and with --containers', async () => {
    const all = parseTable(await kubectlOk(server, ['top', 'pods', '-A']));
    assert.deepEqual(all.header, ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const mine = all.rows.filter((r) => r[0] === NS || r[0] === NS2);
    assert.equal(mine.length, 3, JSON.stringify(mine));
    const byName = new Map(mine.map((r) => [r[1], r]));
    assert.deepEqual(byName.get('db'), [NS2, 'db', '500m', '128Mi']);
    assert.deepEqual(byName.get('cache'), [NS2, 'cache', '1m', '4Mi']);
    assert.deepEqual(byName.get('web'), [NS, 'web', '255m', '114Mi']);
    assert.equal(byName.has('slow'), false);

    const selected = parseTable(await kubectlOk(server, ['top', 'pods', '-A', '-l', 'tier in (db,web)']));
    assert.deepEqual(selected.rows.map((r) => r[1]).sort(), ['db', 'web']);

    const containers = parseTable(await kubectlOk(server, ['top', 'pods', '-n', NS, '--containers']));
    assert.deepEqual(containers.header, ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    assert.deepEqual(containers.rows, [['web', 'app', '250m', '64Mi'], ['web', 'side', '5m', '50Mi']]);

    const one = parseTable(await kubectlOk(server, ['top', 'pod', 'db', '-n', NS2]));
    assert.deepEqual(one.rows, [['db', '500m', '128Mi']]);
  });

  it('kubectl top nodes shows every node with its pods plus the system share', async () => {
    const t = parseTable(await kubectlOk(server, ['top', 'nodes']));
    assert.deepEqual(t.header, ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    assert.deepEqual(t.rows.map((r) => r[0]), ['sim-0', 'sim-1', 'sim-2']);
    // Every pod's figures by node, to add up what each node reports.
    const pods = parseTable(await kubectlOk(server, ['top', 'pods', '-A']));
    const placement = await kubectlOk(server, ['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.nodeName}{"\\n"}{end}']);
    const nodeOf = new Map(placement.trim().split('\n').map((l) => l.split('=') as [string, string]));
    for (const name of ['sim-0', 'sim-1', 'sim-2']) {
      const row = rowOf(t, name)!;
      const onNode = pods.rows.filter((r) => nodeOf.get(`${r[0]}/${r[1]}`) === name);
      const cpu = 100 + onNode.reduce((a, r) => a + milli(r[2]!), 0);
      const mem = 256 + onNode.reduce((a, r) => a + mib(r[3]!), 0);
      assert.equal(milli(row['CPU(cores)']!), cpu, `${name} CPU`);
      assert.equal(mib(row['MEMORY(bytes)']!), mem, `${name} memory`);
      // Of 32 CPUs and 256Gi allocatable.
      assert.equal(row['CPU(%)'], `${Math.floor((cpu / 32_000) * 100)}%`);
      assert.equal(row['MEMORY(%)'], `${Math.floor((mem / (256 * 1024)) * 100)}%`);
    }
    const single = parseTable(await kubectlOk(server, ['top', 'node', 'sim-1']));
    assert.deepEqual(single.rows.map((r) => r[0]), ['sim-1']);
  });

  it('the metrics API answers as metrics-server: objects, lists, tables, not found', async () => {
    const web = JSON.parse(await kubectlOk(server, ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web`])) as Record<string, unknown>;
    assert.equal(web.kind, 'PodMetrics');
    assert.equal(web.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.deepEqual((web.metadata as Record<string, unknown>).labels, { tier: 'web' });
    assert.equal((web.metadata as Record<string, unknown>).namespace, NS);
    assert.match(String(web.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(web.window, '10s');
    assert.deepEqual(web.containers, [
      { name: 'app', usage: { cpu: '250m', memory: '64Mi' } },
      { name: 'side', usage: { cpu: '5m', memory: '50Mi' } },
    ]);
    const nodes = JSON.parse(await kubectlOk(server, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=kubernetes.io%2Fhostname%3Dsim-2'])) as { kind: string; items: { metadata: { name: string }; usage: { cpu: string; memory: string } }[] };
    assert.equal(nodes.kind, 'NodeMetricsList');
    assert.deepEqual(nodes.items.map((i) => i.metadata.name), ['sim-2']);
    assert.match(nodes.items[0]!.usage.cpu, /^\d+(m|n)?$/);

    const missing = await kubectl(server, ['top', 'pod', 'nope', '-n', NS]);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pod "nope" not found');
    const slow = await kubectl(server, ['top', 'pod', 'slow', '-n', NS]);
    assert.equal(slow.stderr.trim(), `Error from server (NotFound): podmetrics.metrics.k8s.io "${NS}/slow" not found`);
    const empty = await kubectl(server, ['top', 'pods', '-n', EMPTY]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stderr.trim(), `No resources found in ${EMPTY} namespace.`);
    const table = parseTable(await kubectlOk(server, ['get', 'podmetrics', '-n', NS]));
    assert.deepEqual(table.header, ['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    assert.deepEqual(table.rows, [['web', '255m', '114Mi', '10s']]);
    const nodeTable = parseTable(await kubectlOk(server, ['get', 'nodes.metrics.k8s.io', 'sim-2']));
    assert.deepEqual(nodeTable.header, ['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    assert.equal(nodeTable.rows[0]?.[0], 'sim-2');

    const put = await kubectl(server, ['delete', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web`]);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /MethodNotAllowed|not supported/);
  });

  it('kubectl explain reads the metrics.k8s.io schemas (OpenAPI v3 and v2)', async () => {
    const node = await kubectlOk(server, ['explain', 'nodemetrics']);
    assert.match(node, /^GROUP:\s+metrics\.k8s\.io$/m);
    assert.match(node, /^KIND:\s+NodeMetrics$/m);
    assert.match(node, /^VERSION:\s+v1beta1$/m);
    for (const field of ['timestamp', 'usage', 'window']) assert.match(node, new RegExp(`^  ${field}\\b.*-required-`, 'm'));
    const usage = await kubectlOk(server, ['explain', 'nodemetrics.usage']);
    assert.match(usage, /^FIELD: usage <map\[string\]Quantity>$/m);
    const pod = await kubectlOk(server, ['explain', 'podmetrics.containers']);
    assert.match(pod, /^KIND:\s+PodMetrics$/m);
    assert.match(pod, /^FIELD: containers <\[\]ContainerMetrics>$/m);
    assert.match(pod, /^  name\s+<string> -required-$/m);
    const v2 = await kubectlOk(server, ['explain', 'podmetrics', '--output=plaintext-openapiv2']);
    assert.match(v2, /^KIND:\s+PodMetrics$/m);
    assert.match(v2, /^   containers\s+<\[\]Object> -required-$/m);
  });
});
