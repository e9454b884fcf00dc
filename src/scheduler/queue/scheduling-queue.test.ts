import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apimachinery/generated/types.js';
import { eventMatches, SchedulingQueue } from './scheduling-queue.js';

const pod = (name: string, priority = 0, nominatedNodeName?: string): Pod => ({
  metadata: { name, namespace: 'default', uid: name },
  spec: { containers: [], priority },
  status: { nominatedNodeName },
});

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then arrival', async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pod('low', 0));
    c.advance(1);
    q.add(pod('high', 100));
    c.advance(1);
    q.add(pod('low2', 0));
    c.advance(1);
    q.add(pod('high2', 100));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await q.pop())!.podInfo.name);
    assert.deepEqual(order, ['high', 'high2', 'low', 'low2']);
  });

  it('pop waits for a pod and returns undefined on abort', async () => {
    const q = new SchedulingQueue();
    const p = q.pop();
    q.add(pod('a'));
    assert.equal((await p)?.podInfo.name, 'a');
    const ac = new AbortController();
    const p2 = q.pop(ac.signal);
    ac.abort();
    assert.equal(await p2, undefined);
  });

  it('back-off doubles from 1 s up to 10 s', () => {
    const q = new SchedulingQueue();
    const base = { podInfo: undefined as never, timestamp: 0, attempts: 0, consecutiveErrors: 0, unschedulablePlugins: new Set<string>() };
    const cases: [number, number][] = [[1, 1000], [2, 2000], [3, 4000], [4, 8000], [5, 10000], [9, 10000]];
    for (const [n, want] of cases) assert.equal(q.backoffDuration({ ...base, unschedulableCount: n }), want, `attempt ${n}`);
  });

  it('unschedulable pods wait for an event their plugins registered, then back off', async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now, pluginEvents: new Map([['NodeResourcesFit', ['Node/Add', 'AssignedPod/Delete'] as const]]) });
    q.add(pod('p'));
    const qp = (await q.pop())!;
    qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulable(qp, q.schedulingCycle);
    assert.equal(q.stats().unschedulable, 1);
    q.moveAllToActiveOrBackoff('Node/UpdateLabel');
    assert.equal(q.stats().unschedulable, 1, 'not interested in label changes');
    q.moveAllToActiveOrBackoff('Node/Add');
    assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
    c.advance(999);
    q.flushBackoffCompleted();
    assert.equal(q.stats().backoff, 1);
    c.advance(1);
    q.flushBackoffCompleted();
    assert.equal(q.stats().active, 1);
  });

  it('a move request during the attempt sends the pod to backoff instead', async () => {
    const q = new SchedulingQueue();
    q.add(pod('p'));
    const qp = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('AssignedPod/Delete');
    q.addUnschedulable(qp, cycle);
    assert.equal(q.stats().backoff, 1);
  });

  it('unschedulable pods are flushed after 5 minutes', async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now, pluginEvents: new Map([['X', ['Node/Add'] as const]]) });
    q.add(pod('p'));
    const qp = (await q.pop())!;
    qp.unschedulablePlugins = new Set(['X']);
    q.addUnschedulable(qp, q.schedulingCycle);
    c.advance(5 * 60_000);
    q.flushUnschedulableLeftover();
    assert.equal(q.stats().unschedulable, 1);
    c.advance(1);
    q.flushUnschedulableLeftover();
    assert.equal(q.stats().active, 1);
  });

  it('an update of an unschedulable pod gives it another chance; delete removes it', async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pod('p'));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp, q.schedulingCycle);
    c.advance(2000);
    q.update(pod('p', 5));
    assert.equal(q.stats().active, 1);
    q.delete(pod('p'));
    assert.equal(q.stats().active, 0);
  });

  it('errors back off without counting as unschedulable', async () => {
    const q = new SchedulingQueue();
    q.add(pod('p'));
    const qp = (await q.pop())!;
    q.addUnschedulable(qp, q.schedulingCycle, { error: true });
    assert.equal(q.stats().backoff, 1);
  });

  it('tracks nominated pods by node', () => {
    const q = new SchedulingQueue();
    q.add(pod('p', 10, 'n1'));
    assert.deepEqual(q.nominatedPodsForNode('n1').map((p) => p.name), ['p']);
    q.update(pod('p', 10, 'n2'));
    assert.equal(q.nominatedPodsForNode('n1').length, 0);
    assert.equal(q.nominatedPodsForNode('n2').length, 1);
    q.delete(pod('p'));
    assert.equal(q.nominatedPodsForNode('n2').length, 0);
  });

  it('event matching', () => {
    const cases: [Parameters<typeof eventMatches>[0], Parameters<typeof eventMatches>[1], boolean][] = [
      ['Node/Add', 'Node/Add', true],
      ['Node/Update', 'Node/UpdateTaint', true],
      ['Node/UpdateTaint', 'Node/UpdateLabel', false],
      ['Node/*', 'Node/Delete', true],
      ['*/*', 'AssignedPod/Delete', true],
      ['AssignedPod/Delete', 'Node/Delete', false],
    ];
    for (const [r, i, want] of cases) assert.equal(eventMatches(r, i), want, `${r} vs ${i}`);
  });
});
