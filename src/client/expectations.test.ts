import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExpectations } from './expectations.js';

test('no record is satisfied; raised expectations wait for observations', () => {
  const e = createExpectations();
  assert.equal(e.satisfiedExpectations('ns/rs'), true);
  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfiedExpectations('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfiedExpectations('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfiedExpectations('ns/rs'), true);
});

test('deletions, lowering on failure, raise', () => {
  const e = createExpectations();
  e.expectDeletions('k', 3);
  e.deletionObserved('k');
  e.lowerExpectations('k', 0, 1);
  assert.equal(e.satisfiedExpectations('k'), false);
  e.raiseExpectations('k', 1, 0);
  assert.deepEqual({ ...e.getExpectations('k'), timestamp: 0 }, { add: 1, del: 1, timestamp: 0 });
  e.lowerExpectations('k', 1, 1);
  assert.equal(e.satisfiedExpectations('k'), true);
  e.deleteExpectations('k');
  assert.equal(e.getExpectations('k'), undefined);
});

test('expectations expire after the TTL', () => {
  let now = 1000;
  const e = createExpectations({ ttlMs: 5 * 60 * 1000, now: () => now });
  e.expectCreations('k', 1);
  now += 5 * 60 * 1000;
  assert.equal(e.satisfiedExpectations('k'), false);
  now += 1;
  assert.equal(e.satisfiedExpectations('k'), true);
});
