/**
 * The ReplicaSet controller (kube-controller-manager's replicaset controller); the same code runs
 * ReplicationControllers (`kind: 'ReplicationController'`), whose selector is a plain map.
 *
 * sync(key):
 * - claims pods: adopts active orphans matching the selector, releases owned pods that stopped
 *   matching (controller references with controller=true, blockOwnerDeletion=true);
 * - when the expectations for the key are met, creates missing pods in doubling batches
 *   (1, 2, 4, ... at most 500 per sync) with `generateName: <name>-`, or deletes the surplus
 *   ranked as upstream (unscheduled, pending, not ready, ... first);
 * - writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas with
 *   minReadySeconds, observedGeneration, ReplicaFailure condition) through the status subresource
 *   and re-checks after minReadySeconds while ready pods are not yet available.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import { labelSelectorFromObject, nothing, selectorFromSet } from '../../apimachinery/labels.js';
import type { PodTemplateSpec, ReplicaSetCondition, ReplicaSetStatus } from '../../apimachinery/generated/types.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isConflict, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createExpectations } from '../../client/expectations.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject, ReplicaSetObject } from './controller-utils.js';
import {
  PODS, REPLICASETS, REPLICATIONCONTROLLERS, claimObjects, controllerRefOf, createEventRecorder, isPodActive,
  isPodAvailable, isPodReady, jsonEqual, newControllerRef, nowRfc3339, podsToDelete,
} from './controller-utils.js';

export const BURST_REPLICAS = 500;
/** Create batches start at this size and double (upstream's SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export type ReplicaKind = 'ReplicaSet' | 'ReplicationController';

export interface ReplicaSetControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  kind: ReplicaKind;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
  burstReplicas?: number;
}

export interface ReplicaSetController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

interface KindInfo {
  gvr: GroupVersionResource;
  apiVersion: string;
  component: string;
}

const KINDS: Record<ReplicaKind, KindInfo> = {
  ReplicaSet: { gvr: REPLICASETS, apiVersion: 'apps/v1', component: 'replicaset-controller' },
  ReplicationController: { gvr: REPLICATIONCONTROLLERS, apiVersion: 'v1', component: 'replication-controller' },
};

/** The selector of a ReplicaSet (LabelSelector object) or a ReplicationController (map). */
export function replicaSelector(kind: ReplicaKind, rs: ReplicaSetObject): LabelSelector {
  const sel: unknown = rs.spec?.selector;
  if (kind === 'ReplicationController') {
    const map = (sel ?? rs.spec?.template?.metadata?.labels) as Record<string, string> | undefined;
    if (!map || Object.keys(map).length === 0) return nothing();
    return selectorFromSet(map);
  }
  if (!sel) return nothing();
  try {
    return labelSelectorFromObject(rs.spec?.selector);
  } catch {
    return nothing();
  }
}

