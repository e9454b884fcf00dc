import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTimerQueue } from '../timer-queue.js';
import type { TimerQueue } from '../timer-queue.js';
import { ANNOTATION_CONTAINER_TYPE, createSimulatedRuntime, simulatedExitPlan, simulatedProbeFails } from './simulated.js';
import type { SimulatedRuntime } from './simulated.js';
import type { ContainerConfig, ContainerEvent, PodSandboxConfig } from './runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, isRuntimeNotFound } from './runtime.js';

function sandboxConfig(uid: string, annotations: Record<string, string> = {}, hostNetwork = false): PodSandboxConfig {
  return {
    metadata: { name: `p-${uid}`, namespace: 'default', uid, attempt: 0 }, hostname: `p-${uid}`, logDirectory: '',
    portMappings: [], labels: { [LABEL_POD_UID]: uid }, annotations,
    ...(hostNetwork ? { linux: { securityContext: { namespaceOptions: { network: 'NODE' as const } } } } : {}),
  };
}

function containerConfig(name: string, type = 'app'): ContainerConfig {
  return {
    metadata: { name, attempt: 0 }, image: { image: 'busybox', userSpecifiedImage: 'busybox' }, command: [], args: [],
    workingDir: '', envs: [], mounts: [], labels: { [LABEL_CONTAINER_NAME]: name }, annotations: { [ANNOTATION_CONTAINER_TYPE]: type },
    logPath: `${name}/0.log`, stdin: false, stdinOnce: false, tty: false,
  };
}

async function setup(opts: { startDelayMs?: number } = {}): Promise<{ q: TimerQueue; rt: SimulatedRuntime }> {
  const q = createTimerQueue({ manual: true, startMs: 1_000_000 });
  const rt = createSimulatedRuntime({ timers: q, podCidr: '10.42.7.0/24', ...opts });
  return { q, rt };
}

async function start(rt: SimulatedRuntime, uid: string, annotations: Record<string, string> = {}, name = 'c', type = 'app'): Promise<{ sb: string; id: string }> {
  const cfg = sandboxConfig(uid, annotations);
  const { podSandboxId } = await rt.runPodSandbox({ config: cfg });
  const { containerId } = await rt.createContainer({ podSandboxId, config: containerConfig(name, type), sandboxConfig: cfg });
  await rt.startContainer(containerId);
  return { sb: podSandboxId, id: containerId };
}

test('sandboxes get IPs from the pod CIDR starting at .2, released on stop', async () => {
  const { rt } = await setup();
  const a = await rt.runPodSandbox({ config: sandboxConfig('a') });
  const b = await rt.runPodSandbox({ config: sandboxConfig('b') });
  const h = await rt.runPodSandbox({ config: sandboxConfig('h', {}, true) });
  assert.equal((await rt.podSandboxStatus(a.podSandboxId)).status.network?.ip, '10.42.7.2');
  assert.equal((await rt.podSandboxStatus(b.podSandboxId)).status.network?.ip, '10.42.7.3');
  assert.equal((await rt.podSandboxStatus(h.podSandboxId)).status.network?.ip, '');
  assert.equal(rt.counts().ips, 2);
  await rt.stopPodSandbox(a.podSandboxId);
  assert.equal((await rt.podSandboxStatus(a.podSandboxId)).status.state, 'SANDBOX_NOTREADY');
  assert.equal(rt.counts().ips, 1);
  await rt.removePodSandbox(a.podSandboxId);
  await rt.removePodSandbox(a.podSandboxId);
  await assert.rejects(rt.podSandboxStatus(a.podSandboxId), isRuntimeNotFound);
  assert.equal((await rt.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: 'b' } })).length, 1);
});

test('the IP range runs out with a clear error', async () => {
  const q = createTimerQueue({ manual: true });
  const rt = createSimulatedRuntime({ timers: q, podCidr: '10.0.0.0/29' });
  for (let i = 0; i < 5; i++) await rt.runPodSandbox({ config: sandboxConfig(`u${i}`) });
  await assert.rejects(rt.runPodSandbox({ config: sandboxConfig('x') }), /range 10.0.0.0\/29 is full/);
});

