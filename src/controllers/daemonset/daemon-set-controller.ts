/**
 * The DaemonSet controller (kube-controller-manager's daemon controller, 1.32).
 *
 * sync(key) claims pods and ControllerRevisions, snapshots the template as a revision
 * `<ds>-<hash>` (pods carry `controller-revision-hash: <hash>`), then per node:
 * - a node that should run the daemon (nodeSelector, required node affinity, taints vs the
 *   template's plus the automatic daemon tolerations) and has no pod gets one, bound through a
 *   required node affinity on `metadata.name` (the scheduler places it);
 * - failed pods are deleted (and replaced later); extra pods on a node are deleted (oldest kept);
 * - a node that may no longer run it (selector changed, untolerated NoExecute taint) loses it;
 * - RollingUpdate replaces old pods within maxUnavailable (delete, then create) or maxSurge
 *   (create, then delete the old one once the new one is available); OnDelete waits;
 * - status (desired/current/misscheduled/ready/updated/available/unavailable, observedGeneration,
 *   collisionCount) is written; old revisions beyond revisionHistoryLimit are pruned.
 * Creates and deletes raise expectations first, so a slow watch never causes duplicates.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { DaemonSetStatus } from '../../apimachinery/generated/types.js';
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
import { PODS, claimObjects, controllerRefOf, createEventRecorder, isPodAvailable, isPodReady, jsonEqual } from '../replicaset/controller-utils.js';
import { computeHash, scaledValue } from '../deployment/deployment-util.js';
import type { RevisionObject } from '../history/controller-history.js';
import {
  CONTROLLER_REVISIONS, POD_REVISION_LABEL, createControllerRevision, equalRevision,
  newControllerRevision, nextRevisionNumber, pruneRevisions, templatePatch, updateRevisionNumber,
} from '../history/controller-history.js';
import type { DaemonSetObject, NodeObject } from './daemon-set-utils.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName } from './daemon-set-utils.js';

export const DAEMONSETS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'daemonsets' };
export const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
const API_VERSION = 'apps/v1';
const KIND = 'DaemonSet';
const BURST = 250;

export interface DaemonSetControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface DaemonSetController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

function dsSelector(ds: DaemonSetObject): LabelSelector {
  if (!ds.spec?.selector) return nothing();
  try {
    return labelSelectorFromObject(ds.spec.selector);
  } catch {
    return nothing();
  }
}

function revisionFor(ds: DaemonSetObject, hash: string, revision: number): RevisionObject {
  return newControllerRevision({
    owner: ds, ownerApiVersion: API_VERSION, ownerKind: KIND, labels: ds.spec?.template?.metadata?.labels,
    annotations: ds.metadata.annotations, data: templatePatch(ds.spec?.template), revision, hash, hashLabel: POD_REVISION_LABEL,
  });
}

export function startDaemonSetController(opts: DaemonSetControllerOptions): DaemonSetController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const dsInformer: Informer<DaemonSetObject> = factory.informerFor<DaemonSetObject>(DAEMONSETS);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const nodeInformer: Informer<NodeObject> = factory.informerFor<NodeObject>(NODES);
  const revInformer: Informer<RevisionObject> = factory.informerFor<RevisionObject>(CONTROLLER_REVISIONS);
  const queue = createWorkQueue<string>({ name: 'daemonset' });
  const expectations = createExpectations();
  const pendingDeletes = new Map<string, Set<string>>();
  const recorder = createEventRecorder(client, 'daemonset-controller', logger);

  const ownerOf = (obj: KubeObject): DaemonSetObject | undefined => {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== KIND) return undefined;
    const ds = dsInformer.store.get(`${obj.metadata.namespace ?? ''}/${ref.name}`);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  };
  const enqueueMatching = (obj: KubeObject): void => {
    for (const ds of dsInformer.store.byIndex(NAMESPACE_INDEX, obj.metadata.namespace ?? '')) {
      const sel = dsSelector(ds);
      if (!sel.empty && sel.matches(obj.metadata.labels)) queue.add(metaNamespaceKey(ds));
    }
  };
  const enqueueAll = (): void => {
    for (const ds of dsInformer.store.list()) queue.add(metaNamespaceKey(ds));
  };
  const observeDeletion = (ds: DaemonSetObject, pod: PodObject): void => {
    const key = metaNamespaceKey(ds);
    const uids = pendingDeletes.get(key);
    if (uids && pod.metadata.uid && uids.delete(pod.metadata.uid)) expectations.deletionObserved(key);
  };

  dsInformer.addEventHandler({
    onAdd: (ds) => queue.add(metaNamespaceKey(ds)),
    onUpdate: (oldDs, ds) => {
      if (oldDs.metadata.resourceVersion === ds.metadata.resourceVersion && oldDs !== ds) return;
      queue.add(metaNamespaceKey(ds));
    },
    onDelete: (obj) => {
      const ds = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const key = metaNamespaceKey(ds);
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      queue.add(key);
    },
  });
  podInformer.addEventHandler({
    onAdd: (pod) => {
      const ds = ownerOf(pod);
      if (ds) {
        if (pod.metadata.deletionTimestamp) observeDeletion(ds, pod);
        else expectations.creationObserved(metaNamespaceKey(ds));
        queue.add(metaNamespaceKey(ds));
      } else if (!controllerRefOf(pod)) enqueueMatching(pod);
    },
    onUpdate: (oldPod, pod) => {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const ds = ownerOf(pod);
      if (ds) {
        if (pod.metadata.deletionTimestamp && !oldPod.metadata.deletionTimestamp) observeDeletion(ds, pod);
        queue.add(metaNamespaceKey(ds));
        const minReady = ds.spec?.minReadySeconds ?? 0;
        if (minReady > 0 && !isPodReady(oldPod) && isPodReady(pod)) queue.addAfter(metaNamespaceKey(ds), minReady * 1000 + 100);
      } else if (!controllerRefOf(pod)) enqueueMatching(pod);
      const old = ownerOf(oldPod);
      if (old && old !== ds) queue.add(metaNamespaceKey(old));
    },
    onDelete: (obj) => {
      const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const ds = ownerOf(pod);
      if (!ds) return;
      observeDeletion(ds, pod);
      queue.add(metaNamespaceKey(ds));
    },
  });
  nodeInformer.addEventHandler({
    onAdd: () => enqueueAll(),
    onUpdate: (oldNode, node) => {
      if (oldNode.metadata.resourceVersion === node.metadata.resourceVersion) return;
      if (!jsonEqual(oldNode.metadata.labels, node.metadata.labels) || !jsonEqual(oldNode.spec, node.spec)) enqueueAll();
    },
    onDelete: () => enqueueAll(),
  });
  revInformer.addEventHandler({
    onAdd: (rev) => {
      const ds = ownerOf(rev);
      if (ds) queue.add(metaNamespaceKey(ds));
    },
    onDelete: (obj) => {
      const ds = ownerOf(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj);
      if (ds) queue.add(metaNamespaceKey(ds));
    },
  });

  async function canAdopt(ds: DaemonSetObject): Promise<boolean> {
    try {
      const fresh = await client.get<DaemonSetObject>(DAEMONSETS, ds.metadata.name ?? '', { namespace: ds.metadata.namespace, signal });
      return fresh.metadata.uid === ds.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** The current revision (created or renumbered as needed) and the collision count to store. */
  async function constructHistory(ds: DaemonSetObject, revisions: RevisionObject[]): Promise<{ hash: string; cur: RevisionObject; collisionCount: number }> {
    let collisionCount = ds.status?.collisionCount ?? 0;
    const hash = computeHash(ds.spec?.template, collisionCount);
    const max = nextRevisionNumber(revisions) - 1;
    const probe = revisionFor(ds, hash, max + 1);
    const matching = revisions.filter((r) => r.metadata.labels?.[POD_REVISION_LABEL] === hash || equalRevision(r, probe));
    const existing = matching.sort((a, b) => b.revision - a.revision)[0];
    if (existing) {
      const cur = existing.revision < max ? await updateRevisionNumber(client, existing, max + 1, signal) : existing;
      return { hash: cur.metadata.labels?.[POD_REVISION_LABEL] ?? hash, cur, collisionCount };
    }
    const made = await createControllerRevision({
      client, signal, collisionCount, build: (cc) => revisionFor(ds, computeHash(ds.spec?.template, cc), max + 1),
    });
    collisionCount = made.collisionCount;
    return { hash: made.revision.metadata.labels?.[POD_REVISION_LABEL] ?? hash, cur: made.revision, collisionCount };
  }

  async function createPods(key: string, ds: DaemonSetObject, hash: string, nodes: string[]): Promise<unknown> {
    const targets = nodes.slice(0, BURST);
    if (targets.length === 0) return undefined;
    expectations.expectCreations(key, targets.length);
    let next = 0;
    let batch = 1;
    while (next < targets.length) {
      const chunk = targets.slice(next, next + batch);
      next += chunk.length;
      const results = await Promise.allSettled(chunk.map((node) =>
        client.create<PodObject>(PODS, newDaemonPod(ds, ds.spec?.template, hash, node), { namespace: ds.metadata.namespace, signal })));
      let failed = 0;
      let firstErr: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') recorder.event(ds, API_VERSION, KIND, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name ?? ''}`);
        else {
          failed++;
          firstErr ??= r.reason;
        }
      }
      if (failed > 0) {
        expectations.lowerExpectations(key, failed + (targets.length - next), 0);
        recorder.event(ds, API_VERSION, KIND, 'Warning', 'FailedCreate', `Error creating: ${errorText(firstErr)}`);
        return firstErr;
      }
      batch *= 2;
    }
    return undefined;
  }

  async function deletePods(key: string, ds: DaemonSetObject, victims: PodObject[]): Promise<unknown> {
    if (victims.length === 0) return undefined;
    const uids = pendingDeletes.get(key) ?? new Set<string>();
    pendingDeletes.set(key, uids);
    for (const p of victims) if (p.metadata.uid) uids.add(p.metadata.uid);
    if (expectations.getExpectations(key)) expectations.raiseExpectations(key, 0, victims.length);
    else expectations.expectDeletions(key, victims.length);
    let firstErr: unknown;
    await Promise.all(victims.map(async (pod) => {
      try {
        await client.delete(PODS, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace, signal, preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined,
        });
        recorder.event(ds, API_VERSION, KIND, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`);
      } catch (err) {
        if (uids.delete(pod.metadata.uid ?? '')) expectations.deletionObserved(key);
        if (isNotFound(err)) return;
        firstErr ??= err;
        recorder.event(ds, API_VERSION, KIND, 'Warning', 'FailedDelete', `Error deleting: ${errorText(err)}`);
      }
    }));
    return firstErr;
  }

  async function writeStatus(ds: DaemonSetObject, status: DaemonSetStatus): Promise<void> {
    if (jsonEqual(ds.status ?? {}, status)) return;
    // A conflict means the cache was stale: the error requeues the key and the next sync
    // recomputes from fresh state (never write a status computed from an old view).
    await client.updateStatus<DaemonSetObject>(DAEMONSETS, { ...deepCopy(ds), status }, { signal });
  }

  async function sync(key: string): Promise<void> {
    const cached = dsInformer.store.get(key);
    if (!cached) {
      expectations.deleteExpectations(key);
      pendingDeletes.delete(key);
      return;
    }
    const ds = deepCopy(cached);
    const ns = ds.metadata.namespace ?? '';
    const selector = dsSelector(ds);
    const pods = await claimObjects<PodObject>({
      client, owner: ds, ownerApiVersion: API_VERSION, ownerKind: KIND, selector, gvr: PODS,
      candidates: podInformer.store.byIndex(NAMESPACE_INDEX, ns), canAdopt: () => canAdopt(ds), signal, logger,
    });
    const revisions = await claimObjects<RevisionObject>({
      client, owner: ds, ownerApiVersion: API_VERSION, ownerKind: KIND, selector, gvr: CONTROLLER_REVISIONS,
      candidates: revInformer.store.byIndex(NAMESPACE_INDEX, ns), canAdopt: () => canAdopt(ds), signal, logger,
    });
    if (ds.metadata.deletionTimestamp) return;
    const { hash, cur, collisionCount } = await constructHistory(ds, revisions);

    const byNode = new Map<string, PodObject[]>();
    for (const pod of pods) {
      const node = targetNodeName(pod);
      if (!node) continue;
      const list = byNode.get(node) ?? [];
      list.push(pod);
      byNode.set(node, list);
    }
    const nodes = nodeInformer.store.list();
    const now = Date.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const created = (p: PodObject): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
    const isNew = (p: PodObject): boolean => p.metadata.labels?.[POD_REVISION_LABEL] === hash;

    let manageErr: unknown;
    if (expectations.satisfiedExpectations(key)) {
      const toCreate: string[] = [];
      const toDelete: PodObject[] = [];
      const rolling = (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
      const desiredNodes = nodes.filter((n) => nodeShouldRunDaemonPod(ds, n)[0]);
      const desired = desiredNodes.length;
      const maxSurge = rolling ? scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge ?? 0, desired, true) : 0;
      let maxUnavailable = rolling ? scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired, true) : 0;
      if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      const candidates: { node: string; old: PodObject; fresh?: PodObject }[] = [];
      let unavailable = 0;
      let surging = 0;
      for (const node of nodes) {
        const name = node.metadata.name ?? '';
        const [shouldRun, shouldContinue] = nodeShouldRunDaemonPod(ds, node);
        const live = (byNode.get(name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
        if (!shouldContinue) {
          toDelete.push(...live);
          continue;
        }
        const failed = live.filter((p) => p.status?.phase === 'Failed');
        toDelete.push(...failed);
        const running = live.filter((p) => p.status?.phase !== 'Failed').sort((a, b) => created(a) - created(b));
        if (!shouldRun) continue;
        if (running.length === 0) {
          toCreate.push(name);
          unavailable++;
          continue;
        }
        const newest = running.filter(isNew);
        const olds = running.filter((p) => !isNew(p));
        // Extra pods: keep the oldest new and the oldest old (a surge pair), delete the rest.
        toDelete.push(...newest.slice(1), ...olds.slice(1));
        const fresh = newest[0];
        const old = olds[0];
        const avail = (p: PodObject | undefined): boolean => p !== undefined && isPodAvailable(p, minReady, now);
        if (fresh && old) {
          surging++;
          if (avail(fresh)) toDelete.push(old);
          else if (!avail(old)) unavailable++;
          continue;
        }
        const only = fresh ?? old;
        if (!avail(only)) unavailable++;
        if (old && !fresh) candidates.push({ node: name, old });
      }
      if (rolling) {
        for (const c of candidates) {
          const oldAvailable = isPodAvailable(c.old, minReady, now);
          if (maxSurge > 0) {
            if (!oldAvailable || surging < maxSurge) {
              toCreate.push(c.node);
              if (oldAvailable) surging++;
            }
          } else if (!oldAvailable) {
            toDelete.push(c.old);
          } else if (unavailable < maxUnavailable) {
            toDelete.push(c.old);
            unavailable++;
          }
        }
      }
      const delErr = await deletePods(key, ds, [...new Set(toDelete)]);
      const createErr = await createPods(key, ds, hash, toCreate);
      manageErr = delErr ?? createErr;
    }

    // Status.
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const [shouldRun] = nodeShouldRunDaemonPod(ds, node);
      const live = (byNode.get(node.metadata.name ?? '') ?? []).filter((p) => !p.metadata.deletionTimestamp)
        .sort((a, b) => created(a) - created(b));
      if (shouldRun) {
        desired++;
        if (live.length === 0) continue;
        current++;
        const pod = live[0]!;
        if (isPodReady(pod)) {
          ready++;
          if (isPodAvailable(pod, minReady, now)) available++;
        }
        if (live.some(isNew)) updated++;
      } else if (live.length > 0) {
        misscheduled++;
      }
    }
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      ...(ds.metadata.generation ? { observedGeneration: ds.metadata.generation } : {}),
      ...(updated > 0 ? { updatedNumberScheduled: updated } : {}),
      ...(available > 0 ? { numberAvailable: available } : {}),
      ...(desired - available > 0 ? { numberUnavailable: desired - available } : {}),
      ...(collisionCount > 0 || ds.status?.collisionCount !== undefined ? { collisionCount } : {}),
      ...(ds.status?.conditions ? { conditions: ds.status.conditions } : {}),
    };
    await writeStatus(ds, status);
    if (minReady > 0 && ready > available) queue.addAfter(key, minReady * 1000 + 100);

    // History.
    const live = new Set<string>([cur.metadata.name ?? '']);
    for (const p of pods) {
      const h = p.metadata.labels?.[POD_REVISION_LABEL];
      if (h) live.add(`${ds.metadata.name ?? ''}-${h}`);
    }
    await pruneRevisions({ client, revisions, current: cur, live, limit: ds.spec?.revisionHistoryLimit ?? 10, signal });
    if (manageErr !== undefined) throw manageErr;
  }

  const done = runController(queue, sync, {
    signal, caches: [dsInformer, podInformer, nodeInformer, revInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ controller: 'daemonset', key, err: errorText(err) }, 'sync failed; requeued');
    },
  });

  return { done, sync };
}
