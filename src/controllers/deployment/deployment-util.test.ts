import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentObject, ReplicaSetObject } from '../replicaset/controller-utils.js';
import {
  MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, computeHash, equalIgnoreHash, findActiveOrLatest,
  maxSurge, maxUnavailable, newRSNewReplicas, proportion, resolveFenceposts, setCondition, setNewReplicaSetAnnotations,
} from './deployment-util.js';

function deployment(replicas: number, surge: number | string, unavailable: number | string): DeploymentObject {
  return {
    metadata: { name: 'd', namespace: 'ns', annotations: { 'kubernetes.io/change-cause': 'why' } },
    spec: {
      replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    },
  };
}

function rs(name: string, replicas: number, annotations: Record<string, string> = {}, created = '2024-01-01T00:00:00Z'): ReplicaSetObject {
  return { metadata: { name, annotations, creationTimestamp: created, uid: name }, spec: { replicas, selector: {} } };
}

test('fenceposts round surge up and unavailable down; both zero gives unavailable 1', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), [3, 2]);
  assert.deepEqual(resolveFenceposts('0%', '0%', 10), [0, 1]);
  assert.deepEqual(resolveFenceposts(1, 1, 10), [1, 1]);
  assert.equal(maxSurge(deployment(10, '25%', '25%')), 3);
  assert.equal(maxUnavailable(deployment(3, 0, 5)), 3);
  assert.equal(maxUnavailable(deployment(0, 1, 1)), 0);
});

test('new RS grows only within maxSurge', () => {
  const d = deployment(10, 3, 2);
  const old = rs('old', 10);
  const fresh = rs('new', 0);
  assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 3);
  const grown = rs('new', 3);
  assert.equal(newRSNewReplicas(d, [rs('old', 8), grown], grown), 5);
  assert.equal(newRSNewReplicas(d, [rs('old', 10), grown], grown), 3);
});

test('hash is stable, safe-encoded and changes with the template or collision count', () => {
  const t = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  const h = computeHash(t);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(computeHash(structuredClone(t)), h);
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'y' }] } }), h);
  const withHash = { metadata: { labels: { a: 'b', 'pod-template-hash': h } }, spec: t.spec };
  assert.ok(equalIgnoreHash(withHash, t));
  // `kubectl rollout undo` sends the template back with `creationTimestamp: null`.
  const undone = JSON.parse(JSON.stringify({ ...t, metadata: { ...(t.metadata ?? {}), creationTimestamp: null } })) as typeof t;
  assert.ok(equalIgnoreHash(withHash, undone));
});

test('revision annotations: new RS gets revision and replicas; a rollback keeps history', () => {
  const d = deployment(4, 1, 1);
  const created = rs('n', 0);
  assert.ok(setNewReplicaSetAnnotations(d, created, 1, false));
  assert.equal(created.metadata.annotations?.[REVISION_ANNOTATION], '1');
  assert.equal(created.metadata.annotations?.[MAX_REPLICAS_ANNOTATION], '5');
  assert.equal(created.metadata.annotations?.['kubernetes.io/change-cause'], 'why');
  const rolledBack = rs('o', 0, { [REVISION_ANNOTATION]: '1' });
  assert.ok(setNewReplicaSetAnnotations(d, rolledBack, 3, true));
  assert.equal(rolledBack.metadata.annotations?.[REVISION_ANNOTATION], '3');
  assert.equal(rolledBack.metadata.annotations?.[REVISION_HISTORY_ANNOTATION], '1');
  assert.ok(!setNewReplicaSetAnnotations(d, rolledBack, 3, true));
});

test('proportional scaling shares by max-replicas annotation', () => {
  const d = deployment(20, 3, 2);
  const a = rs('a', 8, { [MAX_REPLICAS_ANNOTATION]: '13' });
  // 8 * 23 / 13 = 14.15 → 14, +6 (capped by what remains to add)
  assert.equal(proportion(a, d, 10, 0), 6);
  assert.equal(proportion(a, d, 10, 8), 2);
  assert.equal(proportion(rs('z', 0), d, 10, 0), 0);
});

test('findActiveOrLatest: the only active RS, the newest when none, none when several', () => {
  const older = rs('old', 0, {}, '2024-01-01T00:00:00Z');
  const newer = rs('older2', 0, {}, '2024-01-02T00:00:00Z');
  assert.equal(findActiveOrLatest(undefined, [older, newer])?.metadata.name, 'older2');
  assert.equal(findActiveOrLatest(rs('n', 2), [older])?.metadata.name, 'n');
  assert.equal(findActiveOrLatest(rs('n', 2), [rs('o', 1)]), undefined);
});

test('setCondition keeps the transition time when only the reason changes', () => {
  const status = { conditions: [{ type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't0', lastUpdateTime: 't0' }] };
  setCondition(status, { type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't1', lastUpdateTime: 't1' });
  assert.equal(status.conditions[0]?.lastTransitionTime, 't0');
  assert.equal(status.conditions[0]?.reason, 'B');
});
