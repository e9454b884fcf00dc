import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStartupTrace } from './startup-trace.js';

test('startup steps are logged once per pod at debug level, first stamps kept, relative to the first', () => {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const logger = { error() {}, info() {}, debug: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) };
  let t = 1000;
  const trace = createStartupTrace(logger, () => t);
  trace.mark('u1', 'seen');
  t = 1010;
  trace.mark('u1', 'sandbox');
  t = 1020;
  trace.mark('u1', 'sandbox');
  trace.mark('u2', 'seen');
  trace.finish('u1', 'default/a');
  trace.finish('u1', 'default/a');
  assert.deepEqual(lines, [{ fields: { pod: 'default/a', steps: { seen: 0, sandbox: 10 } }, msg: 'pod startup steps' }]);
  assert.equal(trace.size, 1);
  trace.forget('u2');
  trace.finish('u2', 'default/b');
  assert.equal(trace.size, 0);
  assert.equal(lines.length, 1);
});
