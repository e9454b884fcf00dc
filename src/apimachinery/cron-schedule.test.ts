import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, parseCronSchedule } from './cron-schedule.js';

const at = (s: string): number => Date.parse(s);
const iso = (ms: number | undefined): string => (ms === undefined ? 'none' : new Date(ms).toISOString());

test('every minute, steps, ranges and lists', () => {
  assert.equal(iso(parseCronSchedule('*/1 * * * *').next(at('2024-03-01T10:00:30Z'))), '2024-03-01T10:01:00.000Z');
  assert.equal(iso(parseCronSchedule('*/15 * * * *').next(at('2024-03-01T10:16:00Z'))), '2024-03-01T10:30:00.000Z');
  assert.equal(iso(parseCronSchedule('5 1-3 * * *').next(at('2024-03-01T03:05:00Z'))), '2024-03-02T01:05:00.000Z');
  assert.equal(iso(parseCronSchedule('0 0 1,15 * *').next(at('2024-03-02T00:00:00Z'))), '2024-03-15T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('30 9 * jan-mar mon').next(at('2024-03-30T00:00:00Z'))), '2025-01-06T09:30:00.000Z');
  assert.equal(iso(parseCronSchedule('10/20 * * * *').next(at('2024-03-01T10:31:00Z'))), '2024-03-01T10:50:00.000Z');
});

test('day-of-month and day-of-week are OR-ed unless one is a star', () => {
  // 2024-03-01 is a Friday: the 13th or any Monday.
  assert.equal(iso(parseCronSchedule('0 0 13 * 1').next(at('2024-03-01T00:00:00Z'))), '2024-03-04T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('0 0 * * 1').next(at('2024-03-01T00:00:00Z'))), '2024-03-04T00:00:00.000Z');
});

test('descriptors', () => {
  assert.equal(iso(parseCronSchedule('@hourly').next(at('2024-03-01T10:00:00Z'))), '2024-03-01T11:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@daily').next(at('2024-03-01T10:00:00Z'))), '2024-03-02T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@weekly').next(at('2024-03-01T10:00:00Z'))), '2024-03-03T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@monthly').next(at('2024-03-01T10:00:00Z'))), '2024-04-01T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@yearly').next(at('2024-03-01T10:00:00Z'))), '2025-01-01T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@every 90s').next(at('2024-03-01T10:00:00Z'))), '2024-03-01T10:01:30.000Z');
});

test('time zones, including a DST gap', () => {
  // 09:00 in Tokyo is 00:00 UTC.
  assert.equal(iso(parseCronSchedule('0 9 * * *', 'Asia/Tokyo').next(at('2024-03-01T01:00:00Z'))), '2024-03-02T00:00:00.000Z');
  // New York springs forward on 2024-03-10: 02:30 does not exist that day.
  assert.equal(iso(parseCronSchedule('30 2 * * *', 'America/New_York').next(at('2024-03-09T08:00:00Z'))), '2024-03-11T06:30:00.000Z');
  assert.equal(iso(parseCronSchedule('0 12 * * *', 'America/New_York').next(at('2024-03-10T00:00:00Z'))), '2024-03-10T16:00:00.000Z');
});

test('errors', () => {
  assert.throws(() => parseCronSchedule('* * * *'), CronParseError);
  assert.throws(() => parseCronSchedule('61 * * * *'), /above maximum/);
  assert.throws(() => parseCronSchedule('@fortnightly'), /unrecognized descriptor/);
  assert.throws(() => parseCronSchedule('* * * * *', 'Mars/Base'), /unknown time zone/);
});
