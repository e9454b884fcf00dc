import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Taint, Toleration } from '../../apimachinery/generated/types.js';
import { desiredTaints, evictionDecision, toleratesTaint } from './taints.js';

const NOW = '2026-01-01T00:00:00Z';

function node(ready: string | undefined, taints?: Taint[], extra: { unschedulable?: boolean; memoryPressure?: boolean } = {}): Node {
  const conditions = [];
  if (ready) conditions.push({ type: 'Ready', status: ready });
  if (extra.memoryPressure) conditions.push({ type: 'MemoryPressure', status: 'True' });
  return { metadata: { name: 'n' }, spec: { taints, unschedulable: extra.unschedulable }, status: { conditions } };
}

const unreachableNE: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: NOW };
const unreachableNS: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' };
const notReadyNE: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: NOW };
const notReadyNS: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
const custom: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('desiredTaints', () => {
  const cases: { name: string; node: Node; allow?: boolean; remove?: boolean; want: Taint[] }[] = [
    { name: 'Ready: nothing', node: node('True', [custom]), want: [custom] },
    { name: 'Unknown: unreachable NoSchedule + NoExecute', node: node('Unknown'), want: [unreachableNS, unreachableNE] },
    { name: 'False: not-ready NoSchedule + NoExecute', node: node('False', [custom]), want: [custom, notReadyNS, notReadyNE] },
    { name: 'Ready again: both removed, others kept', node: node('True', [custom, unreachableNS, unreachableNE]), want: [custom] },
    { name: 'Unknown -> False swaps', node: node('False', [unreachableNS, unreachableNE]), want: [notReadyNS, notReadyNE] },
    { name: 'disrupted zone: no new NoExecute', node: node('Unknown'), allow: false, want: [unreachableNS] },
    { name: 'disrupted zone: swap still allowed', node: node('False', [unreachableNE]), allow: false, want: [notReadyNS, notReadyNE] },
    { name: 'all zones disrupted: NoExecute removed', node: node('Unknown', [unreachableNS, unreachableNE]), remove: true, want: [unreachableNS] },
    { name: 'cordoned and memory pressure', node: node('True', [], { unschedulable: true, memoryPressure: true }),
      want: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
    { name: 'no Ready condition yet: nothing', node: node(undefined), want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(desiredTaints(c.node, { now: NOW, allowNoExecute: c.allow ?? true, removeNoExecute: c.remove }), c.want);
    });
  }
  it('returns the same array when nothing changes', () => {
    const n = node('Unknown', [unreachableNS, unreachableNE]);
    assert.equal(desiredTaints(n, { now: NOW, allowNoExecute: true }), n.spec!.taints);
  });
});

describe('evictionDecision', () => {
  const tol = (key: string | undefined, seconds?: number, extra: Partial<Toleration> = {}): Toleration =>
    ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds, ...extra });
  it('no NoExecute taint: nothing', () => assert.deepEqual(evictionDecision([unreachableNS], []), { action: 'none' }));
  it('untolerated: now', () => assert.deepEqual(evictionDecision([unreachableNE], [tol('node.kubernetes.io/not-ready', 300)]), { action: 'now' }));
  it('tolerated for a while: the smallest tolerationSeconds', () => {
    assert.deepEqual(evictionDecision([unreachableNE], [tol('node.kubernetes.io/unreachable', 300), tol(undefined, 20)]), { action: 'after', seconds: 20 });
  });
  it('tolerated forever: nothing', () => assert.deepEqual(evictionDecision([unreachableNE], [tol('node.kubernetes.io/unreachable')]), { action: 'none' }));
  it('negative seconds count as zero', () => assert.deepEqual(evictionDecision([unreachableNE], [tol(undefined, -5)]), { action: 'after', seconds: 0 }));
  it('every NoExecute taint must be tolerated', () => {
    assert.deepEqual(evictionDecision([unreachableNE, { key: 'x', effect: 'NoExecute' }], [tol('node.kubernetes.io/unreachable', 30)]), { action: 'now' });
  });
});

describe('toleratesTaint', () => {
  it('matches as upstream', () => {
    assert.equal(toleratesTaint({ operator: 'Exists' }, custom), true);
    assert.equal(toleratesTaint({ key: 'dedicated', value: 'gpu' }, custom), true);
    assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'cpu' }, custom), false);
    assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, custom), false);
    assert.equal(toleratesTaint({ value: 'gpu' }, custom), true);
  });
});
