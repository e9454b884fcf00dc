/**
 * The CronJob controller (kube-controller-manager's cronjob controller v2).
 *
 * sync(key) reads the CronJob and its Jobs (by controller reference) from the caches and:
 * - reconciles `status.active` (adds running Jobs it owns, drops finished or vanished ones) and
 *   `lastSuccessfulTime`;
 * - deletes finished Jobs beyond successful/failedJobsHistoryLimit (oldest first);
 * - unless suspended or being deleted: finds the most recent unmet schedule time (in
 *   spec.timeZone), honours startingDeadlineSeconds and concurrencyPolicy (Forbid skips, Replace
 *   deletes the running Jobs), creates `<name>-<minutes since epoch>` and records
 *   `lastScheduleTime`;
 * - re-checks itself just after the next schedule time.
 * Creating a Job is idempotent (the name is fixed by the schedule time; AlreadyExists is success).
 */
import { deepCopy } from '../../apimachinery/object.js';
import type { CronJobStatus, ObjectReference } from '../../apimachinery/generated/types.js';
import { isValidTimeZone, parseCronSchedule } from '../../apimachinery/cron-schedule.js';
import type { CronSchedule } from '../../apimachinery/cron-schedule.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import { controllerRefOf, createEventRecorder, jsonEqual, nowRfc3339 } from '../replicaset/controller-utils.js';
import type { JobObject } from '../job/job-util.js';
import { conditionOf, hasTrueCondition, isJobFinished } from '../job/job-util.js';
import { JOBS } from '../job/job-controller.js';
import type { CronJobObject } from './cronjob-util.js';
import {
  TOO_MANY_MISSED, cronJobTimeZone, jobFromTemplate, jobNameFor, jobReference, jobsOverLimit, mostRecentScheduleTime,
} from './cronjob-util.js';

export const CRONJOBS: GroupVersionResource = { group: 'batch', version: 'v1', resource: 'cronjobs' };
const API_VERSION = 'batch/v1';
const KIND = 'CronJob';
/** Re-check this long after the next schedule time. */
const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
  now?: () => number;
}

export interface CronJobController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

