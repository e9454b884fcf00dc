import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../apimachinery/object.js';
import { tableFor } from './index.js';
import { buildTable, defaultTable } from './table.js';

const now = new Date('2024-05-01T12:00:00Z');
const kind = { apiVersion: 'v1', kind: 'Pod' };

function pod(name: string, phase: string): KubeObject {
  return {
    metadata: { name, namespace: 'default', resourceVersion: '7', creationTimestamp: '2024-05-01T11:59:00Z', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase },
  };
}

describe('buildTable', () => {
  const pods = tableFor('', 'pods')!;

  it('builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows', () => {
    const t = buildTable(pods, [pod('a', 'Pending'), pod('b', 'Succeeded')], {
      now,
      includeObject: 'Metadata',
      listMeta: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 },
      kindForMetadata: kind,
    });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
    assert.equal(t.columnDefinitions?.length, 9);
    assert.deepEqual(Object.keys(t.columnDefinitions![0]!), ['name', 'type', 'format', 'description', 'priority']);
    assert.equal(t.rows.length, 2);
    assert.deepEqual(t.rows[0]!.cells, ['a', '0/1', 'Pending', '0', '60s', '<none>', '<none>', '<none>', '<none>']);
    assert.deepEqual(t.rows[0]!.object, {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: pod('a', 'Pending').metadata,
    });
    assert.equal(t.rows[0]!.conditions, undefined);
    assert.equal(t.rows[1]!.conditions?.[0]?.type, 'Completed');
    assert.deepEqual(Object.keys(t), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  });

  it('includes full objects or nothing', () => {
    const full = buildTable(pods, [pod('a', 'Running')], { now, includeObject: 'Object', kindForMetadata: kind });
    const o = full.rows[0]!.object!;
    assert.equal(o.kind, 'Pod');
    assert.equal(o.apiVersion, 'v1');
    assert.deepEqual(o.spec, pod('a', 'Running').spec);
    assert.deepEqual(full.metadata, {});
    const none = buildTable(pods, [pod('a', 'Running')], { now, includeObject: 'None', kindForMetadata: kind });
    assert.equal(none.rows[0]!.object, null);
  });

  it('does not share or mutate the source objects', () => {
    const p = pod('a', 'Running');
    const t = buildTable(pods, [p], { now, includeObject: 'Metadata', kindForMetadata: kind });
    const meta = (t.rows[0]!.object as { metadata: { labels: Record<string, string> } }).metadata;
    meta.labels.a = 'changed';
    assert.equal(p.metadata.labels?.a, 'b');
  });

  it('omits column definitions for noHeaders', () => {
    const t = buildTable(pods, [], { now, includeObject: 'Metadata', kindForMetadata: kind, noHeaders: true });
    assert.equal(t.columnDefinitions, null);
    assert.deepEqual(t.rows, []);
  });

  it('orders flowschemas by matching precedence', () => {
    const fs = (name: string, p: number): KubeObject => ({ metadata: { name }, spec: { matchingPrecedence: p, priorityLevelConfiguration: { name: 'x' } } });
    const t = buildTable(tableFor('flowcontrol.apiserver.k8s.io', 'flowschemas')!, [fs('b', 1000), fs('z', 1), fs('a', 1000)], {
      now,
      includeObject: 'None',
      kindForMetadata: { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema' },
    });
    assert.deepEqual(t.rows.map((r) => r.cells[0]), ['z', 'a', 'b']);
  });
});

describe('defaultTable', () => {
  it('prints name and RFC 3339 creation time (Go zero time when unset)', () => {
    const t = defaultTable();
    assert.deepEqual(t.cells({ metadata: { name: 'r', creationTimestamp: '2024-05-01T11:58:00Z' } }, now), ['r', '2024-05-01T11:58:00Z']);
    assert.deepEqual(t.cells({ metadata: { name: 'r' } }, now), ['r', '0001-01-01T00:00:00Z']);
  });
});
