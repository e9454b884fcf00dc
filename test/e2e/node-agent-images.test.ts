/**
 * Images and container exits on the embedded agent, with real containerd (one server for the file):
 * - a registry on loopback (Debian's docker-registry, the busybox image pushed by skopeo): a pod
 *   with `imagePullPolicy: Always` pulls from it and runs (Pulling/Pulled events), also when the
 *   registry is named `localhost:PORT` (plain HTTP with no configuration); a tag the
 *   registry lacks shows ErrImagePull, then ImagePullBackOff, with a Failed event; `Never` with an
 *   absent image shows ErrImageNeverPull;
 * - the Node reports its images (busybox among them) and the pressure conditions with upstream's
 *   reasons;
 * - a container over its memory limit is OOMKilled (exit code 137) and restarted; CPU and memory
 *   limits are the container's cgroup settings (millicores included);
 * - a command that does not exist ends in StartError (exit code 128) as with upstream + containerd;
 *   with restartPolicy Always it is restarted and shows RunContainerError / CrashLoopBackOff.
 *
 * Bridge, cluster CIDR, node name and kubelet port are this test's own. Teardown stops the
 * registry by pid, removes its storage and the pulled images, and checks every container, sandbox,
 * network namespace, iptables chain and mount is gone (see node-agent-support.ts). Needs root and
 * the Debian packages scripts/setup.sh installs; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buildBusyboxImage } from '../../src/images/builtin.js';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import type { PodJson } from './node-agent-support.js';
import { LoopbackRegistry, registryPreflight, teardownWithRegistry } from './loopback-registry.js';

const cluster = new AgentCluster(agentNetwork('im', 150));
const registry = new LoopbackRegistry();
let pushed = '';

function podYaml(name: string, image: string, script: string,
  extra: { policy?: string; restart?: string; container?: string; command?: string[] } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: ${extra.restart ?? 'Always'}
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: ${extra.policy ?? 'IfNotPresent'}
    command: ${JSON.stringify(extra.command ?? ['sh', '-c', script])}
${extra.container ?? ''}`;
}

function ctr(args: string[]): string {
  return execFileSync('ctr', ['-a', cluster.containerdSocket, '-n', 'k8s.io', ...args], { encoding: 'utf8' });
}

/** The host pid of a running container (from containerd's task list). */
function containerPid(containerId: string): number {
  const id = containerId.replace(/^containerd:\/\//, '');
  const line = ctr(['tasks', 'ls']).split('\n').find((l) => l.startsWith(id));
  assert.ok(line, `no task for container ${id}`);
  return Number(line.trim().split(/\s+/)[1]);
}

const CGROUP_V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/** A cgroup file of a process: its v2 cgroup, or its cgroup of the v1 `controller`. */
function cgroupValue(pid: number, controller: string, file: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const line = CGROUP_V2 ? lines.find((l) => l.startsWith('0::')) : lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line, `no ${controller} cgroup for ${pid}`);
  const path = line.split(':').slice(2).join(':');
  return readFileSync(CGROUP_V2 ? `/sys/fs/cgroup${path}/${file}` : `/sys/fs/cgroup/${controller}${path}/${file}`, 'utf8').trim();
}

