import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuRateTracker, nanoCoresBetween } from './cpu-rate.js';

test('nanocores: CPU time used over wall time between two samples', () => {
  // 0.5 s of CPU in 2 s of wall time is a quarter core.
  assert.equal(nanoCoresBetween({ timeNs: 1e9, usageCoreNanoSeconds: 10e9 }, { timeNs: 3e9, usageCoreNanoSeconds: 10.5e9 }), 250_000_000);
  // Two full cores for 10 s.
  assert.equal(nanoCoresBetween({ timeNs: 0, usageCoreNanoSeconds: 0 }, { timeNs: 10e9, usageCoreNanoSeconds: 20e9 }), 2_000_000_000);
  // Counter reset (restarted container) or no time passed: no rate.
  assert.equal(nanoCoresBetween({ timeNs: 1e9, usageCoreNanoSeconds: 5e9 }, { timeNs: 2e9, usageCoreNanoSeconds: 1e9 }), undefined);
  assert.equal(nanoCoresBetween({ timeNs: 1e9, usageCoreNanoSeconds: 5e9 }, { timeNs: 1e9, usageCoreNanoSeconds: 6e9 }), undefined);
});

test('tracker: rate between the last two samples of each key, forgets keys not retained', () => {
  const t = new CpuRateTracker();
  assert.equal(t.observe('a', { timeNs: 0, usageCoreNanoSeconds: 0 }), undefined);
  assert.equal(t.observe('a', { timeNs: 10e9, usageCoreNanoSeconds: 1e9 }), 100_000_000);
  assert.equal(t.observe('a', { timeNs: 20e9, usageCoreNanoSeconds: 6e9 }), 500_000_000);
  // A stale or repeated sample leaves the rate as it was.
  assert.equal(t.observe('a', { timeNs: 20e9, usageCoreNanoSeconds: 9e9 }), 500_000_000);
  assert.equal(t.observe('b', { timeNs: 20e9, usageCoreNanoSeconds: 1e9 }), undefined);
  t.retain(new Set(['b']));
  assert.equal(t.rate('a'), undefined);
  assert.equal(t.observe('b', { timeNs: 21e9, usageCoreNanoSeconds: 2e9 }), 1_000_000_000);
});
