import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeConditions, nodeObject, nodeStatusChanged } from './node-status.js';
import type { NodeIdentity } from './node-status.js';
import { parseSimulatedCapacity } from './simulated-nodes.js';

const id: NodeIdentity = {
  name: 'n1', internalIP: '10.0.0.1', podCIDR: '10.42.1.0/24', capacity: { cpu: '4', memory: '8Gi', pods: '110' },
  taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  nodeInfo: {
    architecture: 'amd64', operatingSystem: 'linux', bootID: '', containerRuntimeVersion: 'simulated://1.0.0', kernelVersion: '',
    kubeProxyVersion: '', kubeletVersion: 'v1.32.4', machineID: '', osImage: '', systemUUID: '',
  },
};
const healthy = { ready: true, memoryPressure: false, diskPressure: false, pidPressure: false };

test('the registered Node carries labels, podCIDR, taints and the four conditions', () => {
  const n = nodeObject(id, healthy, '2025-01-01T00:00:00Z');
  assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
  assert.equal(n.metadata?.labels?.['kubernetes.io/os'], 'linux');
  assert.equal(n.metadata?.labels?.['kubernetes.io/arch'], 'amd64');
  assert.deepEqual(n.spec?.podCIDRs, ['10.42.1.0/24']);
  assert.equal(n.spec?.taints?.[0]?.key, 'dedicated');
  assert.deepEqual(n.status?.allocatable, id.capacity);
  assert.deepEqual(n.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'], ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'], ['Ready', 'True', 'KubeletReady'],
  ]);
});

test('heartbeats alone are not a change; transitions keep their time until the status flips', () => {
  const first = nodeConditions(healthy, undefined, 'T1');
  const second = nodeConditions(healthy, first, 'T2');
  assert.equal(second[3]!.lastTransitionTime, 'T1');
  assert.equal(second[3]!.lastHeartbeatTime, 'T2');
  assert.equal(nodeStatusChanged({ conditions: first }, { conditions: second }), false);
  const down = nodeConditions({ ...healthy, ready: false }, second, 'T3');
  assert.equal(down[3]!.lastTransitionTime, 'T3');
  assert.equal(down[3]!.reason, 'KubeletNotReady');
  assert.equal(nodeStatusChanged({ conditions: second }, { conditions: down }), true);
});

test('simulated capacity flag', () => {
  assert.deepEqual(parseSimulatedCapacity('cpu=16,memory=64Gi,pods=50'), { cpu: '16', memory: '64Gi', pods: '50' });
  assert.deepEqual(parseSimulatedCapacity(''), { cpu: '32', memory: '256Gi', pods: 110 });
  assert.throws(() => parseSimulatedCapacity('gpu=1'), /unknown capacity resource/);
});
