/**
 * Pure Job arithmetic as kube-controller-manager's job controller does it: completion indexes
 * and their compressed "1,3-5" form, pod failure policy matching, pod failure back-off, the
 * conditions and their upstream reasons/messages. Inputs are read-only.
 */
import type { JobCondition, JobSpec, JobStatus, PodFailurePolicyRule } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { nowRfc3339 } from '../replicaset/controller-utils.js';

export type JobObject = KubeObject & { spec?: JobSpec; status?: JobStatus };

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export const REASON_BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
export const REASON_DEADLINE_EXCEEDED = 'DeadlineExceeded';
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';
export const MESSAGE_BACKOFF_LIMIT_EXCEEDED = 'Job has reached the specified backoff limit';
export const MESSAGE_DEADLINE_EXCEEDED = 'Job was active longer than specified deadline';
export const MESSAGE_COMPLETIONS_REACHED = 'Reached expected number of succeeded pods';

/** Pod failure back-off: 10 s doubling per failure since the last success, capped at 6 min. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;

export function conditionOf(job: JobObject, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

export function hasTrueCondition(job: JobObject, type: string): boolean {
  return conditionOf(job, type)?.status === 'True';
}

/** Complete or Failed (true). */
export function isJobFinished(job: JobObject): boolean {
  return hasTrueCondition(job, 'Complete') || hasTrueCondition(job, 'Failed');
}

/** When the job finished (the terminal condition's transition time), ms. */
export function finishTime(job: JobObject): number | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') {
      const t = Date.parse(c.lastTransitionTime ?? '');
      return Number.isNaN(t) ? undefined : t;
    }
  }
  return undefined;
}

/**
 * Sets the condition: a new one is appended; an existing one with another status is replaced
 * (new transition time); same status keeps its transition time but takes reason/message.
 * Returns whether anything changed.
 */
export function setCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now = Date.now()): boolean {
  const ts = nowRfc3339(now);
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) {
    conditions.push({ type, status, reason, message, lastProbeTime: ts, lastTransitionTime: ts });
    return true;
  }
  const c = conditions[i]!;
  if (c.status !== status) {
    conditions[i] = { type, status, reason, message, lastProbeTime: ts, lastTransitionTime: ts };
    return true;
  }
  if (c.reason === reason && c.message === message) return false;
  conditions[i] = { ...c, reason, message, lastProbeTime: ts };
  return true;
}

/** Parses "1,3-5" into a sorted set of indexes (bad parts are ignored). */
export function parseIndexes(s: string | undefined, below = Number.MAX_SAFE_INTEGER): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let i = a; i <= b && i < below; i++) out.add(i);
  }
  return out;
}

/** Sorted indexes in the compressed form the API shows ("0-2,5"). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/** The pod's completion index (annotation, then label), or undefined. */
export function podCompletionIndex(pod: PodObject): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata.labels?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function isIndexed(job: JobObject): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function hasTrackingFinalizer(pod: PodObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** Pods are replaced only once Failed (not while terminating) when the policy says so. */
export function onlyReplaceFailedPods(job: JobObject): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy !== undefined;
}

/** Failed, or (unless only failed pods count) deleted before it succeeded (upstream isPodFailed). */
export function isPodFailed(pod: PodObject, job: JobObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null && pod.status?.phase !== 'Succeeded';
}

export function isPodSucceeded(pod: PodObject): boolean {
  return pod.status?.phase === 'Succeeded';
}

/** Being deleted and not yet terminal. */
export function isPodTerminating(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PolicyMatch {
  action: PodFailurePolicyAction;
  /** The FailureTarget message when the action is FailJob. */
  message?: string;
}

function exitCodeMatches(rule: PodFailurePolicyRule, pod: PodObject): { container: string; code: number } | undefined {
  const req = rule.onExitCodes;
  if (!req) return undefined;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const cs of statuses) {
    if (req.containerName && req.containerName !== cs.name) continue;
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return { container: cs.name, code };
  }
  return undefined;
}

/** The first podFailurePolicy rule matching a failed pod, as upstream's matchPodFailurePolicy. */
export function matchPodFailurePolicy(job: JobObject, pod: PodObject): PolicyMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action = rule.action as PodFailurePolicyAction;
    const exit = exitCodeMatches(rule, pod);
    if (exit) {
      return {
        action,
        message: `Container ${exit.container} for pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} failed with exit code ${exit.code} matching ${action} rule at index ${i}`,
      };
    }
    for (const pattern of rule.onPodConditions ?? []) {
      const c = pod.status?.conditions?.find((x) => x.type === pattern.type && x.status === (pattern.status ?? 'True'));
      if (c) {
        return {
          action,
          message: `Pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} has condition ${pattern.type} matching ${action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}

/** Back-off before the next pod after `failures` failures since the last success. */
export function podFailureBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  const d = DEFAULT_POD_FAILURE_BACKOFF_MS * Math.pow(2, failures - 1);
  return Math.min(d, MAX_POD_FAILURE_BACKOFF_MS);
}

/** restartPolicy OnFailure: container restarts of running pods count against backoffLimit. */
export function pastBackoffLimitOnFailure(job: JobObject, pods: PodObject[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    const phase = p.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** How many pods should be running now (non-indexed). */
export function wantActive(job: JobObject, succeeded: number): number {
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? 0 : parallelism;
  return Math.max(0, Math.min(parallelism, completions - succeeded));
}

/** Indexes in [0, completions) neither succeeded nor held by an active pod, lowest first. */
export function missingIndexes(completions: number, succeeded: Set<number>, active: Set<number>, max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < max; i++) {
    if (!succeeded.has(i) && !active.has(i)) out.push(i);
  }
  return out;
}
