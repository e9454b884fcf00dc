/**
 * The StatefulSet controller (kube-controller-manager's statefulset controller, 1.32).
 *
 * sync(key) claims pods and ControllerRevisions by selector, resolves the current and update
 * revisions (creating the update revision when the template changed), then walks the ordinals:
 * - a missing pod `<set>-<n>` is created (its claims `<template>-<set>-<n>` first); with
 *   OrderedReady the walk stops until that pod is Running and Ready (and available after
 *   minReadySeconds), with Parallel it goes on;
 * - failed or succeeded pods are deleted (and recreated on a later pass); wrong identity (labels,
 *   hostname, subdomain) is patched;
 * - ordinals at or beyond `replicas` are deleted from the highest down, one at a time with
 *   OrderedReady; claims stay unless persistentVolumeClaimRetentionPolicy says Delete (then the
 *   claim gets an owner reference to the pod or the set and the garbage collector removes it);
 * - RollingUpdate deletes, from the highest ordinal down to the partition, one pod not at the
 *   update revision once every pod is healthy; OnDelete leaves pods alone;
 * - status (replicas, ready, available, current/updated, revisions, collisionCount,
 *   observedGeneration) is written and old revisions beyond revisionHistoryLimit are pruned.
 * Pod names are fixed, so creates are idempotent (AlreadyExists is fine) and need no expectations.
 */
import type { KubeObject, OwnerReference } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { StatefulSetStatus } from '../../apimachinery/generated/types.js';
import { labelSelectorFromObject, nothing } from '../../apimachinery/labels.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { PODS, claimObjects, controllerRefOf, createEventRecorder, jsonEqual, podReadySince } from '../replicaset/controller-utils.js';
import type { RevisionObject } from '../history/controller-history.js';
import {
  CONTROLLER_REVISIONS, createControllerRevision, findEqualRevisions, nextRevisionNumber,
  pruneRevisions, sortRevisions, templateFromRevision, updateRevisionNumber,
} from '../history/controller-history.js';
import type { ClaimObject, StatefulSetObject } from './stateful-set-utils.js';
import {
  POD_INDEX_LABEL, POD_NAME_LABEL, claimsFor, identityMatches, isFailedOrSucceeded, isHealthy, isRunningAndAvailable,
  isRunningAndReady, isTerminating, newStatefulSetPod, ordinalOf, podRevision, replicasOf, revisionForSet, startOrdinal,
} from './stateful-set-utils.js';

export const STATEFULSETS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'statefulsets' };
export const PVCS: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const API_VERSION = 'apps/v1';
const KIND = 'StatefulSet';

export interface StatefulSetControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface StatefulSetController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

function setSelector(set: StatefulSetObject): LabelSelector {
  if (!set.spec?.selector) return nothing();
  try {
    return labelSelectorFromObject(set.spec.selector);
  } catch {
    return nothing();
  }
}

