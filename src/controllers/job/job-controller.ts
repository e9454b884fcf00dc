/**
 * The Job controller (kube-controller-manager's job controller, 1.32 behaviour).
 *
 * sync(key) is idempotent and level-triggered:
 * - claims pods by the job's selector; every pod it creates carries the
 *   `batch.kubernetes.io/job-tracking` finalizer;
 * - terminated pods are counted exactly once: their uids go to
 *   `status.uncountedTerminatedPods` first, then their finalizer is removed, then they move to
 *   `succeeded` / `failed` (a crash between the steps repeats a step, never loses or doubles a pod);
 * - failures: podFailurePolicy (FailJob / Ignore / Count), backoffLimit (also container restarts
 *   with restartPolicy OnFailure), activeDeadlineSeconds. The job first gets FailureTarget, its
 *   active pods are deleted, and Failed follows once no pod is terminating; success likewise goes
 *   SuccessCriteriaMet → Complete;
 * - creates pods (slow-start batches, expectations) after the pod failure back-off (10 s doubling,
 *   6 min cap); Indexed jobs get one pod per missing completion index;
 * - suspend deletes active pods (condition Suspended), resume restarts the clock;
 * - ttlSecondsAfterFinished deletes a finished job (foreground) when it expires.
 */
import { deepCopy } from '../../apimachinery/object.js';
import type { EnvVar, JobCondition, JobStatus } from '../../apimachinery/generated/types.js';
import { labelSelectorFromObject, nothing } from '../../apimachinery/labels.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createExpectations } from '../../client/expectations.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import {
  PODS, claimObjects, controllerRefOf, createEventRecorder, isPodActive, isPodReady, jsonEqual, newControllerRef,
  nowRfc3339, podsToDelete,
} from '../replicaset/controller-utils.js';
import type { JobObject } from './job-util.js';
import {
  JOB_COMPLETION_INDEX, JOB_COMPLETION_INDEX_ENV, JOB_TRACKING_FINALIZER, MESSAGE_BACKOFF_LIMIT_EXCEEDED,
  MESSAGE_COMPLETIONS_REACHED, MESSAGE_DEADLINE_EXCEEDED, REASON_BACKOFF_LIMIT_EXCEEDED, REASON_COMPLETIONS_REACHED,
  REASON_DEADLINE_EXCEEDED, REASON_POD_FAILURE_POLICY, conditionOf, finishTime, formatIndexes, hasTrackingFinalizer,
  hasTrueCondition, isIndexed, isJobFinished, isPodFailed, isPodSucceeded, isPodTerminating, matchPodFailurePolicy,
  missingIndexes, onlyReplaceFailedPods, parseIndexes, pastBackoffLimitOnFailure, podCompletionIndex,
  podFailureBackoffMs, setCondition, wantActive,
} from './job-util.js';

export const JOBS: GroupVersionResource = { group: 'batch', version: 'v1', resource: 'jobs' };
const API_VERSION = 'batch/v1';
const KIND = 'Job';
const BURST = 500;
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

export interface JobControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
  /** Injected clock (ms since epoch) for tests. */
  now?: () => number;
}

export interface JobController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

interface BackoffRecord {
  failures: number;
  lastFailure: number;
}

function jobSelector(job: JobObject): LabelSelector {
  if (!job.spec?.selector) return nothing();
  try {
    return labelSelectorFromObject(job.spec.selector);
  } catch {
    return nothing();
  }
}

/** The pod a Job creates (with the tracking finalizer; Indexed jobs: index, hostname, env). */
export function podForJob(job: JobObject, index?: number): PodObject {
  const template = job.spec?.template;
  const tmeta = template?.metadata ?? {};
  const name = job.metadata.name ?? '';
  const labels: Record<string, string> = { ...(tmeta.labels ?? {}) };
  const annotations: Record<string, string> = { ...(tmeta.annotations ?? {}) };
  const spec = deepCopy(template?.spec) ?? { containers: [] };
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX] = String(index);
    labels[JOB_COMPLETION_INDEX] = String(index);
    spec.hostname ??= `${name}-${index}`;
    const env: EnvVar = {
      name: JOB_COMPLETION_INDEX_ENV,
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } },
    };
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if (!(c.env ?? []).some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) c.env = [...(c.env ?? []), deepCopy(env)];
    }
  }
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: index !== undefined ? `${name}-${index}-` : `${name}-`,
      namespace: job.metadata.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      finalizers: [...(tmeta.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, API_VERSION, KIND)],
    },
    spec,
  };
}