test('containers run until stopped; stop exits 143 at once', async () => {
  const { q, rt } = await setup();
  const { id } = await start(rt, 'u1');
  let st = (await rt.containerStatus(id)).status;
  assert.equal(st.state, 'CONTAINER_RUNNING');
  assert.equal(st.image.image, 'docker.io/library/busybox:latest');
  assert.match(st.imageRef, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  q.advance(3_600_000);
  assert.equal((await rt.containerStatus(id)).status.state, 'CONTAINER_RUNNING');
  await rt.stopContainer(id, 30);
  st = (await rt.containerStatus(id)).status;
  assert.equal(st.state, 'CONTAINER_EXITED');
  assert.equal(st.exitCode, 143);
  assert.equal(st.reason, 'Error');
  assert.equal(q.size, 0);
});

test('start delay: StartContainer resolves once the container runs', async () => {
  const { q, rt } = await setup({ startDelayMs: 500 });
  const cfg = sandboxConfig('u1');
  const { podSandboxId } = await rt.runPodSandbox({ config: cfg });
  const { containerId } = await rt.createContainer({ podSandboxId, config: containerConfig('c'), sandboxConfig: cfg });
  let started = false;
  const p = rt.startContainer(containerId).then(() => { started = true; });
  await Promise.resolve();
  assert.equal((await rt.containerStatus(containerId)).status.state, 'CONTAINER_CREATED');
  q.advance(499);
  await Promise.resolve();
  assert.equal(started, false);
  q.advance(1);
  await p;
  const st = (await rt.containerStatus(containerId)).status;
  assert.equal(st.state, 'CONTAINER_RUNNING');
  assert.equal(st.startedAt, 1_000_500 * 1e6);
});

test('exit-code and exit-after annotations, per container too', async () => {
  const { q, rt } = await setup();
  const { id } = await start(rt, 'u1', { 'sim.skiff.io/exit-code': '3', 'sim.skiff.io/exit-after': '2s' });
  q.advance(1999);
  assert.equal((await rt.containerStatus(id)).status.state, 'CONTAINER_RUNNING');
  q.advance(1);
  const st = (await rt.containerStatus(id)).status;
  assert.equal(st.state, 'CONTAINER_EXITED');
  assert.equal(st.exitCode, 3);
  assert.equal(st.reason, 'Error');
  assert.equal(st.finishedAt - st.startedAt, 2000 * 1e6);

  const ok = await start(rt, 'u2', { 'sim.skiff.io/exit-after': '1s', 'sim.skiff.io/exit-code.other': '9' });
  q.advance(1000);
  const st2 = (await rt.containerStatus(ok.id)).status;
  assert.equal(st2.exitCode, 0);
  assert.equal(st2.reason, 'Completed');

  assert.deepEqual(simulatedExitPlan({ 'sim.skiff.io/exit-code': '1' }, 'c', 'app'), { exitAfterMs: 0, exitCode: 1 });
  assert.deepEqual(simulatedExitPlan({ 'sim.skiff.io/exit-code': '1' }, 'init', 'init'), { exitAfterMs: 0, exitCode: 0 });
  assert.deepEqual(simulatedExitPlan({ 'sim.skiff.io/exit-code.init': '2' }, 'init', 'init'), { exitAfterMs: 0, exitCode: 2 });
  assert.deepEqual(simulatedExitPlan({}, 'c', 'app'), { exitAfterMs: undefined, exitCode: 0 });
  assert.deepEqual(simulatedExitPlan({}, 'side', 'sidecar'), { exitAfterMs: undefined, exitCode: 0 });
});

test('ignore-sigterm: stop waits for the timeout, then exits 137', async () => {
  const { q, rt } = await setup();
  const { id } = await start(rt, 'u1', { 'sim.skiff.io/ignore-sigterm': 'true' });
  let stopped = false;
  const p = rt.stopContainer(id, 5).then(() => { stopped = true; });
  q.advance(4999);
  await Promise.resolve();
  assert.equal(stopped, false);
  // A second stop with a shorter timeout hastens the kill.
  const p2 = rt.stopContainer(id, 0);
  await p2;
  await p;
  const st = (await rt.containerStatus(id)).status;
  assert.equal(st.exitCode, 137);
  assert.equal(q.size, 0);
});

test('container events are delivered to subscribers', async () => {
  const { q, rt } = await setup();
  const events: ContainerEvent[] = [];
  const off = rt.getContainerEvents((e) => events.push(e));
  const { id, sb } = await start(rt, 'u1', { 'sim.skiff.io/exit-after': '1s' });
  q.advance(1000);
  await rt.removePodSandbox(sb);
  await new Promise((r) => setImmediate(r));
  off();
  assert.deepEqual(events.map((e) => e.containerEventType), ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT']);
  assert.ok(events.every((e) => e.containerId === id && e.podSandboxStatus?.metadata.uid === 'u1'));
  assert.deepEqual(rt.counts(), { sandboxes: 0, containers: 0, running: 0, ips: 0 });
});

test('probes succeed unless probe-fail lists them', async () => {
  const { rt } = await setup();
  const { id } = await start(rt, 'u1', { 'sim.skiff.io/probe-fail.c': 'readiness, startup' });
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
  const base = { pod, container: { name: 'c' }, containerId: id, probe: { httpGet: { port: 80 } }, podIp: '10.42.7.2' };
  assert.equal((await rt.prober.probe({ ...base, probeType: 'liveness' })).success, true);
  assert.equal((await rt.prober.probe({ ...base, probeType: 'readiness' })).success, false);
  assert.equal((await rt.prober.probe({ ...base, probeType: 'startup' })).success, false);
  assert.equal(simulatedProbeFails({ 'sim.skiff.io/probe-fail': 'liveness' }, 'x', 'liveness'), true);
  assert.equal(simulatedProbeFails({ 'sim.skiff.io/probe-fail': 'liveness' }, 'x', 'readiness'), false);
});

test('listContainers filters by sandbox, state and labels', async () => {
  const { rt } = await setup();
  const a = await start(rt, 'a');
  await start(rt, 'b');
  assert.equal((await rt.listContainers()).length, 2);
  assert.equal((await rt.listContainers({ podSandboxId: a.sb })).length, 1);
  assert.equal((await rt.listContainers({ labelSelector: { [LABEL_CONTAINER_NAME]: 'c' } })).length, 2);
  await rt.stopContainer(a.id, 0);
  assert.equal((await rt.listContainers({ state: 'CONTAINER_RUNNING' })).length, 1);
  await rt.removeContainer(a.id);
  assert.equal((await rt.listContainers({ podSandboxId: a.sb })).length, 0);
});
