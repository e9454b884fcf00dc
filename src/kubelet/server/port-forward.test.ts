import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestedPorts } from './port-forward.js';

test('port query values: repeated or comma-separated; anything else is refused', () => {
  assert.deepEqual(requestedPorts(new URLSearchParams('')), []);
  assert.deepEqual(requestedPorts(new URLSearchParams('port=80&port=443,8080')), [80, 443, 8080]);
  assert.equal(requestedPorts(new URLSearchParams('port=http')), undefined);
  assert.equal(requestedPorts(new URLSearchParams('port=70000')), undefined);
});
