import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldSetOf, serverSideApply, updateManagedFields } from './managed-fields.js';
import { FieldSet, fromFieldsV1, pathString, toFieldsV1 } from './field-set.js';
import { definitionForKind } from '../schema.js';
import { StatusError } from '../errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../object.js';

const deploySchema = definitionForKind('apps', 'v1', 'Deployment');
const cmSchema = definitionForKind('', 'v1', 'ConfigMap');
const T0 = '2024-01-01T00:00:00.123Z';
const T1 = '2024-01-01T00:01:00Z';

function deployment(spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns', ...(labels ? { labels } : {}) }, spec };
}

const podSpec = (containers: Record<string, unknown>[]): Record<string, unknown> => ({
  selector: { matchLabels: { app: 'd' } },
  template: { metadata: { labels: { app: 'd' } }, spec: { containers } },
});

function apply(live: KubeObject | undefined, applied: KubeObject, manager: string, force = false, now = T0): KubeObject {
  return serverSideApply({ live, applied, manager, force, schema: deploySchema, apiVersion: 'apps/v1', now });
}

function entry(obj: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return obj.metadata.managedFields?.find((e) => e.manager === manager);
}

test('fieldSetOf and FieldsV1 round trip', () => {
  const d = deployment({ replicas: 2, ...podSpec([{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }]) }, { app: 'd' });
  const set = fieldSetOf(d, deploySchema);
  const v1 = toFieldsV1(set);
  assert.deepEqual((v1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
  assert.deepEqual((v1['f:spec'] as Record<string, unknown>)['f:selector'], {}, 'LabelSelector is an atomic map');
  const containers = ((((v1['f:spec'] as Record<string, Record<string, unknown>>)['f:template']['f:spec']) as Record<string, Record<string, unknown>>)['f:containers']);
  assert.deepEqual(containers['k:{"name":"web"}'], {
    '.': {}, 'f:image': {}, 'f:name': {},
    'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
  });
  assert.deepEqual(toFieldsV1(fromFieldsV1(v1)), v1);
  assert.ok(set.has(['f:spec', 'f:replicas']));
  assert.equal(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']),
    '.spec.template.spec.containers[name="web"].image');
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
});

test('set operations', () => {
  const a = new FieldSet().insert(['f:a']).insert(['f:b', 'f:c']);
  const b = new FieldSet().insert(['f:b', 'f:c']).insert(['f:d']);
  assert.deepEqual(a.union(b).paths(), [['f:a'], ['f:b', 'f:c'], ['f:d']]);
  assert.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
  assert.deepEqual(a.difference(b).paths(), [['f:a']]);
  assert.ok(a.difference(a).isEmpty());
});

test('apply creates with one Apply entry, time rounded', () => {
  const obj = apply(undefined, deployment({ replicas: 1, ...podSpec([{ name: 'web', image: 'nginx' }]) }, { app: 'd' }), 'mgr');
  assert.equal(obj.spec && (obj.spec as Record<string, unknown>).replicas, 1);
  assert.equal(obj.metadata.managedFields?.length, 1);
  const e = entry(obj, 'mgr');
  assert.deepEqual({ ...e, fieldsV1: undefined }, { manager: 'mgr', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: undefined });
  const f = e?.fieldsV1 as Record<string, Record<string, unknown>>;
  assert.deepEqual(f['f:metadata'], { 'f:labels': { 'f:app': {} } }, 'name/namespace are not owned');
});

test('re-apply without a field removes it; fields owned by others stay', () => {
  let obj = apply(undefined, deployment({ replicas: 1, minReadySeconds: 5, ...podSpec([{ name: 'web', image: 'nginx' }]) }, { app: 'd', tier: 'web' }), 'mgr');
  obj = apply(obj, deployment({ replicas: 1, ...podSpec([{ name: 'web', image: 'nginx' }]) }, { app: 'd' }), 'mgr');
  const spec = obj.spec as Record<string, unknown>;
  assert.equal(spec.minReadySeconds, undefined);
  assert.deepEqual(obj.metadata.labels, { app: 'd' });
  assert.equal(obj.metadata.name, 'd');
  // another manager owns a label; dropping it from mgr's config keeps it
  obj = apply(obj, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { owner: 'x' } } }, 'other');
  obj = apply(obj, deployment({ replicas: 1, ...podSpec([{ name: 'web', image: 'nginx' }]) }), 'mgr');
  assert.deepEqual(obj.metadata.labels, { owner: 'x' });
});

test('two appliers conflict with a 409 in upstream format; force takes over', () => {
  const obj = apply(undefined, deployment({ replicas: 1, ...podSpec([{ name: 'web', image: 'nginx' }]) }), 'a');
  const second = deployment({ replicas: 3 });
  assert.throws(() => apply(obj, second, 'b'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "a": .spec.replicas');
    assert.deepEqual(e.details?.causes, [{ type: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }]);
    return true;
  });
  // same value is shared ownership, no conflict
  const shared = apply(obj, deployment({ replicas: 1 }), 'b');
  assert.ok(entry(shared, 'a') && entry(shared, 'b'));
  const forced = apply(obj, second, 'b', true);
  assert.equal((forced.spec as Record<string, unknown>).replicas, 3);
  const a = entry(forced, 'a')?.fieldsV1 as Record<string, Record<string, unknown>>;
  assert.equal(a['f:spec']['f:replicas'], undefined, 'taken from a');
  const b = entry(forced, 'b')?.fieldsV1 as Record<string, Record<string, unknown>>;
  assert.deepEqual(b['f:spec']['f:replicas'], {});
});