export function startJobController(opts: JobControllerOptions): JobController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const jobInformer: Informer<JobObject> = factory.informerFor<JobObject>(JOBS);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const queue = createWorkQueue<string>({ name: 'job' });
  const expectations = createExpectations();
  const pendingDeletes = new Map<string, Set<string>>();
  const backoff = new Map<string, BackoffRecord>();
  const recorder = createEventRecorder(client, 'job-controller', logger);

  const resolveRef = (pod: PodObject): JobObject | undefined => {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== KIND) return undefined;
    const job = jobInformer.store.get(`${pod.metadata.namespace ?? ''}/${ref.name}`);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  };
  const jobsMatching = (pod: PodObject): JobObject[] =>
    jobInformer.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '').filter((j) => {
      const sel = jobSelector(j);
      return !sel.empty && sel.matches(pod.metadata.labels);
    });
  const observeDeletion = (job: JobObject, pod: PodObject): void => {
    const key = metaNamespaceKey(job);
    const uids = pendingDeletes.get(key);
    if (uids && pod.metadata.uid && uids.delete(pod.metadata.uid)) expectations.deletionObserved(key);
  };

  jobInformer.addEventHandler({
    onAdd: (job) => queue.add(metaNamespaceKey(job)),
    onUpdate: (oldJob, job) => {
      if (oldJob.metadata.resourceVersion === job.metadata.resourceVersion && oldJob !== job) return;
      queue.add(metaNamespaceKey(job));
    },
    onDelete: (obj) => {
      const job = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const key = metaNamespaceKey(job);
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      backoff.delete(key);
      queue.add(key);
    },
  });

  podInformer.addEventHandler({
    onAdd: (pod) => {
      const job = resolveRef(pod);
      if (job) {
        if (pod.metadata.deletionTimestamp) observeDeletion(job, pod);
        else expectations.creationObserved(metaNamespaceKey(job));
        queue.add(metaNamespaceKey(job));
        return;
      }
      if (!controllerRefOf(pod)) for (const j of jobsMatching(pod)) queue.add(metaNamespaceKey(j));
    },
    onUpdate: (oldPod, pod) => {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const job = resolveRef(pod);
      if (job) {
        if (pod.metadata.deletionTimestamp && !oldPod.metadata.deletionTimestamp) observeDeletion(job, pod);
        queue.add(metaNamespaceKey(job));
      }
      const oldJob = resolveRef(oldPod);
      if (oldJob && oldJob !== job) queue.add(metaNamespaceKey(oldJob));
      if (!controllerRefOf(pod)) for (const j of jobsMatching(pod)) queue.add(metaNamespaceKey(j));
    },
    onDelete: (obj) => {
      const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const job = resolveRef(pod);
      if (!job) return;
      observeDeletion(job, pod);
      queue.add(metaNamespaceKey(job));
    },
  });

  async function canAdopt(job: JobObject): Promise<boolean> {
    try {
      const fresh = await client.get<JobObject>(JOBS, job.metadata.name ?? '', { namespace: job.metadata.namespace, signal });
      return fresh.metadata.uid === job.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async function writeStatus(job: JobObject, status: JobStatus): Promise<JobObject> {
    if (jsonEqual(job.status ?? {}, status)) return job;
    // A conflict means the cache was stale: the error requeues the key and the next sync
    // recomputes from fresh state (never write a status computed from an old view).
    return client.updateStatus<JobObject>(JOBS, { ...deepCopy(job), status }, { signal });
  }

  /** Removes the tracking finalizer; a pod already gone counts as removed. */
  async function removeFinalizer(pod: PodObject): Promise<boolean> {
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await client.patch(PODS, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace, type: 'json', signal,
        patch: [
          { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
          { op: 'replace', path: '/metadata/finalizers', value: finalizers },
        ],
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      logger.debug({ pod: pod.metadata.name, err: errorText(err) }, 'removing job tracking finalizer failed');
      return false;
    }
  }

  async function deletePods(key: string, job: JobObject, victims: PodObject[]): Promise<{ deleted: number; err?: unknown }> {
    if (victims.length === 0) return { deleted: 0 };
    const uids = pendingDeletes.get(key) ?? new Set<string>();
    pendingDeletes.set(key, uids);
    for (const p of victims) if (p.metadata.uid) uids.add(p.metadata.uid);
    const rec = expectations.getExpectations(key);
    if (rec) expectations.raiseExpectations(key, 0, victims.length);
    else expectations.expectDeletions(key, victims.length);
    let deleted = 0;
    let firstErr: unknown;
    await Promise.all(victims.map(async (pod) => {
      try {
        await client.delete(PODS, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace, signal, preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined,
        });
        deleted++;
        recorder.event(job, API_VERSION, KIND, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`);
      } catch (err) {
        if (uids.delete(pod.metadata.uid ?? '')) expectations.deletionObserved(key);
        if (isNotFound(err)) return;
        firstErr ??= err;
        recorder.event(job, API_VERSION, KIND, 'Warning', 'FailedDelete', `Error deleting: ${errorText(err)}`);
      }
    }));
    return { deleted, err: firstErr };
  }

  async function createPods(key: string, job: JobObject, count: number, indexes?: number[]): Promise<{ created: number; err?: unknown }> {
    const total = Math.min(count, BURST);
    if (total <= 0) return { created: 0 };
    expectations.expectCreations(key, total);
    let created = 0;
    let remaining = total;
    let batch = 1;
    let next = 0;
    while (remaining > 0) {
      const n = Math.min(batch, remaining);
      const results = await Promise.allSettled(Array.from({ length: n }, () => {
        const idx = indexes ? indexes[next++] : undefined;
        return client.create<PodObject>(PODS, podForJob(job, idx), { namespace: job.metadata.namespace, signal });
      }));
      let failed = 0;
      let firstErr: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          created++;
          recorder.event(job, API_VERSION, KIND, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name ?? ''}`);
        } else {
          failed++;
          firstErr ??= r.reason;
        }
      }
      remaining -= n;
      if (failed > 0) {
        expectations.lowerExpectations(key, failed + remaining, 0);
        recorder.event(job, API_VERSION, KIND, 'Warning', 'FailedCreate', `Error creating: ${errorText(firstErr)}`);
        return { created, err: firstErr };
      }
      batch *= 2;
    }
    return { created };
  }

  async function syncFinished(key: string, job: JobObject, pods: PodObject[]): Promise<void> {
    await Promise.all(pods.filter(hasTrackingFinalizer).map((p) => removeFinalizer(p)));
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return;
    const finished = finishTime(job) ?? Date.parse(job.status?.completionTime ?? '');
    if (Number.isNaN(finished)) return;
    const expireAt = finished + ttl * 1000;
    const t = now();
    if (t < expireAt) {
      queue.addAfter(key, expireAt - t + 50);
      return;
    }
    // Re-read so a job whose TTL was just extended is not deleted.
    const fresh = await client.get<JobObject>(JOBS, job.metadata.name ?? '', { namespace: job.metadata.namespace, signal }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
    const freshTtl = fresh.spec?.ttlSecondsAfterFinished;
    if (freshTtl === undefined || freshTtl === null) return;
    const freshExpire = (finishTime(fresh) ?? finished) + freshTtl * 1000;
    if (now() < freshExpire) {
      queue.addAfter(key, freshExpire - now() + 50);
      return;
    }
    await client.delete(JOBS, job.metadata.name ?? '', {
      namespace: job.metadata.namespace, signal, propagationPolicy: 'Foreground',
      preconditions: { uid: job.metadata.uid, resourceVersion: fresh.metadata.resourceVersion },
    }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async function sync(key: string): Promise<void> {
    const cached = jobInformer.store.get(key);
    if (!cached) {
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      backoff.delete(key);
      return;
    }
    let job = deepCopy(cached);
    if (job.spec?.managedBy && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    const candidates = podInformer.store.byIndex(NAMESPACE_INDEX, job.metadata.namespace ?? '');
    const pods = await claimObjects<PodObject>({
      client, owner: job, ownerApiVersion: API_VERSION, ownerKind: KIND, selector: jobSelector(job), gvr: PODS,
      candidates, canAdopt: () => canAdopt(job), signal, logger,
    });
    if (isJobFinished(job)) {
      await syncFinished(key, job, pods);
      return;
    }

    const t = now();
    const indexed = isIndexed(job);
    const completions = job.spec?.completions;
    const suspended = job.spec?.suspend === true;
    const status: JobStatus = deepCopy(job.status ?? {});
    const conditions: JobCondition[] = [...(status.conditions ?? [])];
    if (!status.startTime && !suspended) status.startTime = nowRfc3339(t);

    // 1. Newly terminated pods (still holding the finalizer, not yet recorded as uncounted).
    const uncountedSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const uncountedFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const completedIdx = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
    const ignored: PodObject[] = [];
    let newSucceeded = 0;
    let newFailed = 0;
    let failJobMessage: string | undefined;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!hasTrackingFinalizer(pod) || uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) continue;
      if (isPodSucceeded(pod)) {
        if (indexed) {
          const idx = podCompletionIndex(pod);
          if (idx === undefined || idx >= (completions ?? 0) || completedIdx.has(idx)) {
            ignored.push(pod);
            continue;
          }
          completedIdx.add(idx);
        }
        uncountedSucceeded.add(uid);
        newSucceeded++;
      } else if (isPodFailed(pod, job)) {
        const match = pod.status?.phase === 'Failed' ? matchPodFailurePolicy(job, pod) : undefined;
        if (match?.action === 'Ignore') {
          ignored.push(pod);
          continue;
        }
        if (match?.action === 'FailJob' && failJobMessage === undefined) failJobMessage = match.message;
        uncountedFailed.add(uid);
        newFailed++;
      }
    }
    // Completed indexes also come from succeeded pods already counted.
    if (indexed) {
      for (const pod of pods) {
        if (!isPodSucceeded(pod)) continue;
        const idx = podCompletionIndex(pod);
        if (idx !== undefined && idx < (completions ?? 0) && uncountedSucceeded.has(pod.metadata.uid ?? '')) completedIdx.add(idx);
      }
    }
    if (newFailed > 0) {
      const rec = backoff.get(key) ?? { failures: 0, lastFailure: 0 };
      backoff.set(key, { failures: rec.failures + newFailed, lastFailure: t });
    } else if (newSucceeded > 0) {
      backoff.delete(key);
    }

    const succeeded = (status.succeeded ?? 0) + uncountedSucceeded.size;
    const failed = (status.failed ?? 0) + uncountedFailed.size;
    let active = pods.filter(isPodActive);
    let terminating = pods.filter(isPodTerminating).length;

    // 2. Decide whether the job has reached a terminal state.
    let target: { type: 'FailureTarget' | 'SuccessCriteriaMet'; reason: string; message: string } | undefined;
    const existingFailure = conditionOf(job, 'FailureTarget');
    const existingSuccess = conditionOf(job, 'SuccessCriteriaMet');
    if (existingFailure?.status === 'True') {
      target = { type: 'FailureTarget', reason: existingFailure.reason ?? '', message: existingFailure.message ?? '' };
    } else if (existingSuccess?.status === 'True') {
      target = { type: 'SuccessCriteriaMet', reason: existingSuccess.reason ?? '', message: existingSuccess.message ?? '' };
    } else if (failJobMessage !== undefined) {
      target = { type: 'FailureTarget', reason: REASON_POD_FAILURE_POLICY, message: failJobMessage };
    } else if (failed > (job.spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      target = { type: 'FailureTarget', reason: REASON_BACKOFF_LIMIT_EXCEEDED, message: MESSAGE_BACKOFF_LIMIT_EXCEEDED };
    } else if (!suspended && job.spec?.activeDeadlineSeconds !== undefined && job.spec.activeDeadlineSeconds !== null && status.startTime) {
      const deadline = Date.parse(status.startTime) + job.spec.activeDeadlineSeconds * 1000;
      if (t >= deadline) {
        target = { type: 'FailureTarget', reason: REASON_DEADLINE_EXCEEDED, message: MESSAGE_DEADLINE_EXCEEDED };
        recorder.event(job, API_VERSION, KIND, 'Warning', REASON_DEADLINE_EXCEEDED, MESSAGE_DEADLINE_EXCEEDED);
      } else {
        queue.addAfter(key, deadline - t + 50);
      }
    }

    let manageErr: unknown;
    let created = 0;
    const needsSync = expectations.satisfiedExpectations(key);
    if (target) {
      // Terminal: no new pods; active ones are deleted.
      if (active.length > 0 && needsSync) {
        const r = await deletePods(key, job, active);
        manageErr = r.err;
        terminating += r.deleted;
        active = [];
      }
    } else if (suspended) {
      if (active.length > 0 && needsSync) {
        const r = await deletePods(key, job, active);
        manageErr = r.err;
        terminating += r.deleted;
        active = [];
      }
      if (setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', t)) {
        recorder.event(job, API_VERSION, KIND, 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (hasTrueCondition(job, 'Suspended')) {
        setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', t);
        status.startTime = nowRfc3339(t);
        recorder.event(job, API_VERSION, KIND, 'Normal', 'Resumed', 'Job resumed');
      }
      const complete = indexed
        ? completedIdx.size >= (completions ?? 0)
        : (completions === undefined || completions === null ? succeeded > 0 && active.length === 0 : succeeded >= completions);
      if (complete) {
        target = { type: 'SuccessCriteriaMet', reason: REASON_COMPLETIONS_REACHED, message: MESSAGE_COMPLETIONS_REACHED };
        if (active.length > 0 && needsSync) {
          const r = await deletePods(key, job, active);
          manageErr = r.err;
          terminating += r.deleted;
          active = [];
        }
      } else if (needsSync) {
        const parallelism = job.spec?.parallelism ?? 1;
        const blockers = onlyReplaceFailedPods(job) ? terminating : 0;
        const rec = backoff.get(key);
        const wait = rec ? rec.lastFailure + podFailureBackoffMs(rec.failures) - t : 0;
        if (indexed) {
          const byIndex = new Map<number, PodObject[]>();
          const surplus: PodObject[] = [];
          for (const p of active) {
            const idx = podCompletionIndex(p);
            if (idx === undefined || idx >= (completions ?? 0) || completedIdx.has(idx)) {
              surplus.push(p);
              continue;
            }
            const list = byIndex.get(idx) ?? [];
            list.push(p);
            byIndex.set(idx, list);
          }
          for (const list of byIndex.values()) if (list.length > 1) surplus.push(...podsToDelete(list, list, list.length - 1, t));
          const keep = active.filter((p) => !surplus.includes(p));
          if (keep.length > parallelism) {
            const sorted = [...keep].sort((a, b) => (podCompletionIndex(b) ?? 0) - (podCompletionIndex(a) ?? 0));
            surplus.push(...sorted.slice(0, keep.length - parallelism));
          }
          if (surplus.length > 0) {
            const r = await deletePods(key, job, surplus);
            manageErr = r.err;
            terminating += r.deleted;
            active = active.filter((p) => !surplus.includes(p));
          } else {
            const busy = new Set<number>();
            for (const p of active) busy.add(podCompletionIndex(p) ?? -1);
            if (onlyReplaceFailedPods(job)) for (const p of pods.filter(isPodTerminating)) busy.add(podCompletionIndex(p) ?? -1);
            const room = parallelism - active.length - blockers;
            const want = missingIndexes(completions ?? 0, completedIdx, busy, Math.max(0, room));
            if (want.length > 0) {
              if (wait > 0) queue.addAfter(key, wait + 50);
              else {
                const r = await createPods(key, job, want.length, want);
                manageErr = r.err;
                created += r.created;
              }
            }
          }
        } else {
          const want = wantActive(job, succeeded);
          if (active.length > want) {
            const victims = podsToDelete(active, active, active.length - want, t);
            const r = await deletePods(key, job, victims);
            manageErr = r.err;
            terminating += r.deleted;
            active = active.filter((p) => !victims.includes(p));
          } else if (active.length + blockers < want) {
            if (wait > 0) queue.addAfter(key, wait + 50);
            else {
              const r = await createPods(key, job, want - active.length - blockers);
              manageErr = r.err;
              created += r.created;
            }
          }
        }
      }
    }
    if (target && setCondition(conditions, target.type, 'True', target.reason, target.message, t)) {
      if (target.type === 'FailureTarget') recorder.event(job, API_VERSION, KIND, 'Warning', target.reason, target.message);
    }

    // 3. Record newly terminated pods, remove finalizers, then move them to the counters.
    const activeCount = active.length + created;
    const activeNow = pods.filter(isPodActive).length;
    const buildStatus = (): JobStatus => {
      const next: JobStatus = {
        ...(conditions.length > 0 ? { conditions } : {}),
        ...(status.startTime ? { startTime: status.startTime } : {}),
        ...(status.completionTime ? { completionTime: status.completionTime } : {}),
        ...(activeNow > 0 ? { active: activeNow } : {}),
        ...(status.succeeded ? { succeeded: status.succeeded } : {}),
        ...(status.failed ? { failed: status.failed } : {}),
        ...(indexed && completedIdx.size > 0 ? { completedIndexes: formatIndexes(completedIdx) } : {}),
        ...(status.failedIndexes ? { failedIndexes: status.failedIndexes } : {}),
        terminating: pods.filter(isPodTerminating).length,
        ready: pods.filter((p) => isPodActive(p) && isPodReady(p)).length,
        uncountedTerminatedPods: {
          ...(uncountedSucceeded.size > 0 ? { succeeded: [...uncountedSucceeded] } : {}),
          ...(uncountedFailed.size > 0 ? { failed: [...uncountedFailed] } : {}),
        },
      };
      return next;
    };
    if (newSucceeded > 0 || newFailed > 0) job = await writeStatus(job, buildStatus());
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
    const removals = [...ignored];
    for (const uid of [...uncountedSucceeded, ...uncountedFailed]) {
      const p = byUid.get(uid);
      if (p && hasTrackingFinalizer(p)) removals.push(p);
    }
    const removed = new Set<string>();
    await Promise.all(removals.map(async (p) => {
      if (await removeFinalizer(p)) removed.add(p.metadata.uid ?? '');
    }));
    for (const uid of [...uncountedSucceeded]) {
      const p = byUid.get(uid);
      if (!p || !hasTrackingFinalizer(p) || removed.has(uid)) {
        uncountedSucceeded.delete(uid);
        status.succeeded = (status.succeeded ?? 0) + 1;
      }
    }
    for (const uid of [...uncountedFailed]) {
      const p = byUid.get(uid);
      if (!p || !hasTrackingFinalizer(p) || removed.has(uid)) {
        uncountedFailed.delete(uid);
        status.failed = (status.failed ?? 0) + 1;
      }
    }

    // 4. The terminal condition, once every pod is accounted for and none is terminating.
    if (target && uncountedSucceeded.size === 0 && uncountedFailed.size === 0 && terminating === 0 && active.length === 0) {
      const terminal = target.type === 'FailureTarget' ? 'Failed' : 'Complete';
      if (setCondition(conditions, terminal, 'True', target.reason, target.message, t)) {
        if (terminal === 'Complete') {
          status.completionTime = nowRfc3339(t);
          recorder.event(job, API_VERSION, KIND, 'Normal', 'Completed', 'Job completed');
        }
        backoff.delete(key);
        expectations.deleteExpectations(key);
      }
    }
    const final = buildStatus();
    // Pods created or deleted in this sync count as the controller intends them (as upstream).
    if (activeCount > 0) final.active = activeCount;
    else delete final.active;
    job = await writeStatus(job, final);
    if (isJobFinished(job)) await syncFinished(key, job, []);
    if (manageErr !== undefined) throw manageErr;
  }

  const done = runController(queue, sync, {
    signal, caches: [jobInformer, podInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ controller: 'job', key, err: errorText(err) }, 'sync failed; requeued');
    },
  });

  return { done, sync };
}
