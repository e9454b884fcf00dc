/**
 * The embedded agent end to end: `skiff server` without `--disable-agent` starts its private
 * containerd, imports the busybox and pause images and registers one real node; the real kubectl
 * then runs busybox pods on it: one that prints and completes (`kubectl logs` shows its output,
 * with timestamps, tail and follow), one that sleeps, gets a pod IP on the test's bridge and is
 * stopped gracefully by `kubectl delete pod`. Afterwards every container, sandbox, network
 * namespace, the bridge, the iptables chains CNI made and every mount are gone, the server and
 * containerd are stopped by pid and the temp dirs removed.
 *
 * The test's bridge, cluster CIDR, node name and kubelet port are its own, so it cannot clash
 * with anything on the machine. Pods use `imagePullPolicy: IfNotPresent`: no registry is asked.
 *
 * Needs root and Debian's containerd, runc, containernetworking-plugins, busybox-static, iptables
 * and iproute2; without them the test fails and names the packages (it never skips).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl } from '../helpers/kubectl.js';
import type { KubectlResult } from '../helpers/kubectl.js';
import { BUSYBOX_REQUIREMENT, CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements } from '../../src/node/containerd/prerequisites.js';
import { createCriClient } from '../../src/kubelet/runtime/cri/cri-client.js';
import type { HostSnapshot } from '../../src/node/containerd/host-state.js';
import {
  cleanupHost, iptablesRulesMentioning, linkExists, listIptablesChains, listMounts, listNetns, pidsWithCmdline, snapshotHost,
} from '../../src/node/containerd/host-state.js';
import { chainMentions, preflight, removeChains } from './node-agent-support.js';

const BRIDGE = `skag${process.pid % 100000}`;
const SECOND_OCTET = 150 + (process.pid % 50);
const CLUSTER_CIDR = `10.${SECOND_OCTET}.0.0/16`;
const POD_PREFIX = `10.${SECOND_OCTET}.0.`;
const NODE = `e2e-agent-${process.pid}`;

let server: TestServer | undefined;
let hostBefore: HostSnapshot | undefined;
let containerdPid = 0;
let containerdSocket = '';
const podUids = new Set<string>();
/** Network namespaces of this test's sandboxes (asked from its containerd), never another suite's. */
const ourNetns = new Set<string>();

async function recordNetns(): Promise<void> {
  const client = createCriClient({ endpoint: containerdSocket, defaultTimeoutMs: 5_000 });
  try {
    const { items } = await client.runtime('ListPodSandbox', {});
    for (const sb of items) {
      const res = await client.runtime('PodSandboxStatus', { podSandboxId: sb.id, verbose: true });
      for (const m of JSON.stringify(res.info).matchAll(/\/var\/run\/netns\/([\w-]+)/g)) if (m[1]) ourNetns.add(m[1]);
    }
  } finally {
    client.close();
  }
}

function srv(): TestServer {
  assert.ok(server, 'server not started');
  return server;
}

async function k(args: string[], timeoutMs = 60_000): Promise<KubectlResult> {
  return kubectl(srv(), args, { timeoutMs });
}