test('conflict with an Update manager names its apiVersion; several conflicts listed per manager', () => {
  const created = deployment({ replicas: 1, minReadySeconds: 1 });
  const mf = updateManagedFields({ live: undefined, updated: created, manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: T0, schema: deploySchema });
  const live: KubeObject = { ...created, metadata: { ...created.metadata, managedFields: mf } };
  assert.throws(() => apply(live, deployment({ replicas: 2, minReadySeconds: 2 }), 'kubectl'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.message, 'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.minReadySeconds\n- .spec.replicas');
    assert.equal(e.details?.causes?.[0].message, 'conflict with "kubectl-client-side-apply" using apps/v1');
    return true;
  });
});

test('update by another manager moves ownership', () => {
  const obj = apply(undefined, deployment({ replicas: 1, ...podSpec([{ name: 'web', image: 'nginx' }]) }), 'a');
  const updated = structuredClone(obj);
  (updated.spec as Record<string, unknown>).replicas = 5;
  const mf = updateManagedFields({ live: obj, updated, manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', now: T1, schema: deploySchema });
  const edit = mf.find((e) => e.manager === 'kubectl-edit');
  assert.deepEqual(edit?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  assert.equal(edit?.operation, 'Update');
  assert.equal(edit?.time, T1);
  const a = mf.find((e) => e.manager === 'a')?.fieldsV1 as Record<string, Record<string, unknown>>;
  assert.equal(a['f:spec']['f:replicas'], undefined);
  assert.equal(mf[0].manager, 'a', 'Apply entries sort before Update entries');
  // a no-op update adds no entry
  const noop = updateManagedFields({ live: obj, updated: structuredClone(obj), manager: 'x', operation: 'Update', apiVersion: 'apps/v1', now: T1, schema: deploySchema });
  assert.equal(noop.find((e) => e.manager === 'x'), undefined);
});

test('create through update owns all set fields, labels map gets "."', () => {
  const mf = updateManagedFields({ live: undefined, updated: deployment({ replicas: 1 }, { app: 'd' }), manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', now: T0, schema: deploySchema });
  assert.deepEqual(mf[0].fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } });
});

test('list-map containers merge by name across managers', () => {
  let obj = apply(undefined, deployment(podSpec([{ name: 'web', image: 'nginx:1' }])), 'a');
  obj = apply(obj, deployment(podSpec([{ name: 'sidecar', image: 'envoy' }])), 'b');
  const containers = () => ((obj.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers);
  assert.deepEqual(containers().map((c) => c.name), ['web', 'sidecar']);
  obj = apply(obj, deployment(podSpec([{ name: 'web', image: 'nginx:2' }])), 'a');
  assert.deepEqual(containers(), [{ name: 'web', image: 'nginx:2' }, { name: 'sidecar', image: 'envoy' }]);
  // b stops applying its container: removed, a's stays
  obj = apply(obj, deployment({ selector: { matchLabels: { app: 'd' } } }), 'b');
  assert.deepEqual(containers(), [{ name: 'web', image: 'nginx:2' }]);
});

test('apply to an object without managedFields records before-first-apply', () => {
  const live = deployment({ replicas: 1, minReadySeconds: 3 });
  const obj = apply(live, deployment({ replicas: 1 }), 'mgr');
  const b = entry(obj, 'before-first-apply');
  assert.equal(b?.operation, 'Update');
  assert.equal((obj.spec as Record<string, unknown>).minReadySeconds, 3);
});

test('unknown field in an apply configuration is rejected', () => {
  assert.throws(() => apply(undefined, deployment({ replicaz: 1 }), 'mgr'), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 500);
    assert.equal(e.message, 'failed to create typed patch object (apps/v1, Kind=Deployment): .spec.replicaz: field not declared in schema');
    return true;
  });
});

test('managedFields in the configuration is a 400; inputs are not mutated', () => {
  const cfg: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [] } };
  assert.throws(() => serverSideApply({ live: undefined, applied: cfg, manager: 'm', force: false, schema: cmSchema, apiVersion: 'v1', now: T0 }),
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'metadata.managedFields must be nil');
  const live = serverSideApply({ live: undefined, applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }, manager: 'm', force: false, schema: cmSchema, apiVersion: 'v1', now: T0 });
  const before = structuredClone(live);
  const next = serverSideApply({ live, applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { b: '2' } }, manager: 'm', force: false, schema: cmSchema, apiVersion: 'v1', now: T1 });
  assert.deepEqual(live, before);
  assert.deepEqual(next.data, { b: '2' });
  assert.equal(entry(next, 'm')?.time, T1);
});

test('status is not owned through the main resource', () => {
  const obj = apply(undefined, { ...deployment({ replicas: 1 }), status: { replicas: 1 } }, 'mgr');
  const f = entry(obj, 'mgr')?.fieldsV1 as Record<string, unknown>;
  assert.equal(f['f:status'], undefined);
});
