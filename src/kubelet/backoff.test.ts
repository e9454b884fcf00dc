import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoff } from './backoff.js';

test('first failure restarts at once, later ones wait 10s doubling to 300s', () => {
  let t = 0;
  const b = createBackoff({ now: () => t });
  const key = 'p_ns_uid_c';
  // Container exits at t=0: no entry yet, so no back-off; the restart arms 10s.
  assert.equal(b.isInBackOffSince(key, 0), false);
  b.next(key, 0);
  assert.equal(b.get(key), 10_000);
  const seen: number[] = [];
  let finished = 1000;
  for (let i = 0; i < 8; i++) {
    t = finished;
    assert.equal(b.isInBackOffSince(key, finished), true);
    t = b.until(key, finished) - 1;
    assert.equal(b.isInBackOffSince(key, finished), true);
    t = b.until(key, finished);
    assert.equal(b.isInBackOffSince(key, finished), false);
    b.next(key, finished);
    seen.push(b.get(key));
    finished = t + 1000;
  }
  assert.deepEqual(seen, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
});

test('a long quiet period resets the back-off', () => {
  let t = 0;
  const b = createBackoff({ now: () => t, initialMs: 100, maxMs: 1000 });
  b.next('k', 0);
  b.next('k', 0);
  assert.equal(b.get('k'), 200);
  t = 5000;
  assert.equal(b.isInBackOffSince('k', 4990), false);
  b.next('k', 5000);
  assert.equal(b.get('k'), 100);
  t = 10_000;
  b.gc();
  assert.equal(b.size, 0);
});
