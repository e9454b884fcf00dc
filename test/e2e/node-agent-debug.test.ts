/**
 * Ephemeral containers and `kubectl debug`, end to end on the embedded agent with real busybox
 * containers and the real kubectl (one server for the file, cases run concurrently, one pod per
 * case): a debug container with `--target` shares the target's process namespace (its PID 1 is
 * the target's `sleep`), its logs and exec work, `kubectl debug -i` and `-it` (a terminal)
 * attach to it; the pod's ephemeralContainerStatuses go from running to terminated with the exit
 * code while the pod stays Ready with no restart; a pull failure shows ErrImagePull; updates that
 * remove or change an ephemeral container, or set ports, are refused with 422 and leave the pod
 * as it was; and `kubectl debug --copy-to` makes a changed copy of a pod.
 *
 * Bridge, cluster CIDR, node name and kubelet port are this test's own; images are local.
 * Teardown removes and checks every container, sandbox, network namespace, iptables chain,
 * mount, the bridge and the temp dirs (node-agent-support.ts). Needs root and the Debian
 * packages; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentCluster, agentNetwork, busyboxPodYaml } from './node-agent-support.js';
import type { ContainerStatusJson, PodJson } from './node-agent-support.js';
import { KUBECTL, apiRequest } from '../helpers/kubectl.js';
import { spawnKubectl, watchChild } from '../helpers/kubectl-child.js';

const cluster = new AgentCluster(agentNetwork('db', 50));

const IMAGE = ['--image=busybox:1.35', '--image-pull-policy=IfNotPresent'];

interface DebugPod extends PodJson {
  spec: { ephemeralContainers?: { name: string; image: string; targetContainerName?: string }[] };
  status?: PodJson['status'] & { ephemeralContainerStatuses?: (ContainerStatusJson & { state?: { waiting?: { reason?: string } } })[] };
}

const PODS = ['target', 'quick', 'talk', 'term', 'guarded', 'pull', 'original'];

async function debugPod(name: string): Promise<DebugPod> {
  return JSON.parse(await cluster.ok(['get', 'pod', name, '-o', 'json'])) as DebugPod;
}

type EphemeralStatus = NonNullable<NonNullable<DebugPod['status']>['ephemeralContainerStatuses']>[number];

async function waitEphemeral(pod: string, container: string, pred: (s: EphemeralStatus[]) => boolean, timeoutMs = 60_000): Promise<DebugPod> {
  const p = await cluster.waitPod(pod, (x) => {
    const statuses = (x as DebugPod).status?.ephemeralContainerStatuses?.filter((s) => s.name === container);
    return !!statuses?.length && pred(statuses);
  }, timeoutMs);
  return p as DebugPod;
}

function assertReadyUnrestarted(p: DebugPod): void {
  assert.equal(p.status?.phase, 'Running');
  assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', JSON.stringify(p.status));
  assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0);
}

function ephemeralPath(pod: string): string {
  return `/api/v1/namespaces/default/pods/${pod}/ephemeralcontainers`;
}

describe('node: ephemeral containers and kubectl debug', { timeout: 400_000, concurrency: true }, () => {
  before(async () => {
    await cluster.start(['--controllers', '*']);
    // `sh -c 'sleep 3600'`: busybox sh runs its last command in its own place, so `sleep` is PID 1.
    await cluster.apply(PODS.map((name) => busyboxPodYaml(name, 'sleep 3600')).join('---\n'));
    for (const name of PODS) await cluster.waitPod(name, (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 120_000);
  });

  after(async () => {
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('discovery lists pods/ephemeralcontainers', async () => {
    const list = JSON.parse(await cluster.ok(['get', '--raw', '/api/v1'])) as { resources: { name: string; kind: string; verbs: string[] }[] };
    const sub = list.resources.find((r) => r.name === 'pods/ephemeralcontainers');
    assert.deepEqual(sub && { kind: sub.kind, verbs: sub.verbs }, { kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  });

  test('--target: the debug container sees the target\'s processes; logs and exec work; the pod stays Ready', async () => {
    await cluster.ok(['debug', 'target', '-c', 'dbg', ...IMAGE, '--target=main', '--', 'sh', '-c', 'echo hi; sleep 3600']);
    const p = await waitEphemeral('target', 'dbg', ([s]) => !!s?.state?.running);
    assert.deepEqual(p.spec.ephemeralContainers?.map((c) => [c.name, c.targetContainerName]), [['dbg', 'main']]);
    assertReadyUnrestarted(p);
    await cluster.waitOutput(['logs', 'target', '-c', 'dbg'], /^hi\n$/);
    // PID 1 of the shared namespace is the target's `sleep 3600`; ps lists it beside our own.
    const cmdline = await cluster.ok(['exec', 'target', '-c', 'dbg', '--', 'cat', '/proc/1/cmdline']);
    assert.equal(cmdline.replaceAll('\0', ' ').trim(), 'sleep 3600');
    const ps = await cluster.ok(['exec', 'target', '-c', 'dbg', '--', 'ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1\s+sleep 3600$/m);
    assert.match(ps, /^\s*\d+\s+ps -o pid,args$/m);
  });

  test('an ephemeral container that exits is Terminated with its exit code and not restarted', async () => {
    await cluster.ok(['debug', 'quick', '-c', 'once', ...IMAGE, '--', 'sh', '-c', 'echo bye; exit 7']);
    const p = await waitEphemeral('quick', 'once', ([s]) => !!s?.state?.terminated);
    const s = p.status!.ephemeralContainerStatuses!.find((x) => x.name === 'once')!;
    assert.equal(s.state?.terminated?.exitCode, 7);
    assert.equal(s.state?.terminated?.reason, 'Error');
    assert.equal(s.restartCount, 0);
    assert.equal(s.ready, false);
    assertReadyUnrestarted(p);
    await new Promise((r) => setTimeout(r, 3_000));
    const later = await debugPod('quick');
    assert.equal(later.status?.ephemeralContainerStatuses?.find((x) => x.name === 'once')?.state?.terminated?.exitCode, 7);
    assert.equal(await cluster.ok(['logs', 'quick', '-c', 'once']), 'bye\n');
    assertReadyUnrestarted(later);
  });

  test('kubectl debug -i attaches to the debug container', async () => {
    const script = 'while read line; do echo got:$line; tr "\\0" " " </proc/1/cmdline; echo; done';
    const child = spawnKubectl(cluster.srv().kubeconfig, ['debug', 'talk', '-i', '-c', 'chat', ...IMAGE, '--target=main', '--', 'sh', '-c', script]);
    const result = watchChild(child, /got:hello\nsleep 3600 ?\n/, 90_000);
    // The session takes a moment to attach: say it until the container answers.
    const say = setInterval(() => child.stdin.write('hello\n'), 500);
    const r = await result;
    clearInterval(say);
    assert.equal(r.matched, true, `no answer through kubectl debug -i: ${r.stdout}\n${r.stderr}`);
    const p = await waitEphemeral('talk', 'chat', ([s]) => !!s?.state?.running);
    assertReadyUnrestarted(p);
  });

  test('kubectl debug -it gives the debug container a terminal', async () => {
    // Prints for a few seconds so the output is there whenever the attach connects, then exits
    // (which ends kubectl's session). `script` gives kubectl a pty.
    const loop = 'for i in 1 2 3 4 5 6; do tty; tr "\\0" " " </proc/1/cmdline; echo; sleep 1; done';
    const inner = `${KUBECTL} --kubeconfig ${cluster.srv().kubeconfig} debug term -it -c shell ${IMAGE.join(' ')} --target=main -- sh -c '${loop}'`;
    const child = spawnKubectl(cluster.srv().kubeconfig, ['-qec', inner, '/dev/null'], 'script');
    const r = await watchChild(child, undefined, 120_000);
    child.stdin.end();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /^sleep 3600 ?\r?$/m);
    const p = await waitEphemeral('term', 'shell', ([s]) => !!s?.state?.terminated);
    assert.equal(p.status!.ephemeralContainerStatuses!.find((x) => x.name === 'shell')!.state?.terminated?.exitCode, 0);
    assertReadyUnrestarted(p);
  });

  test('an image that cannot be pulled: ErrImagePull (or its back-off), the pod stays Ready', async () => {
    await cluster.ok(['debug', 'pull', '-c', 'bad', '--image=127.0.0.1:1/missing/image:1', '--image-pull-policy=IfNotPresent', '--', 'sh']);
    const p = await waitEphemeral('pull', 'bad', ([s]) => /^(ErrImagePull|ImagePullBackOff)$/.test(s?.state?.waiting?.reason ?? ''), 90_000);
    assertReadyUnrestarted(p);
  });

  test('removing or changing an ephemeral container, or ports, is refused with 422 and changes nothing', async () => {
    const srv = cluster.srv();
    const added = await apiRequest(srv, 'PATCH', ephemeralPath('guarded'),
      { spec: { ephemeralContainers: [{ name: 'keep', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } },
      { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(added.status, 200, added.body);
    const got = await apiRequest(srv, 'GET', ephemeralPath('guarded'));
    assert.equal(got.status, 200, got.body);
    const before = got.json<DebugPod & { kind: string; metadata: { resourceVersion: string } }>();
    assert.equal(before.kind, 'Pod');
    assert.deepEqual(before.spec.ephemeralContainers?.map((c) => c.name), ['keep']);

    interface StatusBody { code: number; reason: string; message: string; details?: { causes?: { field: string; message: string }[] } }
    const refused = async (method: string, path: string, body: unknown, field: RegExp, message: RegExp, contentType = 'application/json'): Promise<void> => {
      const r = await apiRequest(srv, method, path, body, { 'content-type': contentType });
      assert.equal(r.status, 422, r.body);
      const st = r.json<StatusBody>();
      assert.equal(st.reason, 'Invalid');
      assert.ok(st.details?.causes?.some((c) => field.test(c.field) && message.test(c.message)), r.body);
    };
    const withEphemeral = (list: unknown[]): unknown => ({ ...before, metadata: { ...before.metadata, resourceVersion: undefined }, spec: { ...before.spec, ephemeralContainers: list } });
    const keep = before.spec.ephemeralContainers![0]!;
    await refused('PUT', ephemeralPath('guarded'), withEphemeral([]), /^spec\.ephemeralContainers$/, /may not be removed/);
    await refused('PUT', ephemeralPath('guarded'), withEphemeral([{ ...keep, image: 'busybox:1.36' }]), /^spec\.ephemeralContainers$/, /may not be changed/);
    await refused('PATCH', ephemeralPath('guarded'),
      { spec: { ephemeralContainers: [{ name: 'web', image: 'busybox:1.35', ports: [{ containerPort: 80 }] }] } },
      // Without $setElementOrder a strategic merge puts the new item first, as upstream.
      /^spec\.ephemeralContainers\[0\]\.ports$/, /cannot be set for an Ephemeral Container/, 'application/strategic-merge-patch+json');
    await refused('PATCH', ephemeralPath('guarded'),
      { spec: { ephemeralContainers: [{ name: 'main', image: 'busybox:1.35' }] } },
      /^spec\.ephemeralContainers\[0\]\.name$/, /Duplicate value/, 'application/strategic-merge-patch+json');
    // Through the pod itself they do not change either.
    await refused('PUT', '/api/v1/namespaces/default/pods/guarded', withEphemeral([]), /^spec$/, /pod updates may not change fields/);

    const now = await debugPod('guarded');
    assert.deepEqual(now.spec.ephemeralContainers, before.spec.ephemeralContainers);
    const p = await waitEphemeral('guarded', 'keep', ([s]) => !!s?.state?.running);
    assertReadyUnrestarted(p);
  });

  test('kubectl debug --copy-to makes a copy of the pod with the debug container', async () => {
    await cluster.ok(['debug', 'original', '--copy-to=original-copy', '-c', 'extra', ...IMAGE, '--', 'sleep', '3600']);
    const p = await cluster.waitPod('original-copy', (x) => x.status?.containerStatuses?.length === 2 && x.status.containerStatuses.every((s) => !!s.state?.running), 90_000);
    assert.deepEqual(p.status?.containerStatuses?.map((s) => s.name), ['extra', 'main']);
    assert.equal((await debugPod('original')).spec.ephemeralContainers, undefined);
  });
});
