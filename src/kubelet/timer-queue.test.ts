import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTimerQueue } from './timer-queue.js';

test('manual queue runs timers in due order, ties in scheduling order', () => {
  const q = createTimerQueue({ manual: true, startMs: 0 });
  const seen: string[] = [];
  q.at(30, () => seen.push('c'));
  q.at(10, () => seen.push('a1'));
  q.at(10, () => seen.push('a2'));
  const h = q.at(20, () => seen.push('b'));
  h.cancel();
  h.cancel();
  assert.equal(q.size, 3);
  q.advance(15);
  assert.deepEqual(seen, ['a1', 'a2']);
  q.advance(100);
  assert.deepEqual(seen, ['a1', 'a2', 'c']);
  assert.equal(q.size, 0);
  assert.equal(q.now(), 115);
});

test('timers scheduled by callbacks run within the same advance when due', () => {
  const q = createTimerQueue({ manual: true, startMs: 0 });
  const seen: number[] = [];
  q.after(5, () => {
    seen.push(q.now());
    q.after(5, () => seen.push(q.now()));
  });
  q.advance(20);
  assert.deepEqual(seen, [5, 10]);
});

test('a throwing callback does not stop the others', () => {
  const errors: unknown[] = [];
  const q = createTimerQueue({ manual: true, startMs: 0, onError: (e) => errors.push(e) });
  let ran = false;
  q.after(1, () => { throw new Error('boom'); });
  q.after(2, () => { ran = true; });
  q.advance(5);
  assert.equal(ran, true);
  assert.equal(errors.length, 1);
});

test('real queue fires with one Node timer and re-arms for earlier deadlines', async () => {
  const q = createTimerQueue();
  const seen: string[] = [];
  const done = new Promise<void>((resolve) => {
    q.after(60, () => { seen.push('late'); resolve(); });
    q.after(10, () => seen.push('early'));
  });
  await done;
  assert.deepEqual(seen, ['early', 'late']);
  q.close();
});

test('many cancelled timers are compacted', () => {
  const q = createTimerQueue({ manual: true, startMs: 0 });
  const handles = [];
  for (let i = 0; i < 5000; i++) handles.push(q.at(1000 + i, () => {}));
  for (const h of handles) h.cancel();
  let ran = 0;
  q.at(10, () => ran++);
  q.advance(20_000);
  assert.equal(ran, 1);
  assert.equal(q.size, 0);
});
