import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../apimachinery/object.js';
import { podTable, summarizePod } from './pod.js';

const now = new Date('2024-05-01T12:00:00Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z', ...meta },
    spec,
    status,
  };
}

const one = { containers: [{ name: 'c', image: 'busybox' }] };
const two = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] };

describe('pod STATUS / READY / RESTARTS', () => {
  const cases: { name: string; pod: KubeObject; want: [string, string, string] }[] = [
    {
      name: 'Running',
      pod: pod(one, {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T11:00:01Z' } } }],
      }),
      want: ['1/1', 'Running', '0'],
    },
    {
      name: 'Pending (unscheduled)',
      pod: pod(one, { phase: 'Pending' }),
      want: ['0/1', 'Pending', '0'],
    },
    {
      name: 'ContainerCreating',
      pod: pod(one, {
        phase: 'Pending',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
      }),
      want: ['0/1', 'ContainerCreating', '0'],
    },
    {
      name: 'CrashLoopBackOff with restarts ago',
      pod: pod(one, {
        phase: 'Running',
        containerStatuses: [{
          name: 'c',
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:59:45Z' } },
        }],
      }),
      want: ['0/1', 'CrashLoopBackOff', '2 (15s ago)'],
    },
    {
      name: 'Completed',
      pod: pod(one, {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      }),
      want: ['0/1', 'Completed', '0'],
    },
    {
      name: 'Error (terminated, non-zero)',
      pod: pod(one, {
        phase: 'Failed',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      }),
      want: ['0/1', 'Error', '0'],
    },
    {
      name: 'ExitCode without reason',
      pod: pod(one, {
        phase: 'Failed',
        containerStatuses: [{ name: 'c', restartCount: 0, state: { terminated: { exitCode: 3 } } }],
      }),
      want: ['0/1', 'ExitCode:3', '0'],
    },
    {
      name: 'Init:1/2',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }, { name: 'i2' }] }, {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i2', restartCount: 0, state: { running: {} } },
        ],
        containerStatuses: [{ name: 'c', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      }),
      want: ['0/1', 'Init:1/2', '0'],
    },
    {
      name: 'Init:0/2 while waiting PodInitializing',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }, { name: 'i2' }] }, {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
          { name: 'i2', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      }),
      want: ['0/1', 'Init:0/2', '0'],
    },
    {
      name: 'Init:Error',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }] }, {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i1', restartCount: 1, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      }),
      want: ['0/1', 'Init:Error', '1'],
    },
    {
      name: 'Init:CrashLoopBackOff',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }] }, {
        phase: 'Pending',
        initContainerStatuses: [{
          name: 'i1',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:55:00Z' } },
        }],
      }),
      want: ['0/1', 'Init:CrashLoopBackOff', '3 (5m ago)'],
    },
    {
      name: 'Init:Signal',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }] }, {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }],
      }),
      want: ['0/1', 'Init:Signal:9', '0'],
    },
    {
      name: 'sidecar (restartable init container) counts toward READY',
      pod: pod({ ...one, initContainers: [{ name: 'side', restartPolicy: 'Always' }] }, {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
      }),
      want: ['2/2', 'Running', '1'],
    },
    {
      name: 'Terminating',
      pod: pod(one, {
        phase: 'Running',
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
      }, { deletionTimestamp: '2024-05-01T11:59:00Z' }),
      want: ['1/1', 'Terminating', '0'],
    },
    {
      name: 'terminal phase is not Terminating',
      pod: pod(one, {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'c', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      }, { deletionTimestamp: '2024-05-01T11:59:00Z' }),
      want: ['0/1', 'Completed', '0'],
    },
    {
      name: 'NodeLost',
      pod: pod(one, { phase: 'Running', reason: 'NodeLost' }),
      want: ['0/1', 'NodeLost', '0'],
    },
    {
      name: 'NodeLost while deleting is Unknown',
      pod: pod(one, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2024-05-01T11:59:00Z' }),
      want: ['0/1', 'Unknown', '0'],
    },
    {
      name: 'Completed container but another still running → NotReady',
      pod: pod(two, {
        phase: 'Running',
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
        ],
      }),
      want: ['1/2', 'NotReady', '0'],
    },
    {
      name: 'SchedulingGated',
      pod: pod(one, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      want: ['0/1', 'SchedulingGated', '0'],
    },
    {
      name: 'Init:ExitCode without a reason',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }] }, {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 3 } } }],
      }),
      want: ['0/1', 'Init:ExitCode:3', '0'],
    },
    {
      name: 'PodInitializing once the init containers are done',
      pod: pod({ ...one, initContainers: [{ name: 'i1' }] }, {
        phase: 'Pending',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [{ name: 'c', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      }),
      want: ['0/1', 'PodInitializing', '0'],
    },
    {
      name: 'Signal without a reason',
      pod: pod(one, { phase: 'Running', containerStatuses: [{ name: 'c', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] }),
      want: ['0/1', 'Signal:9', '0'],
    },
    {
      name: 'Completed container and another running with the Ready condition → Running',
      pod: pod(two, {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
        ],
      }),
      want: ['1/2', 'Running', '0'],
    },
    {
      name: 'a crash-looping sidecar after initialization keeps Init:CrashLoopBackOff (as upstream), restarts counted',
      pod: pod({ ...one, initContainers: [{ name: 'side', restartPolicy: 'Always' }] }, {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'side', ready: false, started: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
      }),
      want: ['1/2', 'Init:CrashLoopBackOff', '2'],
    },
    {
      name: 'Evicted',
      pod: pod(one, { phase: 'Failed', reason: 'Evicted' }),
      want: ['0/1', 'Evicted', '0'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = summarizePod(c.pod, now);
      assert.deepEqual([s.ready, s.status, s.restarts], c.want);
    });
  }
});

describe('podTable', () => {
  it('prints all columns, wide ones included', () => {
    assert.deepEqual(podTable.columns.map((c) => [c.name, c.priority]), [
      ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0],
      ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
    ]);
    assert.equal(podTable.columns[0]!.format, 'name');
    const p = pod({ ...one, nodeName: 'n1', readinessGates: [{ conditionType: 'x/ok' }] }, {
      phase: 'Running',
      podIPs: [{ ip: '10.42.0.5' }],
      conditions: [{ type: 'x/ok', status: 'True' }, { type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
    });
    assert.deepEqual(podTable.cells(p, now), ['p', '1/1', 'Running', '0', '60m', '10.42.0.5', 'n1', '<none>', '1/1']);
    assert.deepEqual(podTable.cells(pod(one, {}), now).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  });
  it('reports the Completed row condition for finished pods', () => {
    assert.equal(podTable.conditions(pod(one, { phase: 'Running' })), undefined);
    assert.deepEqual(podTable.conditions(pod(one, { phase: 'Succeeded' }))?.[0]?.reason, 'Succeeded');
  });
});
