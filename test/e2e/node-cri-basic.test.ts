/**
 * A real node's runtime, end to end: Skiff starts its private containerd in a temp data dir, builds
 * the busybox and pause images from busybox-static and imports them, then drives a pod sandbox
 * and busybox containers through the CRI runtime (`createCriRuntime`) as the kubelet would: logs
 * in the CRI format, exit codes, environment, mounts, cgroup limits, ExecSync, a graceful stop and
 * a SIGKILL after the grace period, container events. Afterwards every container, sandbox,
 * network namespace, the test's bridge, the iptables chains CNI made, mounts, cgroups, the
 * containerd process and the temp dirs are gone.
 *
 * Needs root and Debian's containerd, runc, containernetworking-plugins, busybox-static, iptables
 * and iproute2; without them the test fails and names the packages (it never skips).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';
import type { CriContainerConfig, CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';
import { linuxContainerResources } from '../../src/kubelet/runtime/cri/resources.js';
import type { ContainerEvent, ContainerStatus, PodSandboxConfig } from '../../src/kubelet/runtime/runtime.js';
import { startContainerd } from '../../src/node/containerd/containerd.js';
import type { Containerd } from '../../src/node/containerd/containerd.js';
import {
  BUSYBOX_REQUIREMENT, CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements,
} from '../../src/node/containerd/prerequisites.js';
import type { HostSnapshot } from '../../src/node/containerd/host-state.js';
import { cleanupHost, iptablesRulesMentioning, linkExists, listIptablesChains, listMounts, listNetns, pidsWithCmdline, snapshotHost } from '../../src/node/containerd/host-state.js';
import { ensureBuiltinImages } from '../../src/images/ensure.js';

const suffix = process.pid % 250;
const BRIDGE = `skcri${process.pid % 100000}`;
const NETWORK = `skiff-e2e-cri-${process.pid}`;
const POD_CIDR = `10.99.${suffix}.0/24`;
const POD_PREFIX = `10.99.${suffix}.`;
const CGROUP_TREE = `skiff-e2e-cri-${process.pid}`;
const POD_UID = randomUUID();
const POD_NAME = 'cri-basic';
const POD_NS = 'e2e';
const LOG_DIR = `/var/log/pods/${POD_NS}_${POD_NAME}_${POD_UID}`;

let tmp = '';
let containerd: Containerd | undefined;
let runtime: CriRuntime | undefined;
let hostBefore: HostSnapshot | undefined;
const ourNetns = new Set<string>();
let sandboxId = '';
let sandboxConfig: PodSandboxConfig;
const events: ContainerEvent[] = [];

function rt(): CriRuntime {
  assert.ok(runtime, 'runtime not started');
  return runtime;
}

function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('this end-to-end test must run as root (containerd, runc and CNI need it)');
  try {
    checkRequirements([
      ...CONTAINERD_REQUIREMENTS, ...cniRequirements('/usr/lib/cni'), BUSYBOX_REQUIREMENT,
      { program: 'iptables', debianPackage: 'iptables', what: 'iptables (CNI bridge masquerade and portmap)' },
      { program: 'ip', debianPackage: 'iproute2', what: 'the ip command' },
    ]);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  if (problems.length) assert.fail(`cannot run the CRI end-to-end test: ${problems.join('; ')}`);
}

async function waitForStatus(id: string, pred: (s: ContainerStatus) => boolean, timeoutMs = 20_000): Promise<ContainerStatus> {
  const end = Date.now() + timeoutMs;
  let last: ContainerStatus | undefined;
  while (Date.now() < end) {
    last = (await rt().containerStatus(id)).status;
    if (pred(last)) return last;
    await sleep(100);
  }
  assert.fail(`container ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
}

function containerConfig(name: string, command: string[], extra: Partial<CriContainerConfig> = {}): CriContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox', userSpecifiedImage: 'busybox' },
    command, args: [], workingDir: '', envs: [], mounts: [],
    labels: { 'io.kubernetes.pod.uid': POD_UID, 'io.kubernetes.container.name': name },
    annotations: {},
    logPath: `${name}/0.log`,
    stdin: false, stdinOnce: false, tty: false,
    ...extra,
  };
}

async function create(config: CriContainerConfig): Promise<string> {
  const { containerId } = await rt().createContainer({ podSandboxId: sandboxId, config, sandboxConfig });
  return containerId;
}

async function recordNetns(id: string): Promise<void> {
  const res = await rt().client.runtime('PodSandboxStatus', { podSandboxId: id, verbose: true });
  for (const m of JSON.stringify(res.info).matchAll(/\/var\/run\/netns\/([\w-]+)/g)) if (m[1]) ourNetns.add(m[1]);
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('node: CRI runtime over a private containerd', { timeout: 180_000 }, () => {
  before(async () => {
    preflight();
    assert.equal(linkExists(BRIDGE), false, `bridge ${BRIDGE} exists before the test`);
    hostBefore = snapshotHost();
    tmp = mkdtempSync('/tmp/skiff-e2e-cri-');
    containerd = await startContainerd({ dataDir: join(tmp, 'data'), podCidr: POD_CIDR, bridge: BRIDGE, networkName: NETWORK });
    runtime = createCriRuntime({ endpoint: containerd.endpoint, eventPollMs: 200 });
  });

  after(async () => {
    const problems: string[] = [];
    try {
      if (runtime) {
        for (const sb of await runtime.listPodSandbox()) {
          await recordNetns(sb.id).catch(() => undefined);
          await runtime.stopPodSandbox(sb.id);
          await runtime.removePodSandbox(sb.id);
        }
        const left = await runtime.listContainers();
        if (left.length) problems.push(`containers left after removing the sandboxes: ${left.map((c) => c.id).join(', ')}`);
      }
    } catch (e) {
      problems.push(`removing sandboxes: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      runtime?.close();
    }
    if (containerd) {
      await containerd.stop();
      let alive = true;
      try {
        process.kill(containerd.pid, 0);
      } catch {
        alive = false;
      }
      if (alive) problems.push(`containerd ${containerd.pid} still running`);
    }
    if (hostBefore && tmp) {
      // What a correct teardown leaves: nothing. Anything found is removed, then reported.
      const leftNetns = [...ourNetns].filter((n) => listNetns().includes(n));
      if (leftNetns.length) problems.push(`network namespaces left: ${leftNetns.join(', ')}`);
      const leftMounts = listMounts(tmp);
      if (leftMounts.length) problems.push(`mounts left: ${leftMounts.join(', ')}`);
      const shims = containerd ? pidsWithCmdline(containerd.socket) : [];
      if (shims.length) problems.push(`shim processes left: ${shims.join(', ')}`);
      const report = cleanupHost({
        before: hostBefore, mountRoots: [tmp], cgroupTrees: [CGROUP_TREE], processMarker: containerd?.socket,
        links: [BRIDGE], netns: [...ourNetns],
      });
      const chainsNow = new Set(listIptablesChains());
      const stillNew = [...chainsNow].filter((c) => !hostBefore?.chains.includes(c) && c.includes('/CNI-'));
      if (stillNew.length) problems.push(`iptables chains could not be removed: ${stillNew.join(', ')}`);
      const rules = iptablesRulesMentioning(POD_PREFIX);
      if (rules.length) problems.push(`iptables rules for the pod CIDR left: ${rules.join(' | ')}`);
      if (linkExists(BRIDGE)) problems.push(`bridge ${BRIDGE} could not be removed`);
      if (listMounts(tmp).length) problems.push(`mounts could not be removed: ${listMounts(tmp).join(', ')}`);
      process.stderr.write(`# cleanup removed: ${JSON.stringify(report)}\n`);
      if (!listMounts(tmp).length) rmSync(tmp, { recursive: true, force: true });
      else problems.push(`kept ${tmp} because of mounts`);
    }
    rmSync(LOG_DIR, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('containerd answers CRI v1 and the built-in images are imported', async () => {
    const v = await rt().version();
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    const conditions = await rt().status();
    assert.deepEqual(conditions.filter((c) => !c.status).map((c) => `${c.type}: ${c.reason} ${c.message}`), []);
    assert.ok(containerd);
    const first = await ensureBuiltinImages(containerd.socket);
    assert.deepEqual(first.imported.sort(), ['busybox', 'pause']);
    const again = await ensureBuiltinImages(containerd.socket);
    assert.deepEqual(again.present.sort(), ['busybox', 'pause']);
    const bb = await rt().imageStatus('busybox');
    assert.ok(bb, 'busybox image present');
    assert.ok(bb.repoTags.includes('docker.io/library/busybox:latest'));
    assert.ok(bb.repoTags.includes('docker.io/library/busybox:1.35'), bb.repoTags.join(','));
    assert.equal((await rt().imageStatus('busybox:1.35'))?.id, bb.id);
    assert.ok(await rt().imageStatus('registry.k8s.io/pause:3.10'));
    assert.equal(await rt().imageStatus('docker.io/library/nope:1'), undefined);
    const all = await rt().listImages();
    assert.ok(all.length >= 2);
  });

  test('a pod sandbox gets an address on the bridge, its hostname and DNS config', async () => {
    rt().getContainerEvents((e) => events.push(e));
    sandboxConfig = {
      metadata: { name: POD_NAME, namespace: POD_NS, uid: POD_UID, attempt: 0 },
      hostname: POD_NAME,
      logDirectory: LOG_DIR,
      dnsConfig: { servers: [`${POD_PREFIX}53`], searches: [`${POD_NS}.svc.cluster.local`, 'svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort: 30000 + (process.pid % 2000), hostIp: '127.0.0.1' }],
      labels: { 'io.kubernetes.pod.name': POD_NAME, 'io.kubernetes.pod.namespace': POD_NS, 'io.kubernetes.pod.uid': POD_UID },
      annotations: { 'skiff.io/test': 'cri-basic' },
      linux: { cgroupParent: `/${CGROUP_TREE}/pod${POD_UID}`, securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    sandboxId = (await rt().runPodSandbox({ config: sandboxConfig })).podSandboxId;
    await recordNetns(sandboxId);
    assert.ok(existsSync(LOG_DIR), 'log directory created');
    const { status } = await rt().podSandboxStatus(sandboxId);
    assert.equal(status.state, 'SANDBOX_READY');
    assert.ok(status.network?.ip.startsWith(POD_PREFIX), `pod IP ${status.network?.ip} in ${POD_CIDR}`);
    assert.equal(status.metadata.uid, POD_UID);
    assert.equal(status.annotations['skiff.io/test'], 'cri-basic');
    assert.ok(linkExists(BRIDGE), `bridge ${BRIDGE} created`);
    const listed = await rt().listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': POD_UID } });
    assert.deepEqual(listed.map((s) => s.id), [sandboxId]);
  });

  test('a busybox container runs to completion: logs, exit code 0, env, mounts, limits', async () => {
    const hostDir = join(tmp, 'hostdir');
    mkdirSync(hostDir);
    const config = containerConfig('echo', ['sh', '-c', [
      'echo "hello from $GREETING"',
      'echo "on stderr" >&2',
      'hostname > /data/hostname',
      'cat /etc/resolv.conf > /data/resolv.conf',
      '(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max) > /data/memory',
      '(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max) > /data/cpu',
    ].join('; ')], {
      envs: [{ key: 'GREETING', value: 'skiff' }],
      mounts: [{ containerPath: '/data', hostPath: hostDir, readonly: false }],
      linux: { resources: linuxContainerResources({ requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '250m', memory: '64Mi' } }) },
    });
    const id = await create(config);
    assert.equal((await rt().containerStatus(id)).status.state, 'CONTAINER_CREATED');
    await rt().startContainer(id);
    const s = await waitForStatus(id, (st) => st.state === 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 0);
    assert.equal(s.reason, 'Completed');
    assert.ok(s.startedAt > 0 && s.finishedAt >= s.startedAt);
    assert.equal(s.logPath, join(LOG_DIR, 'echo/0.log'));
    assert.equal(s.metadata.name, 'echo');
    assert.ok(s.imageRef.startsWith('sha256:'), s.imageRef);
    const log = readFileSync(join(LOG_DIR, 'echo/0.log'), 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\dT\S+ stdout F hello from skiff$/m);
    assert.match(log, /^\S+ stderr F on stderr$/m);
    assert.equal(readFileSync(join(hostDir, 'hostname'), 'utf8').trim(), POD_NAME);
    const resolv = readFileSync(join(hostDir, 'resolv.conf'), 'utf8');
    assert.match(resolv, new RegExp(`nameserver ${POD_PREFIX.replace(/\./g, '\\.')}53`));
    assert.match(resolv, /search e2e\.svc\.cluster\.local svc\.cluster\.local/);
    assert.match(resolv, /options ndots:5/);
    assert.equal(readFileSync(join(hostDir, 'memory'), 'utf8').trim(), String(64 * 1024 * 1024));
    assert.match(readFileSync(join(hostDir, 'cpu'), 'utf8').trim(), /^25000( 100000)?$/);
  });

  test('ExecSync runs in a running container; a graceful stop exits 0, an unheeded one is killed after the grace period', async () => {
    const graceful = await create(containerConfig('graceful', ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; sleep 3600 & wait']));
    await rt().startContainer(graceful);
    await waitForStatus(graceful, (st) => st.state === 'CONTAINER_RUNNING');
    const out = await rt().execSync({ containerId: graceful, cmd: ['sh', '-c', 'echo out; echo err >&2; hostname; exit 3'], timeout: 10 });
    assert.equal(out.exitCode, 3);
    assert.equal(text(out.stdout), `out\n${POD_NAME}\n`);
    assert.equal(text(out.stderr), 'err\n');
    const ok = await rt().execSync({ containerId: graceful, cmd: ['cat', '/etc/hostname'], timeout: 0 });
    assert.equal(ok.exitCode, 0);
    assert.equal(text(ok.stdout).trim(), POD_NAME);
    let t0 = Date.now();
    await rt().stopContainer(graceful, 10);
    const gs = (await rt().containerStatus(graceful)).status;
    assert.equal(gs.state, 'CONTAINER_EXITED');
    assert.equal(gs.exitCode, 0);
    assert.ok(Date.now() - t0 < 5_000, `graceful stop took ${Date.now() - t0} ms`);
    assert.match(readFileSync(join(LOG_DIR, 'graceful/0.log'), 'utf8'), /stdout F bye$/m);

    // A container that ignores SIGTERM is killed (137) once the 1 s grace period is over.
    const stubborn = await create(containerConfig('stubborn', ['sh', '-c', 'trap "" TERM; sleep 3600 & wait']));
    await rt().startContainer(stubborn);
    await waitForStatus(stubborn, (st) => st.state === 'CONTAINER_RUNNING');
    t0 = Date.now();
    await rt().stopContainer(stubborn, 1);
    const ss = (await rt().containerStatus(stubborn)).status;
    assert.equal(ss.state, 'CONTAINER_EXITED');
    assert.equal(ss.exitCode, 137);
    assert.ok(Date.now() - t0 >= 900, `killed after ${Date.now() - t0} ms`);
    // Stopping again, and removing, are idempotent.
    await rt().stopContainer(stubborn, 1);
    await rt().removeContainer(stubborn);
    await rt().removeContainer(stubborn);
    await assert.rejects(rt().containerStatus(stubborn), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'NotFound');
  });

  test('container listing, labels and events', async () => {
    const all = await rt().listContainers({ labelSelector: { 'io.kubernetes.pod.uid': POD_UID } });
    assert.deepEqual(all.map((c) => c.metadata.name).sort(), ['echo', 'graceful']);
    const exited = await rt().listContainers({ podSandboxId: sandboxId, state: 'CONTAINER_EXITED' });
    assert.equal(exited.length, 2);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !events.some((e) => e.containerEventType === 'CONTAINER_DELETED_EVENT')) await sleep(100);
    const types = new Set(events.map((e) => e.containerEventType));
    for (const t of ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'] as const) assert.ok(types.has(t), `saw ${t}: ${[...types].join(',')}`);
  });

  test('stopping and removing the sandbox releases its network namespace', async () => {
    await rt().stopPodSandbox(sandboxId);
    assert.equal((await rt().podSandboxStatus(sandboxId)).status.state, 'SANDBOX_NOTREADY');
    await rt().removePodSandbox(sandboxId);
    await rt().removePodSandbox(sandboxId);
    assert.deepEqual(await rt().listPodSandbox({ id: sandboxId }), []);
    assert.deepEqual(await rt().listContainers({ podSandboxId: sandboxId }), []);
    for (const ns of ourNetns) assert.equal(listNetns().includes(ns), false, `netns ${ns} removed`);
    assert.deepEqual(iptablesRulesMentioning(POD_PREFIX), []);
  });
});
