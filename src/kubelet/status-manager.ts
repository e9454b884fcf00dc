/**
 * The kubelet's status manager: holds the status the kubelet generated for each pod and writes it
 * through `pods/<name>/status` only when it differs from what was last written. Writes are
 * full-object updates from the newest pod we know (the informer's, or the answer to our own last
 * write), keeping conditions the kubelet does not own from that object; a 409 re-reads the pod and
 * tries again. One write per pod at a time, a shared concurrency limit across pods.
 *
 * Once the kubelet reports a pod terminated and its final status is written, a pod that is being
 * deleted is removed for good: DELETE with `gracePeriodSeconds: 0` and a UID precondition.
 * Everything here is idempotent; failures are retried on the shared timer queue.
 */
import type { Pod, PodStatus } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { RestClient } from '../client/rest-client.js';
import { isConflict, isNotFound } from '../client/rest-client.js';
import type { Logger } from '../client/logger.js';
import { errorText, silentLogger } from '../client/logger.js';
import type { Limiter } from './limiter.js';
import type { TimerQueue } from './timer-queue.js';
import { KUBELET_CONDITIONS } from './pod-status.js';

export const PODS_GVR = { group: '', version: 'v1', resource: 'pods' };

export interface StatusManager {
  /** Our last generated status for the pod. */
  getPodStatus(uid: string): PodStatus | undefined;
  /** Records the generated status and writes it if it changed. */
  setPodStatus(pod: Pod, status: PodStatus): void;
  /** A newer pod object (informer); used as the base of the next write. */
  observe(pod: Pod): void;
  /** The pod is terminated on this node: once its status is written, delete it if it is being deleted. */
  terminated(pod: Pod): void;
  forget(uid: string): void;
  /** Resolves when no write is pending or running. */
  flush(): Promise<void>;
  readonly pending: number;
}

interface Entry {
  uid: string;
  base: Pod;
  status: PodStatus | undefined;
  statusJson: string;
  sentJson: string;
  writing: boolean;
  dirty: boolean;
  deleteWanted: boolean;
  deleted: boolean;
  retryAt: number;
  forgotten: boolean;
}

/** true when resourceVersion `a` is newer than `b` (numeric RVs; otherwise trust `a`). */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

/** Kubelet-generated status onto the base pod's status: others' conditions stay. */
export function mergeStatus(base: PodStatus | undefined, ours: PodStatus): PodStatus {
  const owned = KUBELET_CONDITIONS as readonly string[];
  const others = (base?.conditions ?? []).filter((c) => !owned.includes(c.type));
  const mine = (ours.conditions ?? []).filter((c) => owned.includes(c.type));
  const merged: PodStatus = { ...ours, conditions: [...others, ...mine] };
  if (base?.nominatedNodeName && !merged.nominatedNodeName) merged.nominatedNodeName = base.nominatedNodeName;
  if (base?.qosClass && !merged.qosClass) merged.qosClass = base.qosClass;
  if (base?.resourceClaimStatuses) merged.resourceClaimStatuses = base.resourceClaimStatuses;
  return merged;
}

