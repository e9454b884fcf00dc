import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectMeta } from '../../apimachinery/object.js';
import type { GraphNode } from './graph.js';
import { Graph, blockingDependents } from './graph.js';

const CM = { group: '', version: 'v1', resource: 'configmaps' };

function harness(): { graph: Graph; deletes: string[]; orphans: string[]; absent: string[]; add(meta: ObjectMeta, type?: 'add' | 'update'): void; del(uid: string, virtual?: boolean): void } {
  const deletes: string[] = [];
  const orphans: string[] = [];
  const absent: string[] = [];
  const graph = new Graph({
    attemptToDelete: (n: GraphNode) => deletes.push(n.identity.uid),
    attemptToOrphan: (n: GraphNode) => orphans.push(n.identity.uid),
    ownerAbsent: (uid) => absent.push(uid),
  });
  const identity = (meta: ObjectMeta) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' });
  return {
    graph, deletes, orphans, absent,
    add(meta, type = 'add') {
      graph.processChange({ type, gvr: CM, identity: identity(meta), metadata: meta });
    },
    del(uid, virtual = false) {
      const n = graph.get(uid);
      assert.ok(n);
      graph.processChange({ type: 'delete', identity: n.identity, virtual, metadata: virtual ? undefined : {} });
    },
  };
}

const ref = (uid: string, block = false) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `n-${uid}`, uid, blockOwnerDeletion: block });

test('an unseen owner becomes a virtual node queued for verification; observing it adopts it', () => {
  const h = harness();
  h.add({ name: 'dep', namespace: 'ns', uid: 'd', ownerReferences: [ref('o')] });
  const owner = h.graph.get('o');
  assert.ok(owner && !owner.observed);
  assert.equal(owner.identity.namespace, 'ns');
  assert.deepEqual(h.deletes, ['o']);
  h.add({ name: 'n-o', namespace: 'ns', uid: 'o' });
  assert.equal(h.graph.get('o')?.observed, true);
  assert.equal(h.graph.get('o')?.dependents.size, 1);
});

test('deleting an owner queues its dependents; a virtual delete drops the virtual owner', () => {
  const h = harness();
  h.add({ name: 'n-o', namespace: 'ns', uid: 'o' });
  h.add({ name: 'a', namespace: 'ns', uid: 'a', ownerReferences: [ref('o')] });
  h.add({ name: 'b', namespace: 'ns', uid: 'b', ownerReferences: [ref('o'), ref('v')] });
  h.deletes.length = 0;
  h.del('o');
  assert.deepEqual(h.deletes.sort(), ['a', 'b']);
  assert.deepEqual(h.absent, ['o']);
  assert.equal(h.graph.get('o'), undefined);
  h.deletes.length = 0;
  h.del('v', true);
  assert.equal(h.graph.get('v'), undefined);
  assert.deepEqual(h.deletes, ['b']);
});

test('foreground: the owner waits for blocking dependents; orphan finalizer queues orphaning', () => {
  const h = harness();
  h.add({ name: 'n-o', namespace: 'ns', uid: 'o' });
  h.add({ name: 'a', namespace: 'ns', uid: 'a', ownerReferences: [ref('o', true)] });
  h.add({ name: 'b', namespace: 'ns', uid: 'b', ownerReferences: [ref('o')] });
  h.deletes.length = 0;
  h.add({ name: 'n-o', namespace: 'ns', uid: 'o', deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }, 'update');
  const owner = h.graph.get('o');
  assert.ok(owner?.deletingDependents);
  assert.deepEqual(h.deletes.sort(), ['a', 'b', 'o']);
  assert.deepEqual(blockingDependents(owner).map((n) => n.identity.uid), ['a']);
  // The blocking dependent drops its reference: the owner is looked at again.
  h.deletes.length = 0;
  h.add({ name: 'a', namespace: 'ns', uid: 'a', ownerReferences: [] }, 'update');
  assert.deepEqual(h.deletes, ['o']);
  assert.deepEqual(blockingDependents(owner), []);

  h.add({ name: 'x', namespace: 'ns', uid: 'x', deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['orphan'] });
  assert.deepEqual(h.orphans, ['x']);
});