async function ok(args: string[], timeoutMs?: number): Promise<string> {
  const r = await k(args, timeoutMs);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface PodJson {
  metadata: { uid: string; deletionTimestamp?: string };
  status?: { phase?: string; podIP?: string; containerStatuses?: { state?: { terminated?: { exitCode: number; reason?: string } } }[] };
}

async function pod(name: string): Promise<PodJson | undefined> {
  const r = await k(['get', 'pod', name, '-o', 'json']);
  if (r.code !== 0) return undefined;
  const p = JSON.parse(r.stdout) as PodJson;
  podUids.add(p.metadata.uid);
  return p;
}

async function waitPod(name: string, pred: (p: PodJson) => boolean, timeoutMs = 60_000): Promise<PodJson> {
  const end = Date.now() + timeoutMs;
  let last: PodJson | undefined;
  while (Date.now() < end) {
    last = await pod(name);
    if (last && pred(last)) return last;
    await sleep(250);
  }
  assert.fail(`pod ${name} did not reach the expected state; last: ${JSON.stringify(last?.status)}\n${srv().logs().slice(-3000)}`);
}

function ctrContainers(): string[] {
  if (!containerdSocket || !existsSync(containerdSocket)) return [];
  return execFileSync('ctr', ['-a', containerdSocket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Removes chains (jumps to them first). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('node: the embedded agent runs real pods', { timeout: 240_000 }, () => {
  before(async () => {
    preflight();
    assert.equal(linkExists(BRIDGE), false, `bridge ${BRIDGE} exists before the test`);
    hostBefore = snapshotHost();
    const kubeletPort = await freePort();
    server = await startServer({
      agent: true, timeoutMs: 90_000,
      args: [
        '--node-name', NODE, '--cluster-cidr', CLUSTER_CIDR, '--cni-bridge', BRIDGE, '--kubelet-port', String(kubeletPort),
        '--controllers', '*',
      ],
    });
    containerdSocket = join(server.dataDir, 'containerd', 'containerd.sock');
  });

  after(async () => {
    const problems: string[] = [];
    if (server) {
      await recordNetns().catch(() => undefined);
      const r = await k(['delete', 'pod', '--all', '--wait=true', '--timeout=60s'], 90_000).catch((e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
      if (r.code !== 0) problems.push(`deleting pods: ${r.stderr}`);
      // The kubelet removes sandboxes and containers once the pods are gone from the API.
      const end = Date.now() + 20_000;
      let left: string[] = [];
      try {
        while (Date.now() < end && (left = ctrContainers()).length > 0) await sleep(250);
      } catch (e) {
        problems.push(`listing containers: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (left.length) problems.push(`containers left: ${left.join(', ')}`);
      const pidFile = join(server.dataDir, 'containerd', 'containerd.pid');
      if (existsSync(pidFile)) containerdPid = Number(readFileSync(pidFile, 'utf8').trim());
      const serverPid = server.pid;
      const exit = await server.stop('SIGTERM');
      if (exit.code !== 0) problems.push(`server exited with ${JSON.stringify(exit)}`);
      if (alive(serverPid)) problems.push(`server ${serverPid} still running`);
      if (containerdPid && alive(containerdPid)) {
        problems.push(`containerd ${containerdPid} still running after the server stopped`);
        process.kill(containerdPid, 'SIGKILL');
      }
    }
    if (hostBefore && server) {
      const dataDir = server.dataDir;
      const newNetns = listNetns().filter((n) => ourNetns.has(n));
      if (newNetns.length) problems.push(`network namespaces left: ${newNetns.join(', ')}`);
      const leftMounts = listMounts(dataDir);
      if (leftMounts.length) problems.push(`mounts left: ${leftMounts.join(', ')}`);
      const shims = pidsWithCmdline(containerdSocket);
      if (shims.length) problems.push(`shim processes left: ${shims.join(', ')}`);
      // Only chains for this test's pod CIDR: other suites running at the same time have their own.
      const chainsBefore = new Set(hostBefore.chains);
      const newChains = listIptablesChains().filter((c) => !chainsBefore.has(c) && c.includes('/CNI-') && chainMentions(c, POD_PREFIX));
      if (newChains.length) {
        problems.push(`iptables chains left: ${newChains.join(', ')}`);
        removeChains(newChains);
      }
      const rules = iptablesRulesMentioning(POD_PREFIX);
      if (rules.length) problems.push(`iptables rules for the pod CIDR left: ${rules.join(' | ')}`);
      for (const uid of podUids) {
        for (const d of existsSync('/var/log/pods') ? execFileSync('ls', ['/var/log/pods'], { encoding: 'utf8' }).split('\n') : []) {
          if (d.endsWith(`_${uid}`)) {
            problems.push(`pod log directory left: ${d}`);
            rmSync(join('/var/log/pods', d), { recursive: true, force: true });
          }
        }
      }
      // The bridge is the one thing a node keeps on purpose (as k3s keeps cni0); the test removes it.
      const report = cleanupHost({
        before: hostBefore, mountRoots: [dataDir], processMarker: containerdSocket, links: [BRIDGE], netns: newNetns,
        chainPrefix: `CNI-none-of-${process.pid}-`,
      });
      process.stderr.write(`# cleanup removed: ${JSON.stringify(report)}\n`);
      if (linkExists(BRIDGE)) problems.push(`bridge ${BRIDGE} could not be removed`);
      if (listMounts(dataDir).length) problems.push(`kept ${dataDir} because of mounts`);
      else await server.cleanup();
      if (existsSync(dataDir)) problems.push(`data dir ${dataDir} left`);
    }
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('the real node registers Ready with capacity, node info and addresses', async () => {
    const end = Date.now() + 60_000;
    let out = '';
    while (Date.now() < end) {
      out = (await k(['get', 'nodes'])).stdout;
      if (new RegExp(`^${NODE}\\s+Ready\\s`, 'm').test(out)) break;
      await sleep(250);
    }
    assert.match(out, new RegExp(`^${NODE}\\s+Ready\\s`, 'm'), `${out}\n${srv().logs().slice(-3000)}`);
    const node = JSON.parse(await ok(['get', 'node', NODE, '-o', 'json'])) as {
      spec: { podCIDR?: string };
      status: {
        capacity: Record<string, string>; allocatable: Record<string, string>; addresses: { type: string; address: string }[];
        nodeInfo: { kernelVersion: string; osImage: string; containerRuntimeVersion: string; operatingSystem: string };
        conditions: { type: string; status: string }[];
        daemonEndpoints: { kubeletEndpoint: { Port: number } };
      };
    };
    assert.equal(node.spec.podCIDR, `10.${SECOND_OCTET}.0.0/24`);
    assert.equal(node.status.capacity.cpu, String(cpus().length));
    assert.equal(node.status.capacity.pods, '110');
    assert.match(node.status.capacity.memory ?? '', /^\d+Ki$/);
    assert.match(node.status.capacity['ephemeral-storage'] ?? '', /^\d+Ki$/);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.6\./);
    assert.equal(node.status.nodeInfo.kernelVersion, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    assert.ok(node.status.nodeInfo.osImage.length > 0 && node.status.nodeInfo.osImage !== 'Unknown', node.status.nodeInfo.osImage);
    assert.deepEqual(node.status.addresses.map((a) => a.type).sort(), ['Hostname', 'InternalIP']);
    assert.deepEqual(node.status.conditions.map((c) => `${c.type}=${c.status}`).sort(),
      ['DiskPressure=False', 'MemoryPressure=False', 'PIDPressure=False', 'Ready=True']);
    assert.ok(node.status.daemonEndpoints.kubeletEndpoint.Port > 0);
  });

  test('a busybox pod runs to Completed and kubectl logs prints its output', async () => {
    await ok(['run', 'hello', '--image=busybox', '--image-pull-policy=IfNotPresent', '--restart=Never', '--', 'sh', '-c', 'echo hello from skiff; sleep 1']);
    const p = await waitPod('hello', (x) => x.status?.phase === 'Succeeded');
    assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.match(await ok(['get', 'pod', 'hello']), /^hello\s+0\/1\s+Completed\s+0\s/m);
    assert.equal(await ok(['logs', 'hello']), 'hello from skiff\n');
    assert.match(await ok(['logs', 'hello', '--timestamps']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello from skiff\n$/);
    assert.equal(await ok(['logs', 'hello', '--tail=0']), '');
    assert.equal(await ok(['logs', 'hello', '--limit-bytes=5']), 'hello');
    const prev = await k(['logs', 'hello', '--previous']);
    assert.notEqual(prev.code, 0);
    assert.match(prev.stderr, /previous terminated container "hello" in pod "hello" not found/);
  });

  test('kubectl logs -f follows a running container until it exits', async () => {
    await ok(['run', 'counter', '--image=busybox', '--image-pull-policy=IfNotPresent', '--restart=Never', '--', 'sh', '-c',
      'for i in 1 2 3; do echo tick $i; sleep 1; done']);
    await waitPod('counter', (x) => x.status?.phase === 'Running' || x.status?.phase === 'Succeeded');
    const out = await ok(['logs', '-f', 'counter'], 30_000);
    assert.equal(out, 'tick 1\ntick 2\ntick 3\n');
  });

  test('a sleeping pod runs with a pod IP on the bridge and kubectl delete stops it gracefully', async () => {
    // The container is PID 1 of its own PID namespace (as upstream), where SIGTERM's default action
    // does not apply: like any well-behaved PID 1 it traps TERM and exits.
    await ok(['run', 'sleeper', '--image=busybox', '--image-pull-policy=IfNotPresent', '--restart=Never', '--', 'sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait']);
    const p = await waitPod('sleeper', (x) => x.status?.phase === 'Running');
    assert.ok(p.status?.podIP?.startsWith(POD_PREFIX), `pod IP ${p.status?.podIP} in ${CLUSTER_CIDR}`);
    assert.match(await ok(['get', 'pod', 'sleeper', '-o', 'wide']), new RegExp(`sleeper\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status?.podIP?.replace(/\./g, '\\.')}\\s+${NODE}`));
    assert.ok(linkExists(BRIDGE), `bridge ${BRIDGE} created`);
    assert.ok(ctrContainers().length >= 2, 'sandbox and container exist in containerd');
    await recordNetns();
    assert.ok(ourNetns.size > 0, 'the sandbox has a network namespace');
    const t0 = Date.now();
    await ok(['delete', 'pod', 'sleeper', '--wait=true', '--timeout=60s'], 90_000);
    const took = Date.now() - t0;
    // SIGTERM ends the container at once; a kill after the 30 s grace period would take far longer.
    assert.ok(took < 20_000, `delete took ${took} ms`);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=sleeper', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    assert.match(events, /^Killing$/m);
    assert.equal((await k(['get', 'pod', 'sleeper'])).code, 1);
  });
});
