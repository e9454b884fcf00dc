import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apimachinery/generated/types.js';
import { PodInfo } from '../framework/pod-info.js';
import { Snapshot } from '../framework/snapshot.js';
import type { Candidate } from './default-preemption.js';
import { pickOneNodeForPreemption } from './default-preemption.js';
import { defaultProfile } from './registry.js';
import { makeFramework, makeNode, makePod } from './testing.js';

function setup(nodes: ReturnType<typeof makeNode>[], existing: Pod[]) {
  const deleted: string[] = [];
  const fw = makeFramework(defaultProfile(), {
    api: { bindPod: async () => {}, deletePod: async (v: Pod) => void deleted.push(v.metadata!.name!) },
    random: () => 0,
  });
  return { fw, deleted, snap: Snapshot.fromObjects(nodes, existing) };
}

describe('DefaultPreemption through the default profile', () => {
  it('no lower-priority pods: the upstream message', async () => {
    const { fw, snap } = setup(
      [makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })],
      [makePod('x', { nodeName: 'a', cpu: '800m' }), makePod('y', { nodeName: 'b', cpu: '800m' })],
    );
    const out = await fw.runSchedulingCycle(makePod('p', { cpu: '500m' }), snap);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    assert.equal(
      out.fitError.message,
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
    assert.equal(out.nominatedNodeName, '');
  });

  it('evicts the fewest, least important victims and nominates the node', async () => {
    const { fw, snap, deleted } = setup(
      [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' })],
      [
        makePod('old-low', { nodeName: 'a', cpu: '1', priority: 0, startTime: '2024-01-01T00:00:00Z' }),
        makePod('new-low', { nodeName: 'a', cpu: '1', priority: 0, startTime: '2024-01-02T00:00:00Z' }),
        makePod('mid', { nodeName: 'b', cpu: '2', priority: 5 }),
      ],
    );
    const out = await fw.runSchedulingCycle(makePod('p', { cpu: '1', priority: 10 }), snap);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind !== 'unschedulable') return;
    assert.equal(out.nominatedNodeName, 'a');
    assert.deepEqual(deleted, ['new-low']);
    assert.equal(out.fitError.message, '0/2 nodes are available: 2 Insufficient cpu.');
  });

  it('a victim that does not free enough is not a candidate', async () => {
    const { fw, snap } = setup([makeNode('a', { cpu: '2' })], [makePod('big', { nodeName: 'a', cpu: '1', priority: 100 }), makePod('low', { nodeName: 'a', cpu: '500m' })]);
    const out = await fw.runSchedulingCycle(makePod('p', { cpu: '1500m', priority: 10 }), snap);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind === 'unschedulable') assert.equal(out.fitError.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('preemptionPolicy Never is not eligible', async () => {
    const { fw, snap, deleted } = setup([makeNode('a', { cpu: '1' })], [makePod('low', { nodeName: 'a', cpu: '1' })]);
    const out = await fw.runSchedulingCycle(makePod('p', { cpu: '1', priority: 10, preemptionPolicy: 'Never' }), snap);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind === 'unschedulable') assert.equal(out.fitError.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    assert.deepEqual(deleted, []);
  });

  it('a terminating lower-priority pod on the nominated node: wait instead of preempting again', async () => {
    const { fw, snap, deleted } = setup([makeNode('a', { cpu: '1' })], [makePod('going', { nodeName: 'a', cpu: '1', deleting: true })]);
    const out = await fw.runSchedulingCycle(makePod('p', { cpu: '1', priority: 10, nominatedNodeName: 'a' }), snap);
    assert.equal(out.kind, 'unschedulable');
    if (out.kind === 'unschedulable') assert.match(out.fitError.message, /preemption: not eligible due to a terminating pod on the nominated node\.$/);
    assert.deepEqual(deleted, []);
  });
});

describe('pickOneNodeForPreemption', () => {
  const v = (prio: number, start = '2024-01-01T00:00:00Z') => new PodInfo(makePod(`v${prio}`, { priority: prio, startTime: start }));
  const cand = (nodeName: string, victims: PodInfo[], numPDBViolations = 0): Candidate => ({ nodeName, victims, numPDBViolations });
  const cases: { name: string; candidates: Candidate[]; want: string }[] = [
    { name: 'fewest PDB violations', candidates: [cand('a', [v(1)], 1), cand('b', [v(9)], 0)], want: 'b' },
    { name: 'lowest highest priority', candidates: [cand('a', [v(5)]), cand('b', [v(3), v(2)])], want: 'b' },
    { name: 'lowest priority sum', candidates: [cand('a', [v(5), v(4)]), cand('b', [v(5), v(1)])], want: 'b' },
    { name: 'fewer victims win (each priority is offset by 2^31 in the sum)', candidates: [cand('a', [v(5), v(1), v(1)]), cand('c', [v(5), v(3)])], want: 'c' },
    {
      name: 'latest start of the highest-priority victims',
      candidates: [cand('a', [v(5, '2024-01-01T00:00:00Z')]), cand('b', [v(5, '2024-03-01T00:00:00Z')])],
      want: 'b',
    },
    { name: 'first on a full tie', candidates: [cand('a', [v(1)]), cand('b', [v(1)])], want: 'a' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(pickOneNodeForPreemption(c.candidates)?.nodeName, c.want));
});