/** The pod a template stamps out for `owner`. */
export function podFromTemplate(owner: KubeObject, apiVersion: string, kind: string, template: PodTemplateSpec | undefined): PodObject {
  const tmeta = template?.metadata ?? {};
  const pod: PodObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name ?? ''}-`,
      namespace: owner.metadata.namespace,
      ...(tmeta.labels ? { labels: { ...tmeta.labels } } : {}),
      ...(tmeta.annotations ? { annotations: { ...tmeta.annotations } } : {}),
      ...(tmeta.finalizers ? { finalizers: [...tmeta.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner, apiVersion, kind)],
    },
    spec: deepCopy(template?.spec),
  };
  return pod;
}

/** The status the pods give (conditions are kept from `rs` and adjusted by the caller). */
export function calculateReplicaStatus(rs: ReplicaSetObject, pods: PodObject[], now: number): {
  replicas: number; fullyLabeledReplicas: number; readyReplicas: number; availableReplicas: number;
} {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fully++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  return { replicas: pods.length, fullyLabeledReplicas: fully, readyReplicas: ready, availableReplicas: available };
}

export function startReplicaSetController(opts: ReplicaSetControllerOptions): ReplicaSetController {
  const { client, factory, kind, signal } = opts;
  const info = KINDS[kind];
  const logger = opts.logger ?? silentLogger;
  const burst = opts.burstReplicas ?? BURST_REPLICAS;
  const rsInformer: Informer<ReplicaSetObject> = factory.informerFor<ReplicaSetObject>(info.gvr);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const queue = createWorkQueue<string>({ name: kind });
  const expectations = createExpectations();
  /** uids of pods this controller asked to delete, per controller key. */
  const pendingDeletes = new Map<string, Set<string>>();
  const recorder = createEventRecorder(client, info.component, logger);

  const enqueue = (rs: ReplicaSetObject): void => queue.add(metaNamespaceKey(rs));

  /** The controller a controllerRef points at, when it is one of ours and the uid matches. */
  const resolveRef = (namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): ReplicaSetObject | undefined => {
    if (!ref || ref.kind !== kind) return undefined;
    const rs = rsInformer.store.get(`${namespace ?? ''}/${ref.name}`);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  };

  /** Controllers in the pod's namespace whose selector matches it (for orphans). */
  const controllersMatching = (pod: PodObject): ReplicaSetObject[] => {
    const out: ReplicaSetObject[] = [];
    for (const rs of rsInformer.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      const sel = replicaSelector(kind, rs);
      if (!sel.empty && sel.matches(pod.metadata.labels)) out.push(rs);
    }
    return out;
  };

  const observeDeletion = (pod: PodObject): void => {
    const rs = resolveRef(pod.metadata.namespace, controllerRefOf(pod));
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    const uids = pendingDeletes.get(key);
    if (uids && pod.metadata.uid && uids.delete(pod.metadata.uid)) expectations.deletionObserved(key);
    enqueue(rs);
  };

  rsInformer.addEventHandler({
    onAdd: (rs) => enqueue(rs),
    onUpdate: (oldRs, rs) => {
      if (oldRs.metadata.resourceVersion === rs.metadata.resourceVersion && oldRs !== rs) return;
      enqueue(rs);
    },
    onDelete: (obj) => {
      const rs = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const key = metaNamespaceKey(rs);
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      queue.add(key);
    },
  });

  podInformer.addEventHandler({
    onAdd: (pod) => {
      if (pod.metadata.deletionTimestamp) {
        observeDeletion(pod);
        return;
      }
      const ref = controllerRefOf(pod);
      if (ref) {
        const rs = resolveRef(pod.metadata.namespace, ref);
        if (!rs) return;
        expectations.creationObserved(metaNamespaceKey(rs));
        enqueue(rs);
        return;
      }
      for (const rs of controllersMatching(pod)) enqueue(rs);
    },
    onUpdate: (oldPod, pod) => {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const labelsChanged = !jsonEqual(oldPod.metadata.labels, pod.metadata.labels);
      if (pod.metadata.deletionTimestamp) {
        observeDeletion(pod);
        if (labelsChanged) for (const rs of controllersMatching(oldPod)) enqueue(rs);
        return;
      }
      const oldRef = controllerRefOf(oldPod);
      const ref = controllerRefOf(pod);
      if (oldRef && (!ref || oldRef.uid !== ref.uid)) {
        const old = resolveRef(oldPod.metadata.namespace, oldRef);
        if (old) enqueue(old);
      }
      if (ref) {
        const rs = resolveRef(pod.metadata.namespace, ref);
        if (!rs) return;
        enqueue(rs);
        // A pod that just became ready is available minReadySeconds later.
        const minReady = rs.spec?.minReadySeconds ?? 0;
        if (minReady > 0 && !isPodReady(oldPod) && isPodReady(pod)) queue.addAfter(metaNamespaceKey(rs), minReady * 1000 + 100);
        return;
      }
      if (labelsChanged || oldRef) for (const rs of controllersMatching(pod)) enqueue(rs);
    },
    onDelete: (obj) => {
      const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const ref = controllerRefOf(pod);
      if (!ref) return;
      const rs = resolveRef(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = metaNamespaceKey(rs);
      const uids = pendingDeletes.get(key);
      if (uids && pod.metadata.uid && uids.delete(pod.metadata.uid)) expectations.deletionObserved(key);
      enqueue(rs);
    },
  });

  async function canAdopt(rs: ReplicaSetObject): Promise<boolean> {
    try {
      const fresh = await client.get<ReplicaSetObject>(info.gvr, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal });
      return fresh.metadata.uid === rs.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Creates/deletes pods; returns an error to report after status is written. */
  async function manageReplicas(key: string, rs: ReplicaSetObject, pods: PodObject[], related: PodObject[]): Promise<unknown> {
    const want = rs.spec?.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const toCreate = Math.min(-diff, burst);
      expectations.expectCreations(key, toCreate);
      let remaining = toCreate;
      let batch = Math.min(remaining, SLOW_START_INITIAL_BATCH_SIZE);
      let firstErr: unknown;
      while (remaining > 0 && batch > 0) {
        const results = await Promise.allSettled(Array.from({ length: batch }, () =>
          client.create<PodObject>(PODS, podFromTemplate(rs, info.apiVersion, kind, rs.spec?.template), { namespace: rs.metadata.namespace, signal })));
        let failed = 0;
        for (const r of results) {
          if (r.status === 'rejected') {
            failed++;
            firstErr ??= r.reason;
          }
        }
        if (failed > 0) {
          expectations.lowerExpectations(key, failed, 0);
          recorder.event(rs, info.apiVersion, kind, 'Warning', 'FailedCreate', `Error creating: ${errorText(firstErr)}`);
        } else {
          for (const r of results) {
            if (r.status === 'fulfilled') {
              recorder.event(rs, info.apiVersion, kind, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name ?? ''}`);
            }
          }
        }
        remaining -= batch;
        if (failed > 0) {
          // The rest of this burst is skipped; lower the expectations raised for it.
          if (remaining > 0) expectations.lowerExpectations(key, remaining, 0);
          return firstErr;
        }
        batch = Math.min(remaining, batch * 2);
      }
      return undefined;
    }
    if (diff > 0) {
      const victims = podsToDelete(pods, related, Math.min(diff, burst));
      const uids = new Set(victims.map((p) => p.metadata.uid ?? ''));
      pendingDeletes.set(key, uids);
      expectations.expectDeletions(key, victims.length);
      let firstErr: unknown;
      await Promise.all(victims.map(async (pod) => {
        try {
          await client.delete(PODS, pod.metadata.name ?? '', {
            namespace: pod.metadata.namespace, signal, preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined,
          });
          recorder.event(rs, info.apiVersion, kind, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`);
        } catch (err) {
          if (uids.delete(pod.metadata.uid ?? '')) expectations.deletionObserved(key);
          if (isNotFound(err)) return;
          firstErr ??= err;
          recorder.event(rs, info.apiVersion, kind, 'Warning', 'FailedDelete', `Error deleting: ${errorText(err)}`);
        }
      }));
      return firstErr;
    }
    return undefined;
  }

  async function writeStatus(rs: ReplicaSetObject, counts: ReturnType<typeof calculateReplicaStatus>, manageErr: unknown): Promise<ReplicaSetObject> {
    const conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
    const failIdx = conditions.findIndex((c) => c.type === 'ReplicaFailure');
    const want = rs.spec?.replicas ?? 1;
    if (manageErr !== undefined && failIdx < 0) {
      const reason = counts.replicas < want ? 'FailedCreate' : 'FailedDelete';
      conditions.push({ type: 'ReplicaFailure', status: 'True', reason, message: errorText(manageErr), lastTransitionTime: nowRfc3339() });
    } else if (manageErr === undefined && failIdx >= 0) {
      conditions.splice(failIdx, 1);
    }
    // Zero counts are omitted, as upstream's omitempty fields.
    const next: ReplicaSetStatus = {
      replicas: counts.replicas,
      ...(counts.fullyLabeledReplicas ? { fullyLabeledReplicas: counts.fullyLabeledReplicas } : {}),
      ...(counts.readyReplicas ? { readyReplicas: counts.readyReplicas } : {}),
      ...(counts.availableReplicas ? { availableReplicas: counts.availableReplicas } : {}),
      ...(rs.metadata.generation ? { observedGeneration: rs.metadata.generation } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    const cur = rs.status ?? { replicas: 0 };
    const same = (cur.replicas ?? 0) === next.replicas && (cur.fullyLabeledReplicas ?? 0) === counts.fullyLabeledReplicas
      && (cur.readyReplicas ?? 0) === counts.readyReplicas && (cur.availableReplicas ?? 0) === counts.availableReplicas
      && (cur.observedGeneration ?? 0) === (rs.metadata.generation ?? 0) && jsonEqual(cur.conditions ?? [], conditions);
    if (same) return rs;
    let target = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.updateStatus<ReplicaSetObject>(info.gvr, { ...deepCopy(target), status: next }, { signal });
      } catch (err) {
        if (!isConflict(err) || attempt >= 1) throw err;
        target = await client.get<ReplicaSetObject>(info.gvr, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal });
      }
    }
  }

  async function sync(key: string): Promise<void> {
    const cached = rsInformer.store.get(key);
    if (!cached) {
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      return;
    }
    const rs = deepCopy(cached);
    const needsSync = expectations.satisfiedExpectations(key);
    const selector = replicaSelector(kind, rs);
    const all = podInformer.store.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '');
    const active = all.filter(isPodActive);
    const pods = await claimObjects<PodObject>({
      client, owner: rs, ownerApiVersion: info.apiVersion, ownerKind: kind, selector, gvr: PODS, candidates: active,
      canAdopt: () => canAdopt(rs), signal, logger,
    });
    let manageErr: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      // Pods of the same family (siblings under one Deployment) rank scale-down by node crowding.
      const owner = controllerRefOf(rs);
      const family = owner
        ? rsInformer.store.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '').filter((o) => controllerRefOf(o)?.uid === owner.uid).map((o) => o.metadata.uid)
        : [rs.metadata.uid];
      const related = active.filter((p) => family.includes(controllerRefOf(p)?.uid));
      manageErr = await manageReplicas(key, rs, pods, related);
    }
    const now = Date.now();
    const counts = calculateReplicaStatus(rs, pods, now);
    const updated = await writeStatus(rs, counts, manageErr);
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (manageErr === undefined && minReady > 0 && counts.readyReplicas === (updated.spec?.replicas ?? 1) && counts.availableReplicas !== counts.readyReplicas) {
      queue.addAfter(key, minReady * 1000);
    }
    if (manageErr !== undefined) throw manageErr;
  }

  const done = runController(queue, sync, {
    signal, caches: [rsInformer, podInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ kind, key, err: errorText(err) }, 'sync failed; requeued');
    },
  });

  return { done, sync };
}
