import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deletionConditions, mergeConditions } from './namespace-controller.js';

test('conditions for a clean pass are the upstream all-clear set', () => {
  const c = deletionConditions({ contentErrors: [], remaining: new Map(), finalizers: new Map(), estimateSeconds: 0 });
  assert.deepEqual(c.map((x) => [x.type, x.status, x.reason]), [
    ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
    ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
    ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
    ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
    ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers'],
  ]);
});

test('remaining content and finalizers are listed sorted', () => {
  const c = deletionConditions({
    contentErrors: [], estimateSeconds: 0,
    remaining: new Map([['secrets.', 2], ['configmaps.', 1]]),
    finalizers: new Map([['example.com/hold', 3]]),
  });
  assert.equal(c[3]?.message, 'Some resources are remaining: configmaps. has 1 resource instances, secrets. has 2 resource instances');
  assert.equal(c[4]?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 3 resource instances');
});

test('lastTransitionTime moves only when the status changes', () => {
  const old = [{ type: 'A', status: 'True' as const, lastTransitionTime: 't0' }, { type: 'B', status: 'False' as const, lastTransitionTime: 't0' }];
  const merged = mergeConditions(old, [{ type: 'A', status: 'True' }, { type: 'B', status: 'True' }], 't1');
  assert.deepEqual(merged.map((c) => [c.type, c.lastTransitionTime]), [['A', 't0'], ['B', 't1']]);
});
