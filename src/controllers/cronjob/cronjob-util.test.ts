import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCronSchedule } from '../../apimachinery/cron-schedule.js';
import type { CronJobObject } from './cronjob-util.js';
import { CRONJOB_SCHEDULED_TIMESTAMP, formatRfc3339InZone, jobFromTemplate, jobNameFor, jobsOverLimit, mostRecentScheduleTime } from './cronjob-util.js';

const at = (s: string): number => Date.parse(s);

function cronJob(spec: Partial<NonNullable<CronJobObject['spec']>>, status: CronJobObject['status'] = {}): CronJobObject {
  return {
    metadata: { name: 'hello', namespace: 'ns', uid: 'u', creationTimestamp: '2024-03-01T10:00:30Z' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: {} } }, ...spec },
    status,
  };
}

test('nothing due before the first schedule time', () => {
  const cj = cronJob({});
  assert.deepEqual(mostRecentScheduleTime(cj, parseCronSchedule('*/1 * * * *'), at('2024-03-01T10:00:59Z')), { missed: 0 });
});

test('the first due time, then the most recent of several missed', () => {
  const cj = cronJob({});
  const s = parseCronSchedule('*/1 * * * *');
  assert.equal(mostRecentScheduleTime(cj, s, at('2024-03-01T10:01:05Z')).scheduled, at('2024-03-01T10:01:00Z'));
  const d = mostRecentScheduleTime(cj, s, at('2024-03-01T12:30:10Z'));
  assert.equal(d.scheduled, at('2024-03-01T12:30:00Z'));
  assert.equal(d.missed, 150);
  const later = cronJob({}, { lastScheduleTime: '2024-03-01T12:30:00Z' });
  assert.equal(mostRecentScheduleTime(later, s, at('2024-03-01T12:30:50Z')).scheduled, undefined);
});

test('startingDeadlineSeconds bounds the look-back; irregular schedules', () => {
  const cj = cronJob({ startingDeadlineSeconds: 30, schedule: '0 9 * * 1-5' }, {});
  const s = parseCronSchedule('0 9 * * 1-5');
  // Monday 2024-03-04 09:00:20: due; Saturday: nothing within 30 s.
  assert.equal(mostRecentScheduleTime(cj, s, at('2024-03-04T09:00:20Z')).scheduled, at('2024-03-04T09:00:00Z'));
  assert.equal(mostRecentScheduleTime(cj, s, at('2024-03-09T09:00:20Z')).scheduled, undefined);
  const old = cronJob({ schedule: '0 9 * * 1-5' }, { lastScheduleTime: '2024-03-01T09:00:00Z' });
  assert.equal(mostRecentScheduleTime(old, s, at('2024-03-11T08:00:00Z')).scheduled, at('2024-03-08T09:00:00Z'));
});

test('job name, annotation and owner', () => {
  const cj = cronJob({ timeZone: 'Asia/Tokyo', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: {} } } });
  const t = at('2024-03-01T10:01:00Z');
  assert.equal(jobNameFor(cj, t), `hello-${t / 60000}`);
  const job = jobFromTemplate(cj, t);
  assert.equal(job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP], '2024-03-01T19:01:00+09:00');
  assert.equal(job.metadata.labels?.a, 'b');
  assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'CronJob');
  assert.equal(formatRfc3339InZone(t, 'UTC'), '2024-03-01T10:01:00Z');
});

test('history limits delete the oldest', () => {
  const j = (name: string, start: string) => ({ metadata: { name }, status: { startTime: start } });
  const jobs = [j('b', '2024-01-02T00:00:00Z'), j('a', '2024-01-01T00:00:00Z'), j('c', '2024-01-03T00:00:00Z')];
  assert.deepEqual(jobsOverLimit(jobs, 1).map((x) => x.metadata.name), ['a', 'b']);
  assert.deepEqual(jobsOverLimit(jobs, 3), []);
});