describe('node: images, pulls and container exits on the embedded agent', { timeout: 600_000, concurrency: true }, () => {
  before(async () => {
    registryPreflight();
    await cluster.start(['--controllers', '*']);
    await registry.start();
    pushed = await registry.pushArchive(buildBusyboxImage().archive, 'latest', 'skiff/busybox', 'e2e');
  });

  after(() => teardownWithRegistry(cluster, registry));

  test('imagePullPolicy Always pulls from the loopback registry and the pod runs', async () => {
    await cluster.apply(podYaml('pull-always', pushed, 'echo pulled; sleep 600', { policy: 'Always' }));
    const p = await cluster.waitPod('pull-always', (x) => x.status?.phase === 'Running', 120_000);
    assert.match(p.status?.containerStatuses?.[0]?.state?.running ? 'running' : '', /running/);
    const events = await cluster.waitEvent('pull-always', /^Normal Pulled /m);
    assert.match(events, new RegExp(`^Normal Pulling Pulling image "${pushed}"$`, 'm'));
    assert.match(events, new RegExp(`^Normal Pulled Successfully pulled image "${pushed}" in \\S+ \\(\\S+ including waiting\\)\\. Image size: \\d+ bytes\\.$`, 'm'));
    const status = JSON.parse(await cluster.ok(['get', 'pod', 'pull-always', '-o', 'json'])) as { status: { containerStatuses: { imageID: string }[] } };
    assert.match(status.status.containerStatuses[0]?.imageID ?? '', new RegExp(`^${registry.host}/skiff/busybox@sha256:[0-9a-f]{64}$`));
  });

  test('a registry named localhost:PORT is spoken to over plain HTTP too', async () => {
    const image = pushed.replace(/^127\.0\.0\.1:/, 'localhost:');
    await cluster.apply(podYaml('pull-localhost', image, 'sleep 600', { policy: 'IfNotPresent' }));
    await cluster.waitPod('pull-localhost', (x) => x.status?.phase === 'Running', 120_000);
    assert.match(await cluster.eventLines('pull-localhost'), new RegExp(`^Normal Pulled Successfully pulled image "${image}" in `, 'm'));
  });

  test('a tag the registry lacks shows ErrImagePull, then ImagePullBackOff', async () => {
    const image = `${registry.host}/skiff/busybox:no-such-tag`;
    await cluster.apply(podYaml('pull-missing', image, 'sleep 600', { policy: 'IfNotPresent' }));
    await cluster.waitOutput(['get', 'pod', 'pull-missing'], /^pull-missing\s+0\/1\s+ErrImagePull\s/m, 90_000);
    await cluster.waitOutput(['get', 'pod', 'pull-missing'], /^pull-missing\s+0\/1\s+ImagePullBackOff\s/m, 90_000);
    const p = await cluster.pod('pull-missing');
    const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting as { reason?: string; message?: string } | undefined;
    assert.equal(waiting?.reason, 'ImagePullBackOff');
    assert.match(waiting?.message ?? '', new RegExp(`^Back-off pulling image "${image}": ErrImagePull: rpc error: code = NotFound desc = .*not found`));
    const events = await cluster.waitEvent('pull-missing', /^Warning Failed Error: ImagePullBackOff$/m);
    assert.match(events, new RegExp(`^Warning Failed Failed to pull image "${image}": rpc error: code = NotFound desc = .*not found`, 'm'));
    assert.match(events, /^Warning Failed Error: ErrImagePull$/m);
    assert.match(events, new RegExp(`^Normal BackOff Back-off pulling image "${image}"$`, 'm'));
  });

  test('imagePullPolicy Never with an absent image shows ErrImageNeverPull', async () => {
    const image = `${registry.host}/skiff/busybox:never-pulled`;
    await cluster.apply(podYaml('pull-never', image, 'sleep 600', { policy: 'Never' }));
    await cluster.waitOutput(['get', 'pod', 'pull-never'], /^pull-never\s+0\/1\s+ErrImageNeverPull\s/m, 60_000);
    const p = await cluster.pod('pull-never');
    const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting as { reason?: string; message?: string } | undefined;
    assert.equal(waiting?.message, `Container image "${image}" is not present with pull policy of Never`);
    const events = await cluster.waitEvent('pull-never', /^Warning ErrImageNeverPull /m);
    assert.match(events, /^Warning Failed Error: ErrImageNeverPull$/m);
  });

  test('the Node reports its images and the pressure conditions', async () => {
    // The node reports images with its first status update after registration.
    const text = await cluster.waitOutput(['get', 'node', cluster.net.node, '-o', 'json'], /docker\.io\/library\/busybox:latest/, 90_000);
    const node = JSON.parse(text) as {
      status: {
        images?: { names?: string[]; sizeBytes?: number }[];
        conditions: { type: string; status: string; reason: string; message: string }[];
        capacity: Record<string, string>; allocatable: Record<string, string>;
      };
    };
    const busybox = node.status.images?.find((i) => (i.names ?? []).includes('docker.io/library/busybox:latest'));
    assert.ok(busybox, `busybox missing from status.images: ${JSON.stringify(node.status.images)}`);
    assert.ok((busybox.sizeBytes ?? 0) > 100_000, `busybox size ${busybox.sizeBytes}`);
    assert.ok((node.status.images ?? []).length <= 50);
    const sizes = (node.status.images ?? []).map((i) => i.sizeBytes ?? 0);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a), 'images are listed largest first');
    const cond = (type: string): string => {
      const c = node.status.conditions.find((x) => x.type === type);
      return `${c?.status} ${c?.reason} ${c?.message}`;
    };
    assert.equal(cond('MemoryPressure'), 'False KubeletHasSufficientMemory kubelet has sufficient memory available');
    assert.equal(cond('DiskPressure'), 'False KubeletHasNoDiskPressure kubelet has no disk pressure');
    assert.equal(cond('PIDPressure'), 'False KubeletHasSufficientPID kubelet has sufficient PID available');
    assert.equal(cond('Ready'), 'True KubeletReady kubelet is posting ready status');
    assert.equal(node.status.capacity.pods, '110');
    for (const r of ['cpu', 'memory', 'ephemeral-storage']) assert.ok(node.status.allocatable[r], `allocatable ${r}`);
  });

  test('a container over its memory limit is OOMKilled (137) and restarted', async () => {
    await cluster.apply(podYaml('oom', 'busybox:1.35', 'echo start; exec dd if=/dev/zero of=/dev/null bs=100M count=1', {
      container: `    resources:
      limits:
        memory: 32Mi
`,
    }));
    const p = await cluster.waitPod('oom', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 120_000);
    const last = (p.status?.containerStatuses?.[0] as { lastState?: { terminated?: { exitCode: number; reason?: string } } } | undefined)?.lastState;
    assert.equal(last?.terminated?.reason, 'OOMKilled');
    assert.equal(last?.terminated?.exitCode, 137);
    await cluster.waitOutput(['get', 'pod', 'oom'], /^oom\s+0\/1\s+(OOMKilled|CrashLoopBackOff)\s/m, 120_000);
  });

  test('CPU and memory limits are the container cgroup settings (250m → 25 ms per 100 ms)', async () => {
    await cluster.apply(podYaml('limits', 'busybox:1.35', 'sleep 600', {
      container: `    resources:
      requests:
        cpu: 100m
        memory: 16Mi
      limits:
        cpu: 250m
        memory: 64Mi
`,
    }));
    const p: PodJson = await cluster.waitPod('limits', (x) => x.status?.phase === 'Running', 90_000);
    const id = (p.status?.containerStatuses?.[0] as { containerID?: string } | undefined)?.containerID ?? '';
    const pid = containerPid(id);
    if (CGROUP_V2) {
      assert.equal(cgroupValue(pid, 'memory', 'memory.max'), String(64 * 1024 * 1024));
      assert.equal(cgroupValue(pid, 'cpu', 'cpu.max'), '25000 100000');
    } else {
      assert.equal(cgroupValue(pid, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
      assert.equal(cgroupValue(pid, 'cpu', 'cpu.cfs_quota_us'), '25000');
      assert.equal(cgroupValue(pid, 'cpu', 'cpu.cfs_period_us'), '100000');
      assert.equal(cgroupValue(pid, 'cpu', 'cpu.shares'), '102');
    }
  });

  test('a command that does not exist ends in StartError with exit code 128', async () => {
    await cluster.apply(podYaml('no-command', 'busybox:1.35', '', { restart: 'Never', command: ['/no/such/program'] }));
    await cluster.waitOutput(['get', 'pod', 'no-command'], /^no-command\s+0\/1\s+StartError\s/m, 90_000);
    const p = await cluster.pod('no-command');
    const t = p?.status?.containerStatuses?.[0]?.state?.terminated as { exitCode: number; reason?: string; message?: string } | undefined;
    assert.equal(t?.reason, 'StartError');
    assert.equal(t?.exitCode, 128);
    assert.match(t?.message ?? '', /\/no\/such\/program.*no such file or directory/);
    assert.equal(p?.status?.phase, 'Failed');
    const events = await cluster.eventLines('no-command');
    assert.match(events, /^Warning Failed Error: failed to create containerd task: .*\/no\/such\/program/m);
  });

  test('with restartPolicy Always it is restarted: lastState StartError, RunContainerError or CrashLoopBackOff', async () => {
    await cluster.apply(podYaml('no-command-always', 'busybox:1.35', '', { command: ['/no/such/program'] }));
    const p = await cluster.waitPod('no-command-always', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 120_000);
    const st = p.status?.containerStatuses?.[0] as {
      state?: { waiting?: { reason?: string } }; lastState?: { terminated?: { exitCode: number; reason?: string } };
    } | undefined;
    assert.equal(st?.lastState?.terminated?.reason, 'StartError');
    assert.equal(st?.lastState?.terminated?.exitCode, 128);
    await cluster.waitOutput(['get', 'pod', 'no-command-always'], /^no-command-always\s+0\/1\s+(RunContainerError|CrashLoopBackOff|StartError)\s/m, 60_000);
  });
});
