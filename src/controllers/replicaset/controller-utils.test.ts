import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodObject } from './controller-utils.js';
import { isPodAvailable, podsToDelete } from './controller-utils.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');

function pod(name: string, opts: { node?: string; phase?: string; ready?: boolean; readySince?: string; created?: string; cost?: number } = {}): PodObject {
  return {
    metadata: {
      name, uid: name, creationTimestamp: opts.created ?? '2024-06-01T00:00:00Z',
      ...(opts.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(opts.cost) } } : {}),
    },
    spec: { containers: [], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False', lastTransitionTime: opts.readySince ?? '2024-06-01T00:00:00Z' }],
    },
  };
}

test('scale-down picks unscheduled, then pending, then not-ready pods first', () => {
  const pods = [
    pod('ready', { node: 'n1', ready: true }),
    pod('notready', { node: 'n1' }),
    pod('pending', { node: 'n1', phase: 'Pending' }),
    pod('unscheduled', { phase: 'Pending' }),
  ];
  assert.deepEqual(podsToDelete(pods, pods, 3, NOW).map((p) => p.metadata.name), ['unscheduled', 'pending', 'notready']);
});

test('scale-down prefers lower deletion cost, crowded nodes, then newer readiness', () => {
  const a = pod('a', { node: 'n1', ready: true, cost: 10 });
  const b = pod('b', { node: 'n1', ready: true });
  assert.equal(podsToDelete([a, b], [a, b], 1, NOW)[0]?.metadata.name, 'b');
  const lone = pod('lone', { node: 'n2', ready: true });
  const crowd = [pod('c1', { node: 'n1', ready: true }), pod('c2', { node: 'n1', ready: true })];
  assert.equal(podsToDelete([lone, crowd[0]!], [lone, ...crowd], 1, NOW)[0]?.metadata.name, 'c1');
  const oldReady = pod('old', { node: 'n1', ready: true, readySince: '2024-05-01T00:00:00Z' });
  const newReady = pod('new', { node: 'n2', ready: true, readySince: '2024-06-01T11:59:59Z' });
  assert.equal(podsToDelete([oldReady, newReady], [], 1, NOW)[0]?.metadata.name, 'new');
});

test('availability waits minReadySeconds after readiness', () => {
  const p = pod('p', { ready: true, readySince: '2024-06-01T11:59:58Z' });
  assert.equal(isPodAvailable(p, 0, NOW), true);
  assert.equal(isPodAvailable(p, 5, NOW), false);
  assert.equal(isPodAvailable(p, 2, NOW), true);
});
