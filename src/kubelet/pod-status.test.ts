import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from '../apimachinery/generated/types.js';
import type { GenerateStatusInput, PodRuntimeStatus, RuntimeContainerInfo } from './pod-status.js';
import { generatePodStatus, getPhase, initializedCondition, readyCondition } from './pod-status.js';
import { mergeStatus } from './status-manager.js';

const NOW = '2025-01-01T00:00:00Z';
const S = 1_700_000_000_000 * 1e6;

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, extra: Partial<Pod> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec }, ...extra };
}

function running(name: string): ContainerStatus {
  return { name, image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: NOW } } };
}
function terminated(name: string, exitCode: number): ContainerStatus {
  return { name, image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } };
}
function waiting(name: string, lastExit?: number): ContainerStatus {
  return {
    name, image: 'i', imageID: '', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } },
    ...(lastExit !== undefined ? { lastState: { terminated: { exitCode: lastExit } } } : {}),
  };
}

describe('getPhase', () => {
  const cases: { name: string; pod: Pod; info: ContainerStatus[]; terminal?: boolean; want: string }[] = [
    { name: 'no status yet', pod: pod(), info: [], want: 'Pending' },
    { name: 'waiting for the first start', pod: pod(), info: [{ ...waiting('c'), restartCount: 0 }], want: 'Pending' },
    { name: 'running', pod: pod(), info: [running('c')], want: 'Running' },
    { name: 'Always, crash-looping', pod: pod(), info: [waiting('c', 1)], want: 'Running' },
    { name: 'Always, exited', pod: pod(), info: [terminated('c', 0)], want: 'Running' },
    { name: 'Never, exit 1', pod: pod({ restartPolicy: 'Never' }), info: [terminated('c', 1)], want: 'Failed' },
    { name: 'Never, exit 0', pod: pod({ restartPolicy: 'Never' }), info: [terminated('c', 0)], want: 'Succeeded' },
    { name: 'OnFailure, exit 0', pod: pod({ restartPolicy: 'OnFailure' }), info: [terminated('c', 0)], want: 'Succeeded' },
    { name: 'OnFailure, exit 1', pod: pod({ restartPolicy: 'OnFailure' }), info: [terminated('c', 1)], want: 'Running' },
    { name: 'terminal pod, killed', pod: pod(), info: [terminated('c', 143)], terminal: true, want: 'Failed' },
    { name: 'terminal pod, clean exit', pod: pod(), info: [terminated('c', 0)], terminal: true, want: 'Succeeded' },
    {
      name: 'init container running', pod: pod({ initContainers: [{ name: 'i' }] }),
      info: [running('i'), { ...waiting('c'), restartCount: 0 }], want: 'Pending',
    },
    {
      name: 'init container failed, Never', pod: pod({ restartPolicy: 'Never', initContainers: [{ name: 'i' }] }),
      info: [terminated('i', 1), { ...waiting('c'), restartCount: 0 }], want: 'Failed',
    },
    {
      name: 'init done, app running', pod: pod({ initContainers: [{ name: 'i' }] }),
      info: [terminated('i', 0), running('c')], want: 'Running',
    },
  ];
  for (const c of cases) test(c.name, () => assert.equal(getPhase(c.pod, c.info, c.terminal ?? false), c.want));
});

describe('conditions', () => {
  test('Ready lists unready containers like upstream', () => {
    const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    const cond = readyCondition(p, [], [running('a'), { ...running('b'), ready: false }], 'Running');
    assert.deepEqual(cond, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });
    assert.equal(readyCondition(p, [], [running('a'), running('b')], 'Running').status, 'True');
    assert.deepEqual(readyCondition(p, [], [terminated('a', 0), terminated('b', 0)], 'Succeeded'), { type: 'Ready', status: 'False', reason: 'PodCompleted' });
    assert.deepEqual(readyCondition(p, [], [terminated('a', 1), terminated('b', 0)], 'Failed'), { type: 'Ready', status: 'False', reason: 'PodFailed' });
  });

  test('readiness gates hold Ready back', () => {
    const p = pod({ readinessGates: [{ conditionType: 'example.com/gate' }] });
    const cond = readyCondition(p, [], [running('c')], 'Running');
    assert.equal(cond.reason, 'ReadinessGatesNotReady');
    assert.equal(cond.message, 'corresponding condition of pod readiness gate "example.com/gate" does not exist.');
  });

  test('Initialized waits for init containers', () => {
    const p = pod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] });
    const cond = initializedCondition(p, [{ ...terminated('i1', 0), ready: true }, { ...running('i2'), ready: false }, waiting('c')], 'Pending');
    assert.deepEqual(cond, { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i2]' });
  });
});

function info(partial: Partial<RuntimeContainerInfo>): RuntimeContainerInfo {
  return {
    id: 'id1', name: 'c', state: 'CONTAINER_RUNNING', createdAt: S, startedAt: S, finishedAt: 0, exitCode: 0, reason: '', message: '',
    image: 'docker.io/library/busybox:latest', imageRef: 'docker.io/library/busybox@sha256:00', restartCount: 0, hash: '', ...partial,
  };
}

function input(p: Pod, rs: Partial<PodRuntimeStatus>, extra: Partial<GenerateStatusInput> = {}): GenerateStatusInput {
  return {
    pod: p, runtime: { uid: 'u1', sandboxes: [{ id: 's1', ready: true, createdAt: S, attempt: 0, ip: '10.42.0.5' }], containers: [], ...rs },
    oldStatus: p.status ?? {}, podIsTerminal: false, reasons: new Map(), readiness: () => undefined, startup: () => undefined,
    hostIPs: ['192.168.1.10'], runtimeName: 'simulated', now: NOW, ...extra,
  };
}