export function startCronJobController(opts: CronJobControllerOptions): CronJobController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const cjInformer: Informer<CronJobObject> = factory.informerFor<CronJobObject>(CRONJOBS);
  const jobInformer: Informer<JobObject> = factory.informerFor<JobObject>(JOBS);
  const queue = createWorkQueue<string>({ name: 'cronjob' });
  const recorder = createEventRecorder(client, 'cronjob-controller', logger);

  const enqueueOwner = (job: JobObject): void => {
    const ref = controllerRefOf(job);
    if (!ref || ref.kind !== KIND) return;
    const cj = cjInformer.store.get(`${job.metadata.namespace ?? ''}/${ref.name}`);
    if (cj && cj.metadata.uid === ref.uid) queue.add(metaNamespaceKey(cj));
  };

  cjInformer.addEventHandler({
    onAdd: (cj) => queue.add(metaNamespaceKey(cj)),
    onUpdate: (oldCj, cj) => {
      if (oldCj.metadata.resourceVersion === cj.metadata.resourceVersion && oldCj !== cj) return;
      queue.add(metaNamespaceKey(cj));
    },
    onDelete: (obj) => queue.add(metaNamespaceKey(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj)),
  });
  jobInformer.addEventHandler({
    onAdd: (job) => enqueueOwner(job),
    onUpdate: (oldJob, job) => {
      if (oldJob.metadata.resourceVersion === job.metadata.resourceVersion) return;
      enqueueOwner(job);
      if (controllerRefOf(oldJob)?.uid !== controllerRefOf(job)?.uid) enqueueOwner(oldJob);
    },
    onDelete: (obj) => enqueueOwner(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
  });

  async function writeStatus(cj: CronJobObject, status: CronJobStatus): Promise<CronJobObject> {
    if (jsonEqual(cj.status ?? {}, status)) return cj;
    // A conflict means the cache was stale: the error requeues the key and the next sync
    // recomputes from fresh state (never write a status computed from an old view).
    return client.updateStatus<CronJobObject>(CRONJOBS, { ...deepCopy(cj), status }, { signal });
  }

  async function deleteJob(cj: CronJobObject, job: { name?: string; uid?: string }): Promise<boolean> {
    try {
      await client.delete(JOBS, job.name ?? '', {
        namespace: cj.metadata.namespace, signal, propagationPolicy: 'Background',
        preconditions: job.uid ? { uid: job.uid } : undefined,
      });
      recorder.event(cj, API_VERSION, KIND, 'Normal', 'SuccessfulDelete', `Deleted job ${job.name ?? ''}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      recorder.event(cj, API_VERSION, KIND, 'Warning', 'FailedDelete', `Deleted job: ${errorText(err)}`);
      return false;
    }
  }

  async function sync(key: string): Promise<void> {
    const cached = cjInformer.store.get(key);
    if (!cached) return;
    const cj = deepCopy(cached);
    const t = now();
    const jobs = jobInformer.store.byIndex(NAMESPACE_INDEX, cj.metadata.namespace ?? '')
      .filter((j) => controllerRefOf(j)?.uid === cj.metadata.uid);
    const status: CronJobStatus = deepCopy(cj.status ?? {});
    let active: ObjectReference[] = [...(status.active ?? [])];
    const activeUids = new Set(active.map((r) => r.uid));

    // 1. Active list and last success from the owned Jobs.
    const lastSchedule = Date.parse(status.lastScheduleTime ?? '');
    for (const job of jobs) {
      const inActive = activeUids.has(job.metadata.uid);
      if (!inActive && !isJobFinished(job)) {
        const scheduledAt = Date.parse(job.metadata.creationTimestamp ?? '');
        if (Number.isNaN(lastSchedule) || Number.isNaN(scheduledAt) || scheduledAt > lastSchedule) {
          recorder.event(cj, API_VERSION, KIND, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name ?? ''}`);
        }
        active.push(jobReference(job));
        activeUids.add(job.metadata.uid);
      } else if (inActive && isJobFinished(job)) {
        const cond = hasTrueCondition(job, 'Complete') ? 'Complete' : 'Failed';
        recorder.event(cj, API_VERSION, KIND, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name ?? ''}, condition: ${cond}`);
        active = active.filter((r) => r.uid !== job.metadata.uid);
      }
      if (hasTrueCondition(job, 'Complete')) {
        const done = job.status?.completionTime ?? conditionOf(job, 'Complete')?.lastTransitionTime;
        if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = done;
      }
    }
    const owned = new Set(jobs.map((j) => j.metadata.uid));
    const kept: ObjectReference[] = [];
    for (const ref of active) {
      if (owned.has(ref.uid)) {
        kept.push(ref);
        continue;
      }
      // Not in the cache (yet?): ask the API before forgetting it.
      try {
        const live = await client.get<JobObject>(JOBS, ref.name ?? '', { namespace: cj.metadata.namespace, signal });
        if (live.metadata.uid === ref.uid && !isJobFinished(live)) {
          kept.push(ref);
          continue;
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      recorder.event(cj, API_VERSION, KIND, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
    }
    active = kept;

    // 2. History limits.
    const finishedOk = jobs.filter((j) => hasTrueCondition(j, 'Complete') && !j.metadata.deletionTimestamp);
    const finishedFailed = jobs.filter((j) => hasTrueCondition(j, 'Failed') && !j.metadata.deletionTimestamp);
    for (const j of [...jobsOverLimit(finishedOk, cj.spec?.successfulJobsHistoryLimit), ...jobsOverLimit(finishedFailed, cj.spec?.failedJobsHistoryLimit)]) {
      await deleteJob(cj, { name: j.metadata.name, uid: j.metadata.uid });
    }

    const finish = async (requeueAt?: number): Promise<void> => {
      const next: CronJobStatus = {
        ...(active.length > 0 ? { active } : {}),
        ...(status.lastScheduleTime ? { lastScheduleTime: status.lastScheduleTime } : {}),
        ...(status.lastSuccessfulTime ? { lastSuccessfulTime: status.lastSuccessfulTime } : {}),
      };
      await writeStatus(cj, next);
      if (requeueAt !== undefined) queue.addAfter(key, Math.max(0, requeueAt - now()) + NEXT_SCHEDULE_DELTA_MS);
    };

    if (cj.metadata.deletionTimestamp) return finish();
    const tz = cronJobTimeZone(cj);
    if (cj.spec?.timeZone && !isValidTimeZone(cj.spec.timeZone)) {
      recorder.event(cj, API_VERSION, KIND, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.spec.timeZone}": unknown time zone ${cj.spec.timeZone}`);
      return finish();
    }
    if (cj.spec?.suspend) return finish();
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(cj.spec?.schedule ?? '', tz);
    } catch (err) {
      recorder.event(cj, API_VERSION, KIND, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec?.schedule ?? ''}" : ${errorText(err)}`);
      return finish();
    }

    // 3. The most recent unmet schedule time.
    const decision = mostRecentScheduleTime(cj, schedule, t);
    const nextRun = schedule.next(t);
    if (decision.missed > TOO_MANY_MISSED) {
      recorder.event(cj, API_VERSION, KIND, 'Warning', 'TooManyMissedTimes',
        `too many missed start times: ${decision.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = decision.scheduled;
    if (scheduled === undefined) return finish(nextRun);
    const sds = cj.spec?.startingDeadlineSeconds;
    if (sds !== undefined && sds !== null && scheduled + sds * 1000 < t) {
      recorder.event(cj, API_VERSION, KIND, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString()}`);
      return finish(nextRun);
    }
    const name = jobNameFor(cj, scheduled);
    if (active.some((r) => r.name === name)) return finish(nextRun);
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      recorder.event(cj, API_VERSION, KIND, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return finish(nextRun);
    }
    if (policy === 'Replace') {
      for (const ref of [...active]) {
        if (await deleteJob(cj, { name: ref.name, uid: ref.uid })) active = active.filter((r) => r.uid !== ref.uid);
      }
    }

    // 4. Create the Job for this schedule time.
    try {
      const created = await client.create<JobObject>(JOBS, jobFromTemplate(cj, scheduled), { namespace: cj.metadata.namespace, signal });
      recorder.event(cj, API_VERSION, KIND, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name ?? ''}`);
      active.push(jobReference(created));
    } catch (err) {
      if (!isAlreadyExists(err)) {
        recorder.event(cj, API_VERSION, KIND, 'Warning', 'FailedCreate', `Error creating job: ${errorText(err)}`);
        await finish();
        throw err;
      }
      logger.debug({ cronjob: key, job: name }, 'job already exists');
    }
    status.lastScheduleTime = nowRfc3339(scheduled);
    await finish(nextRun);
  }

  const done = runController(queue, sync, {
    signal, caches: [cjInformer, jobInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ controller: 'cronjob', key, err: errorText(err) }, 'sync failed; requeued');
    },
  });

  return { done, sync };
}
