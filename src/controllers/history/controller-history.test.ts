import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, controllerRevisionName, equalRevision, hashRevisionData, newControllerRevision,
  nextRevisionNumber, revisionsToPrune, sortRevisions, templateFromRevision, templatePatch,
} from './controller-history.js';
import type { RevisionObject } from './controller-history.js';

const owner: KubeObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'u1' } };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

test('revision name, hash label, owner and data', () => {
  const data = templatePatch(template);
  const rev = newControllerRevision({ owner, ownerApiVersion: 'apps/v1', ownerKind: 'StatefulSet', labels: { app: 'web' }, data, revision: 1 });
  const hash = hashRevisionData(data);
  assert.equal(rev.metadata.name, `web-${hash}`);
  assert.equal(rev.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL], hash);
  assert.equal(rev.metadata.labels?.app, 'web');
  assert.equal(rev.metadata.ownerReferences?.[0]?.kind, 'StatefulSet');
  assert.equal(rev.metadata.ownerReferences?.[0]?.controller, true);
  assert.deepEqual((rev.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');
  assert.deepEqual(templateFromRevision(rev), template);
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test('hash depends on collision count and data, not key order', () => {
  const a = hashRevisionData({ a: 1, b: 2 });
  assert.equal(a, hashRevisionData({ b: 2, a: 1 }));
  assert.notEqual(a, hashRevisionData({ a: 1, b: 2 }, 1));
  assert.notEqual(a, hashRevisionData({ a: 1, b: 3 }));
});

test('long prefixes are truncated', () => {
  assert.equal(controllerRevisionName('x'.repeat(300), 'abc').length, 223 + 4);
});

test('sorting, next number, equality and pruning', () => {
  const mk = (name: string, revision: number, data: unknown): RevisionObject => ({ metadata: { name }, revision, data });
  const revs = [mk('c', 3, 3), mk('a', 1, 1), mk('b', 2, 2)];
  assert.deepEqual(sortRevisions(revs).map((r) => r.metadata.name), ['a', 'b', 'c']);
  assert.equal(nextRevisionNumber(revs), 4);
  assert.equal(nextRevisionNumber([]), 1);
  assert.ok(equalRevision(mk('x', 1, { a: 1 }), mk('y', 5, { a: 1 })));
  assert.deepEqual(revisionsToPrune(revs, new Set(['c']), 1).map((r) => r.metadata.name), ['a']);
  assert.deepEqual(revisionsToPrune(revs, new Set(['c']), 5), []);
});
