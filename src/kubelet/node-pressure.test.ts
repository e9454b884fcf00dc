import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPressureTransition, nodePressure } from './node-pressure.js';
import { createNodeObserver } from './node-observer.js';
import { parsePidReading } from './node-readings.js';
import { conditionEventReason, nodeImages } from './node-status.js';

const GI = 1024 ** 3;
const MI = 1024 ** 2;

test('pressure conditions follow the default hard eviction thresholds', () => {
  const healthy = {
    'memory.available': { available: 2 * GI, capacity: 8 * GI },
    'nodefs.available': { available: 50 * GI, capacity: 100 * GI },
    'nodefs.inodesFree': { available: 900_000, capacity: 1_000_000 },
    'imagefs.available': { available: 50 * GI, capacity: 100 * GI },
    'pid.available': { available: 4_000_000, capacity: 4_194_304 },
  };
  assert.deepEqual(nodePressure(healthy), { memoryPressure: false, diskPressure: false, pidPressure: false });
  assert.equal(nodePressure({ ...healthy, 'memory.available': { available: 99 * MI, capacity: 8 * GI } }).memoryPressure, true);
  assert.equal(nodePressure({ ...healthy, 'memory.available': { available: 100 * MI, capacity: 8 * GI } }).memoryPressure, false);
  assert.equal(nodePressure({ ...healthy, 'nodefs.available': { available: 9 * GI, capacity: 100 * GI } }).diskPressure, true);
  assert.equal(nodePressure({ ...healthy, 'imagefs.available': { available: 14 * GI, capacity: 100 * GI } }).diskPressure, true);
  assert.equal(nodePressure({ ...healthy, 'imagefs.available': { available: 16 * GI, capacity: 100 * GI } }).diskPressure, false);
  assert.equal(nodePressure({ ...healthy, 'nodefs.inodesFree': { available: 40_000, capacity: 1_000_000 } }).diskPressure, true);
  assert.equal(nodePressure({ ...healthy, 'pid.available': { available: 1000, capacity: 32_768 } }).pidPressure, true);
  assert.deepEqual(nodePressure({}), { memoryPressure: false, diskPressure: false, pidPressure: false });
});

test('PID readings come from pid_max and /proc/loadavg', () => {
  assert.deepEqual(parsePidReading('4194304\n', '0.10 0.20 0.30 2/345 6789\n'), { available: 4_193_959, capacity: 4_194_304 });
  assert.equal(parsePidReading('', 'garbage'), undefined);
});

test('status.images: largest first, at most 50, digests before tags, five names each', () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ repoTags: [`img${i}:v`], repoDigests: [], size: i }));
  const out = nodeImages(many);
  assert.equal(out.length, 50);
  assert.equal(out[0]?.sizeBytes, 59);
  assert.equal(out[49]?.sizeBytes, 10);
  const one = nodeImages([{ repoTags: ['a:1', 'a:2', 'a:3', 'a:4', 'a:5'], repoDigests: ['a@sha256:1'], size: 7 }]);
  assert.deepEqual(one, [{ names: ['a@sha256:1', 'a:1', 'a:2', 'a:3', 'a:4'], sizeBytes: 7 }]);
  assert.equal(conditionEventReason('MemoryPressure', 'False'), 'NodeHasSufficientMemory');
  assert.equal(conditionEventReason('DiskPressure', 'True'), 'NodeHasDiskPressure');
  assert.equal(conditionEventReason('PIDPressure', 'True'), 'NodeHasInsufficientPID');
});

test('a pressure condition stays True for the transition period after it was last observed', () => {
  let t = 0;
  const hold = createPressureTransition(5 * 60_000, () => t);
  const none = { memoryPressure: false, diskPressure: false, pidPressure: false };
  assert.deepEqual(hold(none), none);
  assert.deepEqual(hold({ ...none, memoryPressure: true }), { ...none, memoryPressure: true });
  t = 60_000;
  assert.equal(hold(none).memoryPressure, true, 'cleared a minute later: still reported');
  t = 4 * 60_000;
  assert.equal(hold({ ...none, diskPressure: true }).memoryPressure, true);
  t = 5 * 60_000 - 1;
  assert.equal(hold(none).memoryPressure, true);
  t = 5 * 60_000;
  assert.deepEqual(hold(none), { ...none, diskPressure: true }, 'memory released 5 min after its last observation; disk held');
  t = 9 * 60_000;
  assert.deepEqual(hold(none), none);
});

test('the node observer reports pressure through the transition period', async () => {
  let t = 0;
  let available = 50 * MI;
  const observe = createNodeObserver({
    readings: () => ({ 'memory.available': { available, capacity: 8 * GI } }),
    pressureTransitionPeriodMs: 30_000, now: () => t,
  });
  assert.equal((await observe()).pressure?.memoryPressure, true);
  available = 2 * GI;
  t = 10_000;
  assert.equal((await observe()).pressure?.memoryPressure, true);
  t = 30_000;
  assert.equal((await observe()).pressure?.memoryPressure, false);
});
