/**
 * Simulated nodes through the real kubectl against `skiff server --simulated-nodes 3`: nodes Ready
 * with their Leases renewing, `describe node`, and pods on the real kubelet (simulated runtime):
 * Running and Ready, CrashLoopBackOff with growing restarts, Failed and Succeeded endings, and
 * graceful versus forced deletion. Expected texts are what kubectl 1.32 prints against upstream.
 * State changes are polled with a deadline; nothing asserts how long they took.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { describeResult, parseTable, rowOf } from './kubectl-util.js';

const NS = 'nodes-kubelet';

interface PodOpts {
  annotations?: Record<string, string>;
  restartPolicy?: string;
  grace?: number;
  nodeSelector?: Record<string, string>;
  readiness?: boolean;
  requests?: Record<string, string>;
}

function podManifest(name: string, opts: PodOpts = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(opts.readiness ? { readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } } : {}),
          ...(opts.requests ? { resources: { requests: opts.requests } } : {}),
        },
      ],
    },
  });
}

/** Polls `fn` until it returns something other than undefined/false; fails with the last value seen. */
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

describe('simulated nodes through kubectl', () => {
  let server: TestServer;
  const k = (args: string[], input?: string) => kubectl(server, ['-n', NS, ...args], { input });
  const ok = (args: string[], input?: string) => kubectlOk(server, ['-n', NS, ...args], { input });

  /** The `kubectl get pod <name>` row (header → cell), or undefined when the pod is gone. */
  async function podRow(name: string): Promise<Record<string, string> | undefined> {
    const r = await k(['get', 'pod', name]);
    if (r.code !== 0) {
      assert.match(r.stderr, /NotFound/, describeResult(['get', 'pod', name], r));
      return undefined;
    }
    return rowOf(parseTable(r.stdout), name);
  }

  async function waitGone(name: string, timeoutMs = 30_000): Promise<void> {
    await until(`pod ${name} gone`, async () => {
      const r = await k(['get', 'pod', name]);
      return r.code !== 0 && r.stderr.trim() === `Error from server (NotFound): pods "${name}" not found`;
    }, timeoutMs);
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await kubectlOk(server, ['create', 'namespace', NS]);
    // Started first so its back-off has run by the time its test looks.
    assert.equal(await ok(['create', '-f', '-'], podManifest('crash', { annotations: { 'sim.skiff.io/exit-code': '1' } })), 'pod/crash created\n');
  });

  after(async () => {
    await server?.cleanup();
  });

  it('kubectl get nodes shows sim-0..2 Ready with their version', async () => {
    const table = await until('three Ready nodes', async () => {
      const t = parseTable(await kubectlOk(server, ['get', 'nodes']));
      return t.rows.length === 3 && t.rows.every((r) => r[1] === 'Ready') ? t : undefined;
    });
    assert.deepEqual(table.header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.deepEqual(table.rows.map((r) => r[0]), ['sim-0', 'sim-1', 'sim-2']);
    for (const name of ['sim-0', 'sim-1', 'sim-2']) {
      const row = rowOf(table, name)!;
      assert.equal(row.STATUS, 'Ready');
      assert.equal(row.ROLES, '<none>');
      assert.match(row.VERSION!, /^v1\.32\.\d+/);
    }
    const wide = parseTable(await kubectlOk(server, ['get', 'nodes', '-o', 'wide']));
    assert.match(rowOf(wide, 'sim-1')!['INTERNAL-IP']!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(rowOf(wide, 'sim-1')!['CONTAINER-RUNTIME']!, /^simulated:\/\//);
  });

  it('their Leases in kube-node-lease exist and renew', async () => {
    const leases = parseTable(await kubectlOk(server, ['get', 'leases', '-n', 'kube-node-lease']));
    assert.deepEqual(leases.header, ['NAME', 'HOLDER', 'AGE']);
    for (const name of ['sim-0', 'sim-1', 'sim-2']) assert.equal(rowOf(leases, name)?.HOLDER, name, `lease ${name}`);
    const renewTime = (): Promise<string> =>
      kubectlOk(server, ['get', 'lease', 'sim-0', '-n', 'kube-node-lease', '-o', 'jsonpath={.spec.renewTime}']);
    const first = await renewTime();
    assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const later = await until('renewTime to advance', async () => {
      const t = await renewTime();
      return t !== first ? t : undefined;
    }, 45_000);
    assert.ok(Date.parse(later) > Date.parse(first), `${later} after ${first}`);
    const describeLease = await kubectlOk(server, ['describe', 'node', 'sim-0']);
    assert.match(describeLease, /^Lease:\n {2}HolderIdentity: {2}sim-0\n/m);
  });

  it('kubectl describe node shows capacity, allocatable, conditions and the pods on it', async () => {
    const manifest = podManifest('on-sim-0', { nodeSelector: { 'kubernetes.io/hostname': 'sim-0' }, requests: { cpu: '250m', memory: '64Mi' } });
    assert.equal(await ok(['create', '-f', '-'], manifest), 'pod/on-sim-0 created\n');
    await until('on-sim-0 Running', async () => (await podRow('on-sim-0'))?.STATUS === 'Running');

    const out = await kubectlOk(server, ['describe', 'node', 'sim-0']);
    assert.match(out, /^Name: +sim-0$/m);
    assert.match(out, /^ +kubernetes\.io\/hostname=sim-0$/m);
    assert.match(out, /^Capacity:\n {2}cpu: +32\n(?: {2}.*\n)* {2}memory: +256Gi\n {2}pods: +110\n/m);
    assert.match(out, /^Allocatable:\n {2}cpu: +32\n(?: {2}.*\n)* {2}memory: +256Gi\n {2}pods: +110\n/m);
    assert.match(out, /^Conditions:\n {2}Type +Status +LastHeartbeatTime +LastTransitionTime +Reason +Message\n/m);
    assert.match(out, /^ {2}MemoryPressure +False +.+ +KubeletHasSufficientMemory +kubelet has sufficient memory available$/m);
    assert.match(out, /^ {2}DiskPressure +False +.+ +KubeletHasNoDiskPressure +kubelet has no disk pressure$/m);
    assert.match(out, /^ {2}PIDPressure +False +.+ +KubeletHasSufficientPID +kubelet has sufficient PID available$/m);
    assert.match(out, /^ {2}Ready +True +.+ +KubeletReady +kubelet is posting ready status$/m);
    assert.match(out, /^Non-terminated Pods: +\(\d+ in total\)\n {2}Namespace +Name +CPU Requests +CPU Limits +Memory Requests +Memory Limits +Age\n/m);
    assert.match(out, new RegExp(`^ {2}${NS} +on-sim-0 +250m \\(0%\\) +0 \\(0%\\) +64Mi \\(0%\\) +0 \\(0%\\) +\\S+$`, 'm'));
    assert.match(out, /^ {2}cpu +250m \(0%\) +0 \(0%\)$/m, 'Allocated resources count the pod');
  });

  it('a pod reaches Running and Ready', async () => {
    assert.equal(await ok(['create', '-f', '-'], podManifest('ready', { readiness: true })), 'pod/ready created\n');
    assert.equal(await ok(['wait', '--for=condition=Ready', 'pod/ready', '--timeout=60s']), 'pod/ready condition met\n');
    const row = await podRow('ready');
    assert.equal(row?.READY, '1/1');
    assert.equal(row?.STATUS, 'Running');
    assert.equal(row?.RESTARTS, '0');
    const wide = rowOf(parseTable(await ok(['get', 'pod', 'ready', '-o', 'wide'])), 'ready')!;
    assert.match(wide.NODE!, /^sim-[0-2]$/);
    assert.match(wide.IP!, /^\d+\.\d+\.\d+\.\d+$/);
  });

  it('exit 1 with restartPolicy Always shows CrashLoopBackOff and growing restarts', async () => {
    const seen: number[] = [];
    const restarts = (cell: string): number => Number(/^(\d+)/.exec(cell)?.[1] ?? NaN);
    const observe = async (): Promise<Record<string, string> | undefined> => {
      const row = await podRow('crash');
      if (!row) return undefined;
      const n = restarts(row.RESTARTS!);
      if (seen.at(-1) !== n) seen.push(n);
      return row;
    };
    const first = await until('CrashLoopBackOff', async () => {
      const row = await observe();
      return row?.STATUS === 'CrashLoopBackOff' && restarts(row.RESTARTS!) >= 1 ? restarts(row.RESTARTS!) : undefined;
    }, 60_000);
    // The back-off doubles from 10 s, so the next restart may take a while; it must come.
    await until('another restart (RESTARTS growing, >= 2)', async () => {
      const row = await observe();
      const n = row ? restarts(row.RESTARTS!) : NaN;
      return n > first && n >= 2 ? row : undefined;
    }, 90_000);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `restart counts only grow: ${seen.join(', ')}`);
    // Between restarts the pod sits in back-off; wait for that state rather than a restart's instant.
    const row = await until('CrashLoopBackOff again', async () => {
      const r = await observe();
      return r?.STATUS === 'CrashLoopBackOff' ? r : undefined;
    }, 60_000);
    assert.equal(row.READY, '0/1');
    assert.match(row.RESTARTS!, /^\d+ \(\S+ ago\)$/);

    const out = await until('describe showing the back-off', async () => {
      const d = await ok(['describe', 'pod', 'crash']);
      return /^ {4}State: +Waiting\n {6}Reason: +CrashLoopBackOff\n/m.test(d) ? d : undefined;
    }, 60_000);
    assert.match(out, /^ {4}State: +Waiting\n {6}Reason: +CrashLoopBackOff\n {4}Last State: +Terminated\n {6}Reason: +Error\n {6}Exit Code: +1\n/m);
    assert.match(out, /^ {4}Restart Count: +[2-9]\d*$/m);
    assert.match(out, new RegExp(`^ {2}Warning +BackOff +.+ +kubelet +Back-off restarting failed container c in pod crash_${NS}\\([0-9a-f-]+\\)$`, 'm'));
  });

  it('exit 1 with restartPolicy Never ends Failed (STATUS Error)', async () => {
    const manifest = podManifest('never', { restartPolicy: 'Never', annotations: { 'sim.skiff.io/exit-code': '1' } });
    assert.equal(await ok(['create', '-f', '-'], manifest), 'pod/never created\n');
    const row = await until('never to end', async () => {
      const r = await podRow('never');
      return r?.STATUS === 'Error' ? r : undefined;
    });
    assert.equal(row.READY, '0/1');
    assert.equal(row.RESTARTS, '0');
    assert.equal(await ok(['get', 'pod', 'never', '-o', 'jsonpath={.status.phase}']), 'Failed');
    const out = await ok(['describe', 'pod', 'never']);
    assert.match(out, /^Status: +Failed$/m);
    assert.match(out, /^ {4}State: +Terminated\n {6}Reason: +Error\n {6}Exit Code: +1\n/m);
  });

  it('exit 0 with restartPolicy OnFailure ends Succeeded (STATUS Completed)', async () => {
    const manifest = podManifest('onfailure', { restartPolicy: 'OnFailure', annotations: { 'sim.skiff.io/exit-code': '0' } });
    assert.equal(await ok(['create', '-f', '-'], manifest), 'pod/onfailure created\n');
    const row = await until('onfailure to complete', async () => {
      const r = await podRow('onfailure');
      return r?.STATUS === 'Completed' ? r : undefined;
    });
    assert.equal(row.READY, '0/1');
    assert.equal(row.RESTARTS, '0');
    assert.equal(await ok(['get', 'pod', 'onfailure', '-o', 'jsonpath={.status.phase}']), 'Succeeded');
    const out = await ok(['describe', 'pod', 'onfailure']);
    assert.match(out, /^Status: +Succeeded$/m);
    assert.match(out, /^ {4}State: +Terminated\n {6}Reason: +Completed\n {6}Exit Code: +0\n/m);
  });

  it('kubectl delete pod waits for graceful termination', async () => {
    const slow = (name: string): string =>
      podManifest(name, { grace: 3, annotations: { 'sim.skiff.io/ignore-sigterm': 'true' }, readiness: true });
    await ok(['create', '-f', '-'], slow('slow'));
    await ok(['create', '-f', '-'], slow('slow-wait'));
    await ok(['wait', '--for=condition=Ready', 'pod/slow', 'pod/slow-wait', '--timeout=60s']);

    // --wait=false returns at once: the pod is still there, Terminating, until its grace period ends.
    assert.equal(await ok(['delete', 'pod', 'slow', '--wait=false']), 'pod "slow" deleted\n');
    const row = await podRow('slow');
    assert.equal(row?.STATUS, 'Terminating', 'right after the delete the pod is Terminating');
    assert.ok(await ok(['get', 'pod', 'slow', '-o', 'jsonpath={.metadata.deletionTimestamp}']), 'deletionTimestamp set');
    assert.equal(await ok(['get', 'pod', 'slow', '-o', 'jsonpath={.metadata.deletionGracePeriodSeconds}']), '3');
    await waitGone('slow');

    // Without --wait=false kubectl returns only once the pod is gone.
    assert.equal(await ok(['delete', 'pod', 'slow-wait']), 'pod "slow-wait" deleted\n');
    const r = await k(['get', 'pod', 'slow-wait']);
    assert.equal(r.code, 1, describeResult(['get', 'pod', 'slow-wait'], r));
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): pods "slow-wait" not found');
  });

  it('kubectl delete pod --grace-period=0 --force removes it at once', async () => {
    await ok(['create', '-f', '-'], podManifest('stubborn', { grace: 30, annotations: { 'sim.skiff.io/ignore-sigterm': 'true' } }));
    await until('stubborn Running', async () => (await podRow('stubborn'))?.STATUS === 'Running');
    const r = await k(['delete', 'pod', 'stubborn', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, describeResult(['delete'], r));
    assert.equal(r.stdout, 'pod "stubborn" force deleted\n');
    assert.equal(
      r.stderr,
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    );
    const g = await k(['get', 'pod', 'stubborn']);
    assert.equal(g.code, 1, 'gone immediately');
    assert.equal(g.stderr.trim(), 'Error from server (NotFound): pods "stubborn" not found');
  });
});
