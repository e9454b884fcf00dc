import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration reads Go durations and bare seconds', () => {
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('3'), 3000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('abc'), undefined);
  assert.equal(parseDuration('2x'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('formatDuration matches time.Duration.String()', () => {
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(80_000), '1m20s');
  assert.equal(formatDuration(160_000), '2m40s');
  assert.equal(formatDuration(300_000), '5m0s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(0), '0s');
});
