import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmissionQueue } from './admission-queue.js';

function recorder(delayTicks = 0) {
  const handled: number[] = [];
  const q = createAdmissionQueue<number>({
    order: (a, b) => a - b,
    async handle(n) {
      for (let i = 0; i < delayTicks; i++) await Promise.resolve();
      handled.push(n);
    },
  });
  return { q, handled };
}

test('items pushed in one turn are handled in order, one at a time', async () => {
  const { q, handled } = recorder(2);
  for (const n of [3, 1, 2]) q.push(n);
  await q.drained();
  assert.deepEqual(handled, [1, 2, 3]);
});

test('an item pushed any number of microtasks after the previous drain ends is handled', async () => {
  // The drain's end and the next push can fall anywhere in the microtask sequence (a watch
  // delivers bindings from an async iterator); every offset must start a new drain.
  for (let offset = 0; offset < 12; offset++) {
    const { q, handled } = recorder(1);
    q.push(1);
    const late = (async () => {
      for (let i = 0; i < offset; i++) await Promise.resolve();
      q.push(2);
    })();
    await late;
    await q.drained();
    // Let any drain that should have started run to its end.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(handled, [1, 2], `push after ${offset} microtasks`);
  }
});

test('items pushed while a batch is handled form the next batch', async () => {
  const handled: number[] = [];
  const q = createAdmissionQueue<number>({
    order: (a, b) => a - b,
    async handle(n) {
      if (n === 5) { q.push(9); q.push(7); }
      await new Promise((resolve) => setImmediate(resolve));
      handled.push(n);
    },
  });
  q.push(6);
  q.push(5);
  await q.drained();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(handled, [5, 6, 7, 9]);
});
