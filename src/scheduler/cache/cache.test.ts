import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import { SchedulerCache } from './cache.js';

const node = (name: string): Node => ({ metadata: { name }, status: { allocatable: { cpu: '2', memory: '1Gi', pods: '10' } } });
const pod = (name: string, nodeName?: string): Pod => ({
  metadata: { name, namespace: 'default', uid: name },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
});

describe('SchedulerCache', () => {
  it('snapshots update only the touched nodes, keep the node order, and follow nodes coming and going', () => {
    const c = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) c.addNode(node(n));
    const names = (): string[] => c.updateSnapshot().nodes().map((ni) => ni.name);
    assert.deepEqual(names(), ['a', 'b', 'c']);
    const before = c.updateSnapshot().get('a');
    c.assumePod(pod('p'), 'b');
    const snap = c.updateSnapshot();
    assert.equal(snap.get('b')!.requested.milliCPU, 1000);
    assert.equal(snap.nodes()[1], snap.get('b'));
    assert.equal(snap.get('a'), before, 'untouched node info is reused');
    c.removeNode(node('a'));
    assert.deepEqual(names(), ['b', 'c']);
    c.addNode(node('d'));
    assert.deepEqual(names(), ['b', 'c', 'd']);
    c.addPod(pod('q', 'd'));
    c.removePod(pod('q', 'd'));
    assert.equal(c.updateSnapshot().get('d')!.pods.length, 0);
  });

  it('assumed pods count on their node until forgotten', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.assumePod(pod('p'), 'a');
    assert.equal(c.updateSnapshot().get('a')!.requested.milliCPU, 1000);
    assert.ok(c.isAssumed(pod('p')));
    c.forgetPod(pod('p'));
    assert.equal(c.updateSnapshot().get('a')!.requested.milliCPU, 0);
  });

  it('the informer confirms an assumed pod without double counting', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.assumePod(pod('p'), 'a');
    c.finishBinding(pod('p'));
    c.addPod(pod('p', 'a'));
    assert.ok(!c.isAssumed(pod('p')));
    assert.equal(c.updateSnapshot().get('a')!.pods.length, 1);
    c.removePod(pod('p', 'a'));
    assert.equal(c.updateSnapshot().get('a')!.pods.length, 0);
  });

  it('assumed pods expire after the ttl once binding finished', () => {
    let t = 0;
    const c = new SchedulerCache({ ttlMs: 1000, now: () => t });
    c.addNode(node('a'));
    c.assumePod(pod('p'), 'a');
    t = 5000;
    assert.deepEqual(c.cleanupExpiredAssumedPods(), [], 'binding not finished: kept');
    c.finishBinding(pod('p'));
    t += 999;
    assert.deepEqual(c.cleanupExpiredAssumedPods(), []);
    t += 1;
    assert.deepEqual(c.cleanupExpiredAssumedPods(), ['p']);
    assert.equal(c.updateSnapshot().get('a')!.pods.length, 0);
  });

  it('snapshots copy only changed nodes and skip pods on unknown nodes', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.addNode(node('b'));
    const s1 = c.updateSnapshot();
    const a1 = s1.get('a');
    const b1 = s1.get('b');
    c.addPod(pod('p', 'b'));
    c.addPod(pod('q', 'ghost'));
    const s2 = c.updateSnapshot();
    assert.equal(s2.get('a'), a1);
    assert.notEqual(s2.get('b'), b1);
    assert.equal(s2.size, 2);
    c.addNode(node('ghost'));
    assert.equal(c.updateSnapshot().get('ghost')!.pods.length, 1);
    c.removeNode(node('a'));
    assert.equal(c.updateSnapshot().get('a'), undefined);
    assert.equal(c.nodeCount, 2);
  });
});