export function createStatusManager(opts: {
  client: RestClient;
  timers: TimerQueue;
  limiter: Limiter;
  logger?: Logger;
  fieldManager?: string;
  /** Called when `status` is in the API (written now, or found there already). */
  onWritten?: (pod: Pod, status: PodStatus) => void;
}): StatusManager {
  const { client, timers, limiter } = opts;
  const logger = opts.logger ?? silentLogger;
  const entries = new Map<string, Entry>();
  const idle: (() => void)[] = [];
  let busy = 0;

  function entryFor(pod: Pod): Entry {
    const uid = pod.metadata?.uid ?? '';
    let e = entries.get(uid);
    if (!e) {
      e = {
        uid, base: pod, status: undefined, statusJson: '', sentJson: JSON.stringify(pod.status ?? {}), writing: false, dirty: false,
        deleteWanted: false, deleted: false, retryAt: 0, forgotten: false,
      };
      entries.set(uid, e);
    } else if (newer(pod.metadata?.resourceVersion, e.base.metadata?.resourceVersion)) e.base = pod;
    return e;
  }

  function done(): void {
    busy--;
    if (busy === 0) for (const f of idle.splice(0)) f();
  }

  function kick(e: Entry): void {
    if (e.writing) {
      e.dirty = true;
      return;
    }
    e.writing = true;
    busy++;
    void run(e).finally(() => {
      e.writing = false;
      done();
      if (e.dirty && !e.forgotten) kick(e);
    });
  }

  function retryLater(e: Entry, err: unknown): void {
    logger.info({ pod: `${e.base.metadata?.namespace}/${e.base.metadata?.name}`, err: errorText(err) }, 'pod status write failed; retrying');
    const at = timers.now() + 2000;
    if (e.retryAt && e.retryAt <= at) return;
    e.retryAt = at;
    timers.at(at, () => {
      e.retryAt = 0;
      if (!e.forgotten) kick(e);
    });
  }

  async function writeStatus(e: Entry): Promise<boolean> {
    const status = e.status;
    const json = e.statusJson;
    if (!status) return true;
    for (let attempt = 0; attempt < 6; attempt++) {
      const base = e.base;
      const body: Pod = { ...base, status: mergeStatus(base.status, status) };
      if (JSON.stringify(body.status) === JSON.stringify(base.status ?? {})) {
        e.sentJson = json;
        opts.onWritten?.(base, status);
        return true;
      }
      logger.debug({ pod: base.metadata?.name, rv: base.metadata?.resourceVersion, attempt }, 'writing pod status');
      try {
        const updated = await limiter.run(() => client.updateStatus(PODS_GVR, body as unknown as KubeObject, {
          namespace: base.metadata?.namespace, fieldManager: opts.fieldManager,
        }));
        const pod = updated as unknown as Pod;
        if (newer(pod.metadata?.resourceVersion, e.base.metadata?.resourceVersion)) e.base = pod;
        e.sentJson = json;
        opts.onWritten?.(pod, status);
        return true;
      } catch (err) {
        if (isNotFound(err)) {
          e.deleted = true;
          return true;
        }
        logger.debug({ pod: base.metadata?.name, err: errorText(err) }, 'pod status write error');
        if (!isConflict(err)) throw err;
        const fresh = await limiter.run(() => client.get(PODS_GVR, base.metadata?.name ?? '', { namespace: base.metadata?.namespace }));
        const freshPod = fresh as unknown as Pod;
        if (freshPod.metadata?.uid !== e.uid) {
          e.deleted = true;
          return true;
        }
        e.base = freshPod;
      }
    }
    return false;
  }

  async function run(e: Entry): Promise<void> {
    do {
      e.dirty = false;
      if (e.deleted || e.forgotten) return;
      try {
        if (e.statusJson && e.statusJson !== e.sentJson) {
          if (!(await writeStatus(e))) {
            retryLater(e, new Error('too many conflicts'));
            return;
          }
        }
        if (e.deleteWanted && !e.deleted && e.statusJson === e.sentJson && e.base.metadata?.deletionTimestamp) {
          const meta = e.base.metadata;
          try {
            await limiter.run(() => client.delete(PODS_GVR, meta.name ?? '', {
              namespace: meta.namespace, gracePeriodSeconds: 0, preconditions: { uid: e.uid },
            }));
          } catch (err) {
            if (!isNotFound(err) && !isConflict(err)) throw err;
          }
          e.deleted = true;
        }
      } catch (err) {
        retryLater(e, err);
        return;
      }
    } while (e.dirty);
  }

  return {
    getPodStatus: (uid) => entries.get(uid)?.status,
    setPodStatus(pod, status) {
      const e = entryFor(pod);
      const json = JSON.stringify(status);
      if (json === e.statusJson) return;
      e.status = status;
      e.statusJson = json;
      kick(e);
    },
    observe(pod) {
      const e = entries.get(pod.metadata?.uid ?? '');
      if (!e) return;
      if (newer(pod.metadata?.resourceVersion, e.base.metadata?.resourceVersion)) e.base = pod;
      if (e.deleteWanted && pod.metadata?.deletionTimestamp) kick(e);
    },
    terminated(pod) {
      const e = entryFor(pod);
      e.deleteWanted = true;
      kick(e);
    },
    forget(uid) {
      const e = entries.get(uid);
      if (e) e.forgotten = true;
      entries.delete(uid);
    },
    flush() {
      if (busy === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    get pending() {
      return busy;
    },
  };
}