describe('generatePodStatus', () => {
  test('before any container: ContainerCreating, Pending, IPs set', () => {
    const st = generatePodStatus(input(pod(), {}));
    assert.equal(st.phase, 'Pending');
    assert.deepEqual(st.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
    assert.equal(st.podIP, '10.42.0.5');
    assert.equal(st.hostIP, '192.168.1.10');
    assert.equal(st.startTime, NOW);
    assert.deepEqual(st.conditions?.map((c) => `${c.type}=${c.status}`),
      ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
  });

  test('init containers make app containers wait in PodInitializing', () => {
    const st = generatePodStatus(input(pod({ initContainers: [{ name: 'i', image: 'busybox' }] }), {}));
    assert.deepEqual(st.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(st.initContainerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
  });

  test('crash loop: waiting with the back-off reason, last state from the previous run', () => {
    const rs = { containers: [
      info({ id: 'new', state: 'CONTAINER_EXITED', exitCode: 1, reason: 'Error', finishedAt: S + 2e9, restartCount: 2 }),
      info({ id: 'old', state: 'CONTAINER_EXITED', exitCode: 1, reason: 'Error', finishedAt: S + 1e9, restartCount: 1 }),
    ] };
    const reasons = new Map([['c', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=c pod=p_ns(u1)' }]]);
    const st = generatePodStatus(input(pod(), rs, { reasons }));
    const cs = st.containerStatuses![0]!;
    assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=c pod=p_ns(u1)' } });
    assert.equal(cs.lastState?.terminated?.exitCode, 1);
    assert.equal(cs.lastState?.terminated?.containerID, 'simulated://new');
    assert.equal(cs.restartCount, 2);
    assert.equal(st.phase, 'Running');
  });

  test('readiness probe result drives ready; others\' conditions are kept', () => {
    const p = pod({ containers: [{ name: 'c', readinessProbe: { exec: { command: ['true'] } } }] }, {
      status: { conditions: [{ type: 'DisruptionTarget', status: 'True' }, { type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
    });
    const rs = { containers: [info({})] };
    let st = generatePodStatus(input(p, rs, { readiness: () => false }));
    assert.equal(st.containerStatuses?.[0]?.ready, false);
    assert.equal(st.conditions?.[0]?.type, 'DisruptionTarget');
    assert.equal(st.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, '2024-01-01T00:00:00Z');
    st = generatePodStatus(input(p, rs, { readiness: () => true }));
    assert.equal(st.containerStatuses?.[0]?.ready, true);
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  test('a terminal API phase is never left', () => {
    const p = pod({}, { status: { phase: 'Succeeded' } });
    const st = generatePodStatus(input(p, { containers: [info({})] }));
    assert.equal(st.phase, 'Succeeded');
  });

  test('mergeStatus keeps conditions the kubelet does not own', () => {
    const merged = mergeStatus(
      { conditions: [{ type: 'DisruptionTarget', status: 'True' }, { type: 'Ready', status: 'True' }], nominatedNodeName: 'n' },
      { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
    );
    assert.deepEqual(merged.conditions, [{ type: 'DisruptionTarget', status: 'True' }, { type: 'Ready', status: 'False' }]);
    assert.equal(merged.nominatedNodeName, 'n');
  });
});

describe('ephemeral container statuses', () => {
  const p = pod({ ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'c' }] });
  const app = info({ id: 'app' });

  test('waiting with the reason it could not start; the pod stays Running and Ready', () => {
    const reasons = new Map([['dbg', { reason: 'ErrImagePull', message: 'pull failed' }]]);
    const st = generatePodStatus(input(p, { containers: [app] }, { reasons }));
    assert.deepEqual(st.ephemeralContainerStatuses, [{
      name: 'dbg', image: 'busybox', imageID: '', ready: false, restartCount: 0, lastState: {},
      state: { waiting: { reason: 'ErrImagePull', message: 'pull failed' } },
    }]);
    assert.equal(st.phase, 'Running');
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  test('running, then terminated with its exit code; never ready, never restarted', () => {
    const dbg = (partial: Partial<RuntimeContainerInfo>) => info({ id: 'dbg1', name: 'dbg', createdAt: S + 1, ...partial });
    const run = generatePodStatus(input(p, { containers: [dbg({}), app] }));
    assert.deepEqual(run.ephemeralContainerStatuses?.[0]?.state, { running: { startedAt: '2023-11-14T22:13:20Z' } });
    assert.equal(run.ephemeralContainerStatuses?.[0]?.ready, false);
    assert.equal(run.ephemeralContainerStatuses?.[0]?.started, undefined);
    const stale = new Map([['dbg', { reason: 'ErrImagePull', message: '' }]]);
    const done = generatePodStatus(input(p, { containers: [dbg({ state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error', finishedAt: S + 2e9 }), app] }, { reasons: stale }));
    assert.deepEqual(done.ephemeralContainerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    assert.equal(done.ephemeralContainerStatuses?.[0]?.state?.terminated?.reason, 'Error');
    assert.equal(done.phase, 'Running');
    assert.equal(done.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(done.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True');
  });

  test('no ephemeral containers: no field', () => {
    assert.equal(generatePodStatus(input(pod(), {})).ephemeralContainerStatuses, undefined);
  });
});
