import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, UNPROCESSABLE_MESSAGE } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { StatusError } from '../errors.js';

const doc = { metadata: { name: 'x', labels: { a: '1' } }, spec: { list: [1, 2, 3] } };

const okCases: { name: string; patch: unknown; want: unknown }[] = [
  { name: 'add key', patch: [{ op: 'add', path: '/metadata/labels/b', value: '2' }], want: { ...doc, metadata: { name: 'x', labels: { a: '1', b: '2' } } } },
  { name: 'add to array end', patch: [{ op: 'add', path: '/spec/list/-', value: 4 }], want: { ...doc, spec: { list: [1, 2, 3, 4] } } },
  { name: 'insert in array', patch: [{ op: 'add', path: '/spec/list/0', value: 0 }], want: { ...doc, spec: { list: [0, 1, 2, 3] } } },
  { name: 'remove', patch: [{ op: 'remove', path: '/spec/list/1' }], want: { ...doc, spec: { list: [1, 3] } } },
  { name: 'replace', patch: [{ op: 'replace', path: '/metadata/name', value: 'y' }], want: { ...doc, metadata: { name: 'y', labels: { a: '1' } } } },
  { name: 'move', patch: [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z' }], want: { ...doc, metadata: { name: 'x', labels: { z: '1' } } } },
  { name: 'copy', patch: [{ op: 'copy', from: '/metadata/name', path: '/metadata/labels/n' }], want: { ...doc, metadata: { name: 'x', labels: { a: '1', n: 'x' } } } },
  { name: 'test passes', patch: [{ op: 'test', path: '/spec/list', value: [1, 2, 3] }], want: doc },
  { name: 'escaped pointer', patch: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'w' }], want: { ...doc, metadata: { name: 'x', labels: { a: '1', 'app.kubernetes.io/name': 'w' } } } },
];

for (const c of okCases) {
  test(`json patch: ${c.name}`, () => {
    const before = structuredClone(doc);
    assert.deepEqual(applyJsonPatch(doc, c.patch), c.want);
    assert.deepEqual(doc, before);
  });
}

const errCases: { name: string; patch: unknown; code: number }[] = [
  { name: 'not an array', patch: { op: 'add' }, code: 400 },
  { name: 'element not an object', patch: [1], code: 400 },
  { name: 'test fails', patch: [{ op: 'test', path: '/metadata/name', value: 'nope' }], code: 422 },
  { name: 'remove missing', patch: [{ op: 'remove', path: '/metadata/nope' }], code: 422 },
  { name: 'add under missing parent', patch: [{ op: 'add', path: '/a/b/c', value: 1 }], code: 422 },
  { name: 'unknown op', patch: [{ op: 'frob', path: '/a' }], code: 422 },
  { name: 'index out of range', patch: [{ op: 'replace', path: '/spec/list/9', value: 1 }], code: 422 },
];

for (const c of errCases) {
  test(`json patch error: ${c.name}`, () => {
    assert.throws(() => applyJsonPatch(doc, c.patch), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, c.code);
      if (c.code === 422) {
        assert.equal(e.reason, 'Invalid');
        assert.equal(e.message, UNPROCESSABLE_MESSAGE);
      }
      return true;
    });
  });
}

const mergeCases: { name: string; doc: unknown; patch: unknown; want: unknown }[] = [
  { name: 'null deletes', doc: { a: 1, b: 2 }, patch: { a: null }, want: { b: 2 } },
  { name: 'nested merge', doc: { m: { x: 1 } }, patch: { m: { y: 2 } }, want: { m: { x: 1, y: 2 } } },
  { name: 'arrays replaced', doc: { l: [1, 2] }, patch: { l: [3] }, want: { l: [3] } },
  { name: 'object replaces scalar', doc: { a: 1 }, patch: { a: { b: null, c: 1 } }, want: { a: { c: 1 } } },
];

for (const c of mergeCases) {
  test(`merge patch: ${c.name}`, () => {
    const before = structuredClone(c.doc);
    assert.deepEqual(applyMergePatch(c.doc, c.patch), c.want);
    assert.deepEqual(c.doc, before);
  });
}

test('merge patch: non-object patch is a 400', () => {
  assert.throws(() => applyMergePatch({}, [1]), (e: unknown) => e instanceof StatusError && e.code === 400);
});
