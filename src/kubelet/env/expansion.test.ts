import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, expandCommandAndArgs, mappingFor } from './expansion.js';

const m = mappingFor(new Map([['A', 'a'], ['EMPTY', ''], ['B', 'b']]), new Map([['SVC', 's'], ['A', 'shadowed']]));

test('expands known references, keeps unknown ones', () => {
  assert.equal(expand('$(A)-$(B)', m), 'a-b');
  assert.equal(expand('x$(EMPTY)y', m), 'xy');
  assert.equal(expand('$(SVC)', m), 's');
  assert.equal(expand('$(NOPE) and $(A)', m), '$(NOPE) and a');
});

test('escaping and odd dollars', () => {
  assert.equal(expand('$$(A)', m), '$(A)');
  assert.equal(expand('$$$(A)', m), '$a');
  assert.equal(expand('$$', m), '$');
  assert.equal(expand('cost $5', m), 'cost $5');
  assert.equal(expand('trailing $', m), 'trailing $');
  assert.equal(expand('$(A', m), '$(A');
  assert.equal(expand('$()', m), '$()');
  assert.equal(expand('$(A)$(A)', m), 'aa');
  assert.equal(expand('no refs', m), 'no refs');
});

test('command and args use the final environment', () => {
  const r = expandCommandAndArgs(['sh', '-c', 'echo $(MSG)'], ['$(X)', '$$(MSG)'], [{ name: 'MSG', value: 'hi' }]);
  assert.deepEqual(r, { command: ['sh', '-c', 'echo hi'], args: ['$(X)', '$(MSG)'] });
});
