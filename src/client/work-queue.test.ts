import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketRateLimiter, createWorkQueue, itemExponentialFailureRateLimiter, maxOfRateLimiter, runWorkers,
} from './work-queue.js';

test('duplicates before get are handed out once', async () => {
  const q = createWorkQueue<string>();
  q.add('a');
  q.add('a');
  q.add('b');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('an item being processed is not handed out again until done', async () => {
  const q = createWorkQueue<string>();
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a');
  assert.equal(q.len(), 0, 'held back while processing');
  let second: string | undefined;
  void q.get().then((v) => (second = v));
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined);
  q.done('a');
  await new Promise((r) => setImmediate(r));
  assert.equal(second, 'a', 're-added while processing comes back after done');
  q.done('a');
  q.shutDown();
});

test('waiting getters are woken by add; shutDown resolves undefined', async () => {
  const q = createWorkQueue<string>();
  const p = q.get();
  q.add('x');
  assert.equal(await p, 'x');
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add('y');
  assert.equal(await q.get(), undefined);
});

test('addAfter delays and keeps only the earliest pending add', async () => {
  const q = createWorkQueue<string>();
  const t0 = Date.now();
  q.addAfter('a', 40);
  q.addAfter('a', 200);
  assert.equal(q.len(), 0);
  assert.equal(await q.get(), 'a');
  assert.ok(Date.now() - t0 >= 35);
  q.done('a');
  q.shutDown();
});

test('exponential per-item back-off doubles from 5 ms and caps; forget resets', () => {
  const l = itemExponentialFailureRateLimiter<string>(5, 1_000_000);
  assert.deepEqual([l.when('a'), l.when('a'), l.when('a'), l.when('b')], [5, 10, 20, 5]);
  assert.equal(l.numRequeues('a'), 3);
  for (let i = 0; i < 40; i++) l.when('a');
  assert.equal(l.when('a'), 1_000_000);
  l.forget('a');
  assert.equal(l.when('a'), 5);
});

test('bucket allows a burst, then spaces at qps', () => {
  let now = 0;
  const l = bucketRateLimiter<string>(10, 3, () => now);
  assert.deepEqual([l.when('a'), l.when('b'), l.when('c')], [0, 0, 0]);
  assert.equal(l.when('d'), 100);
  now = 1000;
  assert.equal(l.when('e'), 0);
  const m = maxOfRateLimiter(itemExponentialFailureRateLimiter<string>(5, 1000), bucketRateLimiter<string>(10, 100));
  assert.equal(m.when('z'), 5);
});

test('runWorkers forgets on success, requeues failures rate-limited', async () => {
  const q = createWorkQueue<string>({ rateLimiter: itemExponentialFailureRateLimiter(1, 10) });
  const seen: string[] = [];
  let failures = 0;
  const done = runWorkers(q, async (key) => {
    seen.push(key);
    if (key === 'bad' && failures < 2) {
      failures++;
      throw new Error('boom');
    }
    if (seen.filter((k) => k === 'bad').length === 3) q.shutDown();
  }, { workers: 2 });
  q.add('good');
  q.add('bad');
  await done;
  assert.deepEqual(seen.filter((k) => k === 'bad').length, 3);
  assert.equal(q.numRequeues('bad'), 0);
});
