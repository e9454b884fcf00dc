import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicateFields, findUnknownFields, strictDecodingMessage, validateValueTypes } from './field-validation.js';
import { definitionForKind } from './schema.js';

const podSchema = definitionForKind('', 'v1', 'Pod');
const deploySchema = definitionForKind('apps', 'v1', 'Deployment');
const crdSchema = definitionForKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition');

const unknownCases: { name: string; obj: unknown; schema: typeof podSchema; want: string[] }[] = [
  { name: 'valid pod', schema: podSchema, obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 1 } } }] } }, want: [] },
  { name: 'unknown container field', schema: podSchema, obj: { spec: { containers: [{ name: 'c' }, { name: 'd', imagePullPolicyX: 'Always' }] } }, want: ['spec.containers[1].imagePullPolicyX'] },
  { name: 'unknown top-level and metadata fields', schema: podSchema, obj: { foo: 1, metadata: { nam: 'x' } }, want: ['foo', 'metadata.nam'] },
  { name: 'int-or-string and quantities accept anything scalar', schema: deploySchema, obj: { spec: { strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } } }, want: [] },
  { name: 'unknown under a map of structs is reported', schema: deploySchema, obj: { spec: { template: { spec: { containers: [{ name: 'x', env: [{ name: 'A', valueFromX: {} }] }] } } } }, want: ['spec.template.spec.containers[0].env[0].valueFromX'] },
  { name: 'JSON values accept anything', schema: crdSchema, obj: { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { default: { any: { thing: 1 } } } } }] } }, want: [] },
  { name: 'no schema accepts anything', schema: undefined, obj: { anything: 1 }, want: [] },
];

for (const c of unknownCases) {
  test(`findUnknownFields: ${c.name}`, () => {
    assert.deepEqual(findUnknownFields(c.obj, c.schema), c.want);
  });
}

const dupCases: { name: string; raw: string; want: string[] }[] = [
  { name: 'none', raw: '{"metadata":{"name":"a"},"spec":{}}', want: [] },
  { name: 'nested duplicate', raw: '{"metadata":{"name":"a","name":"b"}}', want: ['metadata.name'] },
  { name: 'in list items', raw: '{"spec":{"containers":[{"name":"a"},{"name":"b","image":"x","image":"y"}]}}', want: ['spec.containers[1].image'] },
  { name: 'escaped keys and strings with braces', raw: '{"a":"}{\\"","b\\u0041":1,"bA":2}', want: ['bA'] },
];

for (const c of dupCases) {
  test(`findDuplicateFields: ${c.name}`, () => {
    assert.deepEqual(findDuplicateFields(c.raw), c.want);
  });
}

test('strictDecodingMessage', () => {
  assert.equal(strictDecodingMessage(['spec.foo'], ['metadata.name']),
    'strict decoding error: unknown field "spec.foo", duplicate field "metadata.name"');
});

test('validateValueTypes', () => {
  const got = validateValueTypes({ spec: { replicas: '3', paused: 'yes', template: { spec: { containers: 'nope' } }, strategy: { rollingUpdate: { maxSurge: '1' } } } }, deploySchema);
  assert.deepEqual(got, [
    { field: 'spec.replicas', expected: 'integer', got: 'string' },
    { field: 'spec.paused', expected: 'boolean', got: 'string' },
    { field: 'spec.template.spec.containers', expected: 'array', got: 'string' },
  ]);
  assert.deepEqual(validateValueTypes({ spec: { replicas: null } }, deploySchema), []);
});
