/**
 * CronJob scheduling arithmetic as kube-controller-manager's cronjob controller (v2) does it:
 * the most recent unmet schedule time (bounded by startingDeadlineSeconds), the job name
 * `<cronjob>-<minutes since epoch>`, the scheduled-timestamp annotation in the job's time zone,
 * and the job built from the template. Pure; the clock is a parameter.
 */
import type { CronJobSpec, CronJobStatus, JobSpec, ObjectReference } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { CronSchedule } from '../../apimachinery/cron-schedule.js';
import { newControllerRef } from '../replicaset/controller-utils.js';
import type { JobObject } from '../job/job-util.js';

export type CronJobObject = KubeObject & { spec?: CronJobSpec; status?: CronJobStatus };

export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Too many missed start times produce a warning event (as upstream). */
export const TOO_MANY_MISSED = 100;

export interface ScheduleDecision {
  /** The most recent schedule time ≤ now not yet run, if any. */
  scheduled?: number;
  /** An estimate of how many start times were missed (≥ 1 when `scheduled` is set). */
  missed: number;
}

/** The zone a CronJob's schedule runs in: spec.timeZone, else the controller manager's zone. */
export function cronJobTimeZone(cj: CronJobObject): string {
  return cj.spec?.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The most recent unmet schedule time: after lastScheduleTime (or creation), no earlier than
 * now − startingDeadlineSeconds, at or before now.
 */
export function mostRecentScheduleTime(cj: CronJobObject, schedule: CronSchedule, now: number): ScheduleDecision {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '');
  if (Number.isNaN(earliest)) earliest = now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (sds !== undefined && sds !== null) earliest = Math.max(earliest, now - sds * 1000);
  const t1 = schedule.next(earliest);
  if (t1 === undefined || t1 > now) return { missed: 0 };
  const t2 = schedule.next(t1);
  if (t2 === undefined || t2 > now) return { scheduled: t1, missed: 1 };
  const interval = Math.max(60_000, t2 - t1);
  const missed = Math.floor((now - t1) / interval) + 1;
  // Walk a window that ends at now, widening it until it holds a schedule time.
  for (let window = 2 * interval; ; window *= 2) {
    const start = Math.max(earliest, now - window);
    let last: number | undefined;
    let t = schedule.next(start);
    for (let i = 0; t !== undefined && t <= now && i < 10_000; i++) {
      last = t;
      t = schedule.next(t);
    }
    if (last !== undefined) return { scheduled: last, missed };
    if (start === earliest) return { scheduled: t1, missed };
  }
}

/** `<cronjob>-<scheduled time in minutes since the epoch>` */
export function jobNameFor(cj: CronJobObject, scheduled: number): string {
  return `${cj.metadata.name ?? ''}-${Math.floor(scheduled / 60_000)}`;
}

/** RFC 3339 with the zone's offset at that instant ("Z" for UTC), as Go formats a time in a location. */
export function formatRfc3339InZone(ms: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const offMin = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offMin < 0 ? '-' : '+';
  const abs = Math.abs(offMin);
  const zone = offMin === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${zone}`;
}

/** The Job a CronJob creates for a schedule time. */
export function jobFromTemplate(cj: CronJobObject, scheduled: number): JobObject {
  const tmeta = cj.spec?.jobTemplate?.metadata ?? {};
  const annotations = { ...(tmeta.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP]: formatRfc3339InZone(scheduled, cronJobTimeZone(cj)) };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace,
      ...(tmeta.labels ? { labels: { ...tmeta.labels } } : {}),
      annotations,
      ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: deepCopy(cj.spec?.jobTemplate?.spec) ?? ({ template: {} } as JobSpec),
  };
}

export function jobReference(job: JobObject): ObjectReference {
  return {
    kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid,
    apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion,
  };
}

/** Finished jobs to delete so that at most `limit` remain (oldest start time first). */
export function jobsOverLimit(jobs: JobObject[], limit: number | undefined): JobObject[] {
  if (limit === undefined || limit === null || jobs.length <= limit) return [];
  const start = (j: JobObject): number => {
    const t = Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '');
    return Number.isNaN(t) ? 0 : t;
  };
  const sorted = [...jobs].sort((a, b) => start(a) - start(b));
  return sorted.slice(0, jobs.length - limit);
}
