import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CONTROLLERS } from './index.js';
import { selectControllers } from './select.js';

test('--controllers selects, excludes and validates names', () => {
  assert.deepEqual(selectControllers('*'), [...ALL_CONTROLLERS]);
  assert.deepEqual(selectControllers('*,-deployment').includes('deployment'), false);
  assert.equal(selectControllers('*,-deployment').length, ALL_CONTROLLERS.length - 1);
  assert.deepEqual(selectControllers('namespace,garbage-collector'), ['garbage-collector', 'namespace']);
  assert.deepEqual(selectControllers(''), []);
  assert.throws(() => selectControllers('nope'), /unknown controller "nope"/);
});
