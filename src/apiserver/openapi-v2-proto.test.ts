import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOpenApiV2 } from './openapi-v2-proto.js';

test('encodes swagger, info and a definition with gnostic field numbers', () => {
  const buf = encodeOpenApiV2({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32' },
    definitions: { A: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } } },
  });
  const hex = buf.toString('hex');
  // 1: swagger "2.0"
  assert.ok(hex.startsWith('0a03' + Buffer.from('2.0').toString('hex')));
  // 2: info { 1: "Kubernetes", 2: "v1.32" }
  assert.ok(hex.includes('12' + '13' + '0a0a' + Buffer.from('Kubernetes').toString('hex') + '1205' + Buffer.from('v1.32').toString('hex')));
  // 9: definitions { 1: NamedSchema { 1: "A", 2: Schema { 19: "x", 22: TypeItem{1: "object"}, 25: Properties } } }
  const schemaA = '9a0101' + '78' + 'b201' + '08' + '0a06' + Buffer.from('object').toString('hex');
  assert.ok(hex.includes('0a0141'), hex);
  assert.ok(hex.includes(schemaA), hex);
});

test('boolean additionalProperties and $ref parameters', () => {
  const buf = encodeOpenApiV2({
    swagger: '2.0',
    definitions: { M: { type: 'object', additionalProperties: false } },
    paths: { '/p': { parameters: [{ $ref: '#/parameters/x' }] } },
  });
  const hex = buf.toString('hex');
  // 21: AdditionalPropertiesItem { 2: false }
  assert.ok(hex.includes('aa01021000'), hex);
  // PathItem 9: ParametersItem { 2: JsonReference { 1: "#/parameters/x" } }
  assert.ok(hex.includes('4a' + '12' + '12' + '10' + '0a0e' + Buffer.from('#/parameters/x').toString('hex')), hex);
});