export function startStatefulSetController(opts: StatefulSetControllerOptions): StatefulSetController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const setInformer: Informer<StatefulSetObject> = factory.informerFor<StatefulSetObject>(STATEFULSETS);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const revInformer: Informer<RevisionObject> = factory.informerFor<RevisionObject>(CONTROLLER_REVISIONS);
  const pvcInformer: Informer<ClaimObject> = factory.informerFor<ClaimObject>(PVCS);
  const queue = createWorkQueue<string>({ name: 'statefulset' });
  const recorder = createEventRecorder(client, 'statefulset-controller', logger);

  const ownerOf = (obj: KubeObject): StatefulSetObject | undefined => {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== KIND) return undefined;
    const set = setInformer.store.get(`${obj.metadata.namespace ?? ''}/${ref.name}`);
    return set && set.metadata.uid === ref.uid ? set : undefined;
  };
  const enqueueFor = (obj: KubeObject): void => {
    const owner = ownerOf(obj);
    if (owner) {
      queue.add(metaNamespaceKey(owner));
      return;
    }
    if (controllerRefOf(obj)) return;
    for (const set of setInformer.store.byIndex(NAMESPACE_INDEX, obj.metadata.namespace ?? '')) {
      const sel = setSelector(set);
      if (!sel.empty && sel.matches(obj.metadata.labels)) queue.add(metaNamespaceKey(set));
    }
  };

  setInformer.addEventHandler({
    onAdd: (set) => queue.add(metaNamespaceKey(set)),
    onUpdate: (oldSet, set) => {
      if (oldSet.metadata.resourceVersion === set.metadata.resourceVersion && oldSet !== set) return;
      queue.add(metaNamespaceKey(set));
    },
    onDelete: (obj) => queue.add(metaNamespaceKey(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj)),
  });
  for (const inf of [podInformer, revInformer] as Informer[]) {
    inf.addEventHandler({
      onAdd: (obj) => enqueueFor(obj),
      onUpdate: (oldObj, obj) => {
        if (oldObj.metadata.resourceVersion === obj.metadata.resourceVersion) return;
        enqueueFor(obj);
        if (controllerRefOf(oldObj)?.uid !== controllerRefOf(obj)?.uid) enqueueFor(oldObj);
      },
      onDelete: (obj) => enqueueFor(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
    });
  }

  async function canAdopt(set: StatefulSetObject): Promise<boolean> {
    try {
      const fresh = await client.get<StatefulSetObject>(STATEFULSETS, set.metadata.name ?? '', { namespace: set.metadata.namespace, signal });
      return fresh.metadata.uid === set.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  const event = (set: StatefulSetObject, type: 'Normal' | 'Warning', reason: string, message: string): void =>
    recorder.event(set, API_VERSION, KIND, type, reason, message);

  /** Current and update revisions (creating or renumbering the update revision as needed). */
  async function resolveRevisions(set: StatefulSetObject, revisions: RevisionObject[]): Promise<{
    current: RevisionObject; update: RevisionObject; collisionCount: number;
  }> {
    const sorted = sortRevisions(revisions);
    let collisionCount = set.status?.collisionCount ?? 0;
    const number = nextRevisionNumber(sorted);
    const candidate = revisionForSet(set, number, collisionCount);
    const equal = findEqualRevisions(sorted, candidate);
    let update: RevisionObject;
    const latest = sorted[sorted.length - 1];
    const match = equal[equal.length - 1];
    if (match && latest && match.revision === latest.revision) {
      update = match;
    } else if (match) {
      update = await updateRevisionNumber(client, match, number, signal);
    } else {
      const made = await createControllerRevision({ client, signal, collisionCount, build: (cc) => revisionForSet(set, number, cc) });
      update = made.revision;
      collisionCount = made.collisionCount;
    }
    const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  async function ensureClaims(set: StatefulSetObject, ordinal: number, pod: PodObject | undefined): Promise<void> {
    for (const claim of claimsFor(set, ordinal)) {
      const existing = pvcInformer.store.get(`${claim.metadata.namespace ?? ''}/${claim.metadata.name ?? ''}`);
      if (existing) continue;
      if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
        claim.metadata.ownerReferences = [setOwnerRef(set)];
      }
      try {
        await client.create(PVCS, claim, { namespace: set.metadata.namespace, signal });
        event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name ?? ''} Pod ${pod?.metadata.name ?? `${set.metadata.name ?? ''}-${ordinal}`} in StatefulSet ${set.metadata.name ?? ''} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name ?? ''} for Pod ${set.metadata.name ?? ''}-${ordinal} in StatefulSet ${set.metadata.name ?? ''} failed error: ${errorText(err)}`);
        throw err;
      }
    }
  }

  function setOwnerRef(set: StatefulSetObject): OwnerReference {
    return { apiVersion: API_VERSION, kind: KIND, name: set.metadata.name ?? '', uid: set.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  }

  /** Owner references the retention policy asks for on an existing pod's claims. */
  async function updateClaimOwners(set: StatefulSetObject, ordinal: number, pod: PodObject, condemned: boolean): Promise<void> {
    const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
    for (const want of claimsFor(set, ordinal)) {
      const claim = pvcInformer.store.get(`${want.metadata.namespace ?? ''}/${want.metadata.name ?? ''}`);
      if (!claim) continue;
      const refs = (claim.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid && !(r.kind === 'Pod' && r.name === pod.metadata.name));
      if (policy?.whenDeleted === 'Delete') refs.push(setOwnerRef(set));
      if (condemned && policy?.whenScaled === 'Delete' && pod.metadata.uid) {
        refs.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: pod.metadata.uid, controller: false, blockOwnerDeletion: false });
      }
      if (jsonEqual(refs, claim.metadata.ownerReferences ?? [])) continue;
      await client.patch(PVCS, claim.metadata.name ?? '', {
        namespace: claim.metadata.namespace, type: 'merge', signal,
        patch: { metadata: { ownerReferences: refs.length > 0 ? refs : null, resourceVersion: claim.metadata.resourceVersion } },
      });
    }
  }

  async function createPod(set: StatefulSetObject, rev: RevisionObject, ordinal: number): Promise<PodObject | undefined> {
    await ensureClaims(set, ordinal, undefined);
    const pod = newStatefulSetPod(set, templateFromRevision(rev) ?? set.spec?.template, rev.metadata.name ?? '', ordinal);
    try {
      const created = await client.create<PodObject>(PODS, pod, { namespace: set.metadata.namespace, signal });
      event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${set.metadata.name ?? ''} successful`);
      return created;
    } catch (err) {
      if (isAlreadyExists(err)) return undefined;
      event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name ?? ''} in StatefulSet ${set.metadata.name ?? ''} failed error: ${errorText(err)}`);
      throw err;
    }
  }

  async function deletePod(set: StatefulSetObject, pod: PodObject): Promise<void> {
    try {
      await client.delete(PODS, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace, signal, preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined,
      });
      event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${set.metadata.name ?? ''} successful`);
    } catch (err) {
      if (isNotFound(err)) return;
      event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${set.metadata.name ?? ''} failed error: ${errorText(err)}`);
      throw err;
    }
  }

  const labelsMatch = (pod: PodObject, ordinal: number): boolean =>
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name && pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal);

  async function fixIdentity(set: StatefulSetObject, pod: PodObject, ordinal: number): Promise<void> {
    const name = pod.metadata.name ?? '';
    await client.patch(PODS, name, {
      namespace: pod.metadata.namespace, type: 'strategic', signal,
      patch: {
        metadata: { labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) }, resourceVersion: pod.metadata.resourceVersion },
      },
    });
  }

  /** Walks the ordinals; returns when it must wait for a pod. */
  async function updateSet(key: string, set: StatefulSetObject, pods: PodObject[], current: RevisionObject, update: RevisionObject): Promise<PodObject[]> {
    const created: PodObject[] = [];
    const start = startOrdinal(set);
    const count = replicasOf(set);
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const minReady = set.spec?.minReadySeconds ?? 0;
    const replicas: (PodObject | undefined)[] = new Array<PodObject | undefined>(count).fill(undefined);
    const condemned: PodObject[] = [];
    for (const pod of pods) {
      const ord = ordinalOf(set, pod);
      if (ord < 0) continue;
      if (ord >= start && ord < start + count) replicas[ord - start] = pod;
      else condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(set, a) - ordinalOf(set, b));
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const firstUnhealthy = [...replicas, ...condemned].find((p) => p !== undefined && !isHealthy(p));
    const now = Date.now();

    const revisionFor = (ord: number): RevisionObject => (rolling && ord < start + partition ? current : update);

    if (monotonic) {
      for (let i = 0; i < count; i++) {
        const ord = start + i;
        const pod = replicas[i];
        if (!pod) {
          const p = await createPod(set, revisionFor(ord), ord);
          if (p) created.push(p);
          return created;
        }
        if (isFailedOrSucceeded(pod)) {
          await deletePod(set, pod);
          return created;
        }
        if (isTerminating(pod)) return created;
        if (!isRunningAndReady(pod)) return created;
        if (!isRunningAndAvailable(pod, minReady, now)) {
          const since = podReadySince(pod) ?? now;
          queue.addAfter(key, Math.max(0, since + minReady * 1000 - now) + 100);
          return created;
        }
        if (!identityMatches(set, pod, ord) && !labelsMatch(pod, ord)) await fixIdentity(set, pod, ord);
        await ensureClaims(set, ord, pod);
        await updateClaimOwners(set, ord, pod, false);
      }
    } else {
      const missing: number[] = [];
      for (let i = 0; i < count; i++) {
        const ord = start + i;
        const pod = replicas[i];
        if (!pod) {
          missing.push(ord);
          continue;
        }
        if (isFailedOrSucceeded(pod)) {
          await deletePod(set, pod);
          continue;
        }
        if (isTerminating(pod)) continue;
        if (!identityMatches(set, pod, ord) && !labelsMatch(pod, ord)) await fixIdentity(set, pod, ord);
        await ensureClaims(set, ord, pod);
        await updateClaimOwners(set, ord, pod, false);
      }
      const results = await Promise.allSettled(missing.map((ord) => createPod(set, revisionFor(ord), ord)));
      let firstErr: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          if (r.value) created.push(r.value);
        } else {
          firstErr ??= r.reason;
        }
      }
      if (firstErr !== undefined) throw firstErr;
    }

    // Scale down from the highest ordinal.
    for (let i = condemned.length - 1; i >= 0; i--) {
      const pod = condemned[i]!;
      if (isTerminating(pod)) {
        if (monotonic) return created;
        continue;
      }
      if (monotonic && !isRunningAndReady(pod) && pod !== firstUnhealthy) return created;
      await updateClaimOwners(set, ordinalOf(set, pod), pod, true);
      await deletePod(set, pod);
      if (monotonic) return created;
    }

    // Rolling update: one pod at a time from the highest ordinal down to the partition.
    if (!rolling) return created;
    for (let i = count - 1; i >= Math.max(0, partition); i--) {
      const pod = replicas[i];
      if (!pod) return created;
      if (podRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
        await deletePod(set, pod);
        return created;
      }
      if (!isHealthy(pod)) return created;
    }
    return created;
  }

  async function writeStatus(set: StatefulSetObject, status: StatefulSetStatus): Promise<void> {
    const cur = set.status ?? { replicas: 0 };
    if (jsonEqual(cur, status)) return;
    // A conflict means the cache was stale: the error requeues the key and the next sync
    // recomputes from fresh state (never write a status computed from an old view).
    await client.updateStatus<StatefulSetObject>(STATEFULSETS, { ...deepCopy(set), status }, { signal });
  }

  async function sync(key: string): Promise<void> {
    const cached = setInformer.store.get(key);
    if (!cached) return;
    const set = deepCopy(cached);
    const selector = setSelector(set);
    const ns = set.metadata.namespace ?? '';
    const pods = await claimObjects<PodObject>({
      client, owner: set, ownerApiVersion: API_VERSION, ownerKind: KIND, selector, gvr: PODS,
      candidates: podInformer.store.byIndex(NAMESPACE_INDEX, ns), canAdopt: () => canAdopt(set), signal, logger,
    });
    const revisions = await claimObjects<RevisionObject>({
      client, owner: set, ownerApiVersion: API_VERSION, ownerKind: KIND, selector, gvr: CONTROLLER_REVISIONS,
      candidates: revInformer.store.byIndex(NAMESPACE_INDEX, ns), canAdopt: () => canAdopt(set), signal, logger,
    });
    if (set.metadata.deletionTimestamp) return;
    const { current, update, collisionCount } = await resolveRevisions(set, revisions);
    let syncErr: unknown;
    let created: PodObject[] = [];
    try {
      created = await updateSet(key, set, pods, current, update);
    } catch (err) {
      syncErr = err;
    }

    // Status from the pods seen plus the ones just created.
    const all = [...pods.filter((p) => ordinalOf(set, p) >= 0), ...created];
    const now = Date.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const status: StatefulSetStatus = {
      replicas: all.length,
      readyReplicas: all.filter((p) => isRunningAndReady(p)).length,
      availableReplicas: all.filter((p) => isRunningAndAvailable(p, minReady, now)).length,
      currentReplicas: all.filter((p) => podRevision(p) === current.metadata.name).length,
      updatedReplicas: all.filter((p) => podRevision(p) === update.metadata.name).length,
      currentRevision: current.metadata.name,
      updateRevision: update.metadata.name,
      collisionCount,
      ...(set.metadata.generation ? { observedGeneration: set.metadata.generation } : {}),
      ...(set.status?.conditions ? { conditions: set.status.conditions } : {}),
    };
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    await writeStatus(set, status);
    // A ready pod becomes available minReadySeconds later.
    if (minReady > 0 && (status.readyReplicas ?? 0) > (status.availableReplicas ?? 0)) queue.addAfter(key, minReady * 1000 + 100);

    // History: keep revisions in use plus revisionHistoryLimit others.
    const live = new Set<string>([status.currentRevision ?? '', status.updateRevision ?? '']);
    for (const p of all) live.add(podRevision(p));
    await pruneRevisions({ client, revisions, current: update, live, limit: set.spec?.revisionHistoryLimit ?? 10, signal });
    if (syncErr !== undefined) throw syncErr;
  }

  const done = runController(queue, sync, {
    signal, caches: [setInformer, podInformer, revInformer, pvcInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ controller: 'statefulset', key, err: errorText(err) }, 'sync failed; requeued');
    },
  });

  return { done, sync };
}
