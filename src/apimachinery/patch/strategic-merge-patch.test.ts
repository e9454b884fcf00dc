import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { definitionForKind } from '../schema.js';
import { StatusError } from '../errors.js';

const podSchema = definitionForKind('', 'v1', 'Pod');
const deploySchema = definitionForKind('apps', 'v1', 'Deployment');

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): Record<string, unknown> =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });

interface Case {
  name: string;
  doc: unknown;
  patch: unknown;
  want: unknown;
  schema?: 'pod' | 'deploy' | 'none';
}

const cases: Case[] = [
  {
    name: 'container image change by name keeps other containers',
    doc: pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }),
    patch: { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
    want: pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] }),
  },
  {
    name: 'env vars merged by name',
    doc: pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] }),
    patch: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] } },
    want: pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] }),
  },
  {
    name: '$patch: delete removes a container',
    doc: pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
    want: pod({ containers: [{ name: 'b' }] }),
  },
  {
    name: '$patch: replace on a list replaces it',
    doc: pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b' }] }),
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'c' }] } },
    want: pod({ containers: [{ name: 'c', image: 'c' }] }),
  },
  {
    name: '$patch: replace on a map replaces it',
    doc: pod({ nodeSelector: { a: '1', b: '2' } }),
    patch: { spec: { nodeSelector: { $patch: 'replace', c: '3' } } },
    want: pod({ nodeSelector: { c: '3' } }),
  },
  {
    name: '$patch: delete on a map empties it',
    doc: pod({ nodeSelector: { a: '1' }, hostname: 'h' }),
    patch: { spec: { nodeSelector: { $patch: 'delete' } } },
    want: pod({ nodeSelector: {}, hostname: 'h' }),
  },
  {
    name: '$setElementOrder/containers reorders and merges (kubectl apply)',
    doc: pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: 'a:2' }] } },
    want: pod({ containers: [{ name: 'b', image: 'b:1' }, { name: 'a', image: 'a:2' }] }),
  },
  {
    name: '$setElementOrder with a new item: ordered items first, server-only items after',
    doc: pod({ containers: [{ name: 'a' }, { name: 'side' }] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }], containers: [{ name: 'n', image: 'n' }] } },
    want: pod({ containers: [{ name: 'a' }, { name: 'n', image: 'n' }, { name: 'side' }] }),
  },
  {
    name: 'ports merged by containerPort',
    doc: pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] }),
    patch: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080 }] }] } },
    // upstream order: patch items keep the patch order, server-only items are interleaved by live order
    want: pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080 }, { containerPort: 443 }] }] }),
  },
  {
    name: 'volumes $retainKeys drop the old volume source',
    doc: pod({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] }),
    patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } },
    want: pod({ volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] }),
  },
  {
    name: 'deployment strategy $retainKeys switches to Recreate',
    schema: 'deploy',
    doc: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, replicas: 1 } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    want: { spec: { strategy: { type: 'Recreate' }, replicas: 1 } },
  },
  {
    name: 'new field with $retainKeys does not keep the directive',
    schema: 'deploy',
    doc: { spec: { replicas: 1 } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { replicas: 1, strategy: { type: 'Recreate' } } },
  },
  {
    name: 'tolerations (atomic) are replaced',
    doc: pod({ tolerations: [{ key: 'a', operator: 'Exists' }] }),
    patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
    want: pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
  },
  {
    name: 'finalizers are a union',
    doc: pod({}, { name: 'p', finalizers: ['a', 'b'] }),
    patch: { metadata: { finalizers: ['c', 'a'] } },
    want: pod({}, { name: 'p', finalizers: ['c', 'a', 'b'] }),
  },
  {
    name: '$deleteFromPrimitiveList removes finalizers',
    doc: pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: pod({}, { name: 'p', finalizers: ['a', 'c'] }),
  },
  {
    name: '$setElementOrder on a primitive list',
    doc: pod({}, { name: 'p', finalizers: ['a', 'b'] }),
    patch: { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } },
    want: pod({}, { name: 'p', finalizers: ['b', 'a'] }),
  },
  {
    name: 'null deletes a label; new labels added',
    doc: pod({}, { name: 'p', labels: { a: '1', b: '2' } }),
    patch: { metadata: { labels: { a: null, c: '3' } } },
    want: pod({}, { name: 'p', labels: { b: '2', c: '3' } }),
  },
  {
    name: 'nulls inside a new map are dropped',
    doc: pod({}, { name: 'p' }),
    patch: { metadata: { labels: { a: null, c: '3' } } },
    want: pod({}, { name: 'p', labels: { c: '3' } }),
  },
  {
    name: 'no schema: maps merge and lists replace',
    schema: 'none',
    doc: { spec: { a: [1, 2], m: { x: 1, y: 2 } } },
    patch: { spec: { a: [3], m: { y: null, z: 3 } } },
    want: { spec: { a: [3], m: { x: 1, z: 3 } } },
  },
  {
    name: 'kubectl apply 3-way patch for a deployment',
    schema: 'deploy',
    doc: {
      spec: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }, { name: 'log', image: 'busybox' }] } },
      },
    },
    patch: {
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }, { name: 'log' }],
            containers: [{ name: 'web', image: 'nginx:2', '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }], env: [{ name: 'B', value: '2' }] }],
          },
        },
      },
    },
    want: {
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [
              { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
              { name: 'log', image: 'busybox' },
            ],
          },
        },
      },
    },
  },
];

for (const c of cases) {
  test(`strategic merge patch: ${c.name}`, () => {
    const schema = c.schema === 'none' ? undefined : c.schema === 'deploy' ? deploySchema : podSchema;
    const docBefore = structuredClone(c.doc);
    const patchBefore = structuredClone(c.patch);
    assert.deepEqual(applyStrategicMergePatch(c.doc, c.patch, schema), c.want);
    assert.deepEqual(c.doc, docBefore, 'doc not mutated');
    assert.deepEqual(c.patch, patchBefore, 'patch not mutated');
  });
}

const errorCases: { name: string; patch: unknown; code: number; message?: RegExp }[] = [
  { name: 'patch not an object', patch: [1], code: 400 },
  { name: 'bad $retainKeys', patch: { spec: { volumes: [{ name: 'v', $retainKeys: 'x' }] } }, code: 400, message: /retainKeys/ },
  { name: 'patch key outside $retainKeys', patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['name'], emptyDir: {} }] } }, code: 400 },
  { name: 'missing merge key', patch: { spec: { containers: [{ image: 'x' }] } }, code: 500, message: /does not contain declared merge key: name/ },
  { name: 'bad $patch value', patch: { spec: { nodeSelector: { $patch: 'frob' } } }, code: 500, message: /unknown patch type: frob/ },
  { name: 'list of lists', patch: { spec: { ephemeralContainers: [[1]] } }, code: 422 },
  { name: 'mixed element types', patch: { spec: { containers: [[1]] } }, code: 500, message: /not identical/ },
];

for (const c of errorCases) {
  test(`strategic merge patch error: ${c.name}`, () => {
    const doc = pod({ containers: [{ name: 'a' }], volumes: [{ name: 'v', emptyDir: {} }], nodeSelector: { a: 'b' } });
    assert.throws(() => applyStrategicMergePatch(doc, c.patch, podSchema), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, c.code);
      if (c.message) assert.match(e.message, c.message);
      return true;
    });
  });
}
