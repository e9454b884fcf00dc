/**
 * The Deployment controller (kube-controller-manager's deployment controller).
 *
 * sync(key) reads the Deployment and the ReplicaSets it claims (adopting matching orphans,
 * releasing ones that stopped matching), then:
 * - pauses / resumes: Progressing=Unknown with DeploymentPaused / DeploymentResumed;
 * - paused or a scaling event (an active RS's desired-replicas annotation differs from
 *   spec.replicas): proportional scaling only, then status;
 * - otherwise a Recreate or RollingUpdate rollout step. The new ReplicaSet is the oldest one whose
 *   template equals the Deployment's (so `rollout undo` reuses the old RS and bumps its revision),
 *   else `<name>-<pod-template-hash>` is created. Old ReplicaSets beyond revisionHistoryLimit are
 *   deleted once the rollout is complete;
 * - status and the Available / Progressing conditions, re-checked at the progress deadline.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import { labelSelectorFromObject } from '../../apimachinery/labels.js';
import type { DeploymentStatus } from '../../apimachinery/generated/types.js';
import type { RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { DeploymentObject, PodObject, ReplicaSetObject } from '../replicaset/controller-utils.js';
import {
  DEPLOYMENTS, PODS, REPLICASETS, claimObjects, controllerRefOf, createEventRecorder, jsonEqual, newControllerRef,
} from '../replicaset/controller-utils.js';
import {
  POD_TEMPLATE_HASH_LABEL, REASON_FOUND_NEW_RS, REASON_NEW_RS_AVAILABLE, REASON_NEW_RS_CREATED, REASON_PAUSED,
  REASON_RESUMED, REASON_RS_UPDATED, REASON_TIMED_OUT, REVISION_ANNOTATION, byCreation, byRevision, bySize,
  calculateStatus, compactStatus, computeHash, deploymentComplete, deploymentProgressing, deploymentTimedOut,
  desiredReplicasAnnotation, equalIgnoreHash, filterActive, findActiveOrLatest, findNewReplicaSet, getCondition,
  hasProgressDeadline, hasRevisionHistoryLimit, isRollingUpdate, isSaturated, maxRevision, maxSurge, maxUnavailable,
  newCondition, newRSNewReplicas, proportion, removeCondition, replicasAnnotationsNeedUpdate,
  setCondition, setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicas, statusEqual, sumSpecReplicas,
  sumStatus,
} from './deployment-util.js';

const APPS_V1 = 'apps/v1';

export interface DeploymentControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface DeploymentController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

export function startDeploymentController(opts: DeploymentControllerOptions): DeploymentController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const dInformer: Informer<DeploymentObject> = factory.informerFor<DeploymentObject>(DEPLOYMENTS);
  const rsInformer: Informer<ReplicaSetObject> = factory.informerFor<ReplicaSetObject>(REPLICASETS);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const queue = createWorkQueue<string>({ name: 'deployment' });
  const recorder = createEventRecorder(client, 'deployment-controller', logger);

  const enqueue = (d: DeploymentObject): void => queue.add(metaNamespaceKey(d));
  const event = (d: DeploymentObject, type: 'Normal' | 'Warning', reason: string, message: string): void =>
    recorder.event(d, APPS_V1, 'Deployment', type, reason, message);

  const resolveRef = (namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): DeploymentObject | undefined => {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = dInformer.store.get(`${namespace ?? ''}/${ref.name}`);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  };

  const deploymentsMatching = (rs: ReplicaSetObject): DeploymentObject[] => {
    const out: DeploymentObject[] = [];
    for (const d of dInformer.store.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '')) {
      try {
        const sel = labelSelectorFromObject(d.spec?.selector);
        if (!sel.empty && sel.matches(rs.metadata.labels)) out.push(d);
      } catch {
        // an invalid selector matches nothing
      }
    }
    return out;
  };

  dInformer.addEventHandler({
    onAdd: (d) => enqueue(d),
    onUpdate: (_old, d) => enqueue(d),
    onDelete: (obj) => queue.add(metaNamespaceKey(obj)),
  });

  rsInformer.addEventHandler({
    onAdd: (rs) => {
      const ref = controllerRefOf(rs);
      if (ref) {
        const d = resolveRef(rs.metadata.namespace, ref);
        if (d) enqueue(d);
        return;
      }
      for (const d of deploymentsMatching(rs)) enqueue(d);
    },
    onUpdate: (oldRs, rs) => {
      if (oldRs.metadata.resourceVersion === rs.metadata.resourceVersion) return;
      const oldRef = controllerRefOf(oldRs);
      const ref = controllerRefOf(rs);
      if (oldRef && (!ref || oldRef.uid !== ref.uid)) {
        const d = resolveRef(oldRs.metadata.namespace, oldRef);
        if (d) enqueue(d);
      }
      if (ref) {
        const d = resolveRef(rs.metadata.namespace, ref);
        if (d) enqueue(d);
        return;
      }
      if (!jsonEqual(oldRs.metadata.labels, rs.metadata.labels) || oldRef) for (const d of deploymentsMatching(rs)) enqueue(d);
    },
    onDelete: (obj) => {
      const rs = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const d = resolveRef(rs.metadata.namespace, controllerRefOf(rs));
      if (d) enqueue(d);
    },
  });

  podInformer.addEventHandler({
    onDelete: (obj) => {
      // Recreate waits for old pods to be gone.
      const pod = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const ref = controllerRefOf(pod);
      if (!ref || ref.kind !== 'ReplicaSet') return;
      const rs = rsInformer.store.get(`${pod.metadata.namespace ?? ''}/${ref.name}`);
      if (!rs || rs.metadata.uid !== ref.uid) return;
      const d = resolveRef(rs.metadata.namespace, controllerRefOf(rs));
      if (d && !isRollingUpdate(d)) enqueue(d);
    },
  });

  async function canAdopt(d: DeploymentObject): Promise<boolean> {
    try {
      const fresh = await client.get<DeploymentObject>(DEPLOYMENTS, d.metadata.name ?? '', { namespace: d.metadata.namespace, signal });
      return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Writes status (and annotations) from `d`; keeps `d`'s resourceVersion current. */
  async function updateDeploymentStatus(d: DeploymentObject, status: DeploymentStatus): Promise<void> {
    const out = await client.updateStatus<DeploymentObject>(DEPLOYMENTS, { ...d, status: compactStatus(status) }, { signal });
    d.metadata.resourceVersion = out.metadata.resourceVersion;
    d.status = out.status;
  }

  async function updateReplicaSet(rs: ReplicaSetObject): Promise<ReplicaSetObject> {
    return client.update<ReplicaSetObject>(REPLICASETS, rs, { signal });
  }

  /** Sets spec.replicas and the replica annotations; true when the size changed. */
  async function scaleReplicaSet(rs: ReplicaSetObject, newScale: number, d: DeploymentObject, replace: (rs: ReplicaSetObject) => void): Promise<boolean> {
    const sizeChanged = specReplicas(rs) !== newScale;
    const max = specReplicas(d) + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, specReplicas(d), max)) return false;
    const copy = deepCopy(rs);
    copy.spec = { ...(copy.spec ?? { selector: {} }), replicas: newScale };
    setReplicasAnnotations(copy, specReplicas(d), max);
    const updated = await updateReplicaSet(copy);
    replace(updated);
    if (sizeChanged) {
      const dir = newScale > specReplicas(rs) ? 'up' : 'down';
      event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${rs.metadata.name ?? ''} to ${newScale} from ${specReplicas(rs)}`);
    }
    return sizeChanged;
  }

  interface Sets {
    newRS: ReplicaSetObject | undefined;
    oldRSs: ReplicaSetObject[];
  }

  /** Finds (or creates) the new RS, syncing its revision and the deployment's. */
  async function getAllReplicaSetsAndSyncRevision(d: DeploymentObject, rsList: ReplicaSetObject[], create: boolean): Promise<Sets> {
    const existing = findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let rs = existing;
      const copy = deepCopy(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        if (copy.spec) copy.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        rs = await updateReplicaSet(copy);
      }
      let needsUpdate = setDeploymentRevision(d, rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      const status = deepCopy(d.status ?? {});
      if (!getCondition(status, 'Progressing')) {
        setCondition(status, newCondition('Progressing', 'True', REASON_FOUND_NEW_RS, `Found new replica set "${rs.metadata.name ?? ''}"`));
        needsUpdate = true;
      }
      if (needsUpdate) await updateDeploymentStatus(d, status);
      return { newRS: rs, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };

    const template = deepCopy(d.spec?.template ?? {});
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const selector = deepCopy(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const newRS: ReplicaSetObject = {
      apiVersion: APPS_V1, kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name ?? ''}-${hash}`, namespace: d.metadata.namespace,
        ownerReferences: [newControllerRef(d, APPS_V1, 'Deployment')],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: ReplicaSetObject;
    let alreadyExists = false;
    try {
      created = await client.create<ReplicaSetObject>(REPLICASETS, newRS, { signal });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        const status = deepCopy(d.status ?? {});
        const msg = `Failed to create new replica set "${newRS.metadata.name ?? ''}": ${errorText(err)}`;
        if (hasProgressDeadline(d)) setCondition(status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg));
        event(d, 'Warning', 'ReplicaSetCreateError', msg);
        await updateDeploymentStatus(d, status).catch(() => undefined);
        throw err;
      }
      const found = await client.get<ReplicaSetObject>(REPLICASETS, newRS.metadata.name ?? '', { namespace: d.metadata.namespace, signal });
      const ours = controllerRefOf(found)?.uid === d.metadata.uid;
      if (ours && equalIgnoreHash(found.spec?.template, d.spec?.template)) {
        created = found;
        alreadyExists = true;
      } else {
        // A hash collision: bump collisionCount so the next attempt hashes differently.
        const status = deepCopy(d.status ?? {});
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(d, status);
        throw err;
      }
    }
    if (!alreadyExists && replicas > 0) {
      event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name ?? ''} to ${replicas}`);
    }
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    const status = deepCopy(d.status ?? {});
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(status, newCondition('Progressing', 'True', REASON_NEW_RS_CREATED, `Created new replica set "${created.metadata.name ?? ''}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(d, status);
    return { newRS: created, oldRSs };
  }

  function setDeploymentRevision(d: DeploymentObject, revision: string): boolean {
    d.metadata.annotations ??= {};
    if (d.metadata.annotations[REVISION_ANNOTATION] === revision) return false;
    d.metadata.annotations[REVISION_ANNOTATION] = revision;
    return true;
  }

  function replacer(list: ReplicaSetObject[]): (rs: ReplicaSetObject) => void {
    return (rs) => {
      const i = list.findIndex((x) => x.metadata.uid === rs.metadata.uid);
      if (i >= 0) list[i] = rs;
    };
  }

  /** Proportional scaling of all active ReplicaSets to spec.replicas (+ maxSurge). */
  async function scale(d: DeploymentObject, newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): Promise<void> {
    const noop = (): void => undefined;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (specReplicas(activeOrLatest) === specReplicas(d)) return;
      await scaleReplicaSet(activeOrLatest, specReplicas(d), d, noop);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await scaleReplicaSet(old, 0, d, noop);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = filterActive([...oldRSs, newRS]);
    const current = sumSpecReplicas(all);
    const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
    const toAdd = allowed - current;
    if (toAdd > 0) all.sort(bySize(true));
    else if (toAdd < 0) all.sort(bySize(false));
    const sizes = new Map<string, number>();
    let added = 0;
    for (const rs of all) {
      const name = rs.metadata.name ?? '';
      if (toAdd !== 0) {
        const p = proportion(rs, d, toAdd, added);
        sizes.set(name, specReplicas(rs) + p);
        added += p;
      } else {
        sizes.set(name, specReplicas(rs));
      }
    }
    if (toAdd !== added && all.length > 0) {
      const first = all[0]!.metadata.name ?? '';
      sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
    }
    for (const rs of all) await scaleReplicaSet(rs, sizes.get(rs.metadata.name ?? '') ?? specReplicas(rs), d, noop);
  }

  async function cleanupDeployment(oldRSs: ReplicaSetObject[], d: DeploymentObject): Promise<void> {
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - (d.spec?.revisionHistoryLimit ?? 10);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
      try {
        await client.delete(REPLICASETS, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal, preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async function syncDeploymentStatus(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, d: DeploymentObject): Promise<void> {
    const status = calculateStatus(allRSs, newRS, d);
    if (statusEqual(d.status, status)) return;
    await updateDeploymentStatus(d, status);
  }

  async function syncRolloutStatus(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, d: DeploymentObject): Promise<void> {
    const status = calculateStatus(allRSs, newRS, d);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const cur = getCondition(status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && cur?.reason === REASON_NEW_RS_AVAILABLE;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.metadata.name;
      if (deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : 'Deployment has successfully progressed.';
        setCondition(status, newCondition('Progressing', 'True', REASON_NEW_RS_AVAILABLE, msg));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.';
        const cond = newCondition('Progressing', 'True', REASON_RS_UPDATED, msg);
        if (cur && cur.status === 'True' && cur.lastTransitionTime) cond.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, cond);
      } else if (deploymentTimedOut(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name ?? ''}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASON_TIMED_OUT, msg));
      }
    }
    const failure = allRSs.map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
    if (failure) {
      setCondition(status, newCondition('ReplicaFailure', 'True', failure.reason ?? '', failure.message ?? ''));
    } else {
      removeCondition(status, 'ReplicaFailure');
    }
    if (statusEqual(d.status, status)) {
      requeueStuck(d, status);
      return;
    }
    await updateDeploymentStatus(d, status);
  }

  function requeueStuck(d: DeploymentObject, status: DeploymentStatus): void {
    const cur = getCondition(status, 'Progressing');
    if (!hasProgressDeadline(d) || !cur || deploymentComplete(d, status) || cur.reason === REASON_TIMED_OUT) return;
    const from = cur.lastUpdateTime ? Date.parse(cur.lastUpdateTime) : NaN;
    if (Number.isNaN(from)) return;
    const after = from + (d.spec?.progressDeadlineSeconds ?? 600) * 1000 - Date.now();
    const key = metaNamespaceKey(d);
    if (after < 1000) queue.addAfter(key, 1000);
    else queue.addAfter(key, after + 1000);
  }

  /** Scale-only sync (paused deployments and scaling events). */
  async function syncScaleOnly(d: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await scale(d, newRS, oldRSs);
    if (d.spec?.paused) await cleanupDeployment(oldRSs, d);
    const fresh = refreshed([...oldRSs, ...(newRS ? [newRS] : [])]);
    await syncDeploymentStatus(fresh, newRS ? fresh.find((r) => r.metadata.uid === newRS.metadata.uid) : undefined, d);
  }

  /** The latest cached copies (status moves independently of our writes). */
  function refreshed(rss: ReplicaSetObject[]): ReplicaSetObject[] {
    return rss.map((rs) => {
      const c = rsInformer.store.get(metaNamespaceKey(rs));
      return c && c.metadata.uid === rs.metadata.uid && Number(c.metadata.resourceVersion ?? 0) >= Number(rs.metadata.resourceVersion ?? 0) ? c : rs;
    });
  }

  async function isScalingEvent(d: DeploymentObject, rsList: ReplicaSetObject[]): Promise<boolean> {
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired === undefined) continue;
      if (desired !== specReplicas(d)) return true;
    }
    return false;
  }

  async function rolloutRolling(d: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    const sets = await getAllReplicaSetsAndSyncRevision(d, rsList, true);
    let newRS = sets.newRS!;
    let oldRSs = sets.oldRSs;
    const all = (): ReplicaSetObject[] => [...oldRSs, newRS];

    // Scale up the new RS within maxSurge.
    let scaledUp = false;
    const want = specReplicas(d);
    if (specReplicas(newRS) !== want) {
      const target = specReplicas(newRS) > want ? want : newRSNewReplicas(d, all(), newRS);
      scaledUp = await scaleReplicaSet(newRS, target, d, (rs) => { newRS = rs; });
    }
    if (scaledUp) {
      await syncRolloutStatus(all(), newRS, d);
      return;
    }

    // Scale down old ReplicaSets within maxUnavailable.
    const scaledDown = await reconcileOldReplicaSets(d, oldRSs, newRS, (rs) => { oldRSs = oldRSs.map((o) => (o.metadata.uid === rs.metadata.uid ? rs : o)); });
    if (scaledDown) {
      await syncRolloutStatus(all(), newRS, d);
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(oldRSs, d);
    await syncRolloutStatus(all(), newRS, d);
  }

  async function reconcileOldReplicaSets(d: DeploymentObject, oldRSs: ReplicaSetObject[], newRS: ReplicaSetObject, replace: (rs: ReplicaSetObject) => void): Promise<boolean> {
    const olds = [...filterActive(oldRSs)];
    if (sumSpecReplicas(olds) === 0) return false;
    const allPods = sumSpecReplicas([...oldRSs, newRS]);
    const minAvailable = specReplicas(d) - maxUnavailable(d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;

    // First clean up unhealthy replicas of old ReplicaSets (oldest first).
    olds.sort(byCreation);
    const update = replacer(olds);
    let cleaned = 0;
    for (const rs of [...olds]) {
      if (cleaned >= maxScaledDown) break;
      if (specReplicas(rs) === 0) continue;
      const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      await scaleReplicaSet(rs, specReplicas(rs) - down, d, (u) => { update(u); replace(u); });
      cleaned += down;
    }

    // Then scale down healthy ones while availability stays at or above the minimum.
    let scaled = 0;
    const available = sumStatus([...olds, newRS], 'availableReplicas');
    if (available > minAvailable) {
      const total = available - minAvailable;
      olds.sort(byCreation);
      for (const rs of [...olds]) {
        if (scaled >= total) break;
        if (specReplicas(rs) === 0) continue;
        const down = Math.min(specReplicas(rs), total - scaled);
        await scaleReplicaSet(rs, specReplicas(rs) - down, d, (u) => { update(u); replace(u); });
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  async function rolloutRecreate(d: DeploymentObject, rsList: ReplicaSetObject[]): Promise<void> {
    let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, false);
    const all = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])];
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      if (await scaleReplicaSet(rs, 0, d, replacer(oldRSs))) scaledDown = true;
    }
    if (scaledDown) {
      await syncRolloutStatus(all(), newRS, d);
      return;
    }
    if (oldPodsRunning(newRS, oldRSs)) {
      await syncRolloutStatus(all(), newRS, d);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, rsList, true));
    if (newRS) await scaleReplicaSet(newRS, specReplicas(d), d, (rs) => { newRS = rs; });
    if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(oldRSs, d);
    await syncRolloutStatus(all(), newRS, d);
  }

  function oldPodsRunning(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): boolean {
    if (sumStatus(oldRSs, 'replicas') > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    const ns = newRS?.metadata.namespace ?? oldRSs[0]?.metadata.namespace ?? '';
    for (const pod of podInformer.store.byIndex(NAMESPACE_INDEX, ns)) {
      const ref = controllerRefOf(pod);
      if (!ref || !oldUids.has(ref.uid)) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
    return false;
  }

  async function checkPausedConditions(d: DeploymentObject): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON_TIMED_OUT) return;
    const pausedSet = cond?.reason === REASON_PAUSED;
    const status = deepCopy(d.status ?? {});
    if (d.spec?.paused && !pausedSet) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON_PAUSED, 'Deployment is paused'));
    } else if (!d.spec?.paused && pausedSet) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON_RESUMED, 'Deployment is resumed'));
    } else {
      return;
    }
    await updateDeploymentStatus(d, status);
  }

  async function sync(key: string): Promise<void> {
    const cached = dInformer.store.get(key);
    if (!cached) return;
    const d = deepCopy(cached);
    const sel = d.spec?.selector;
    if (!sel || ((!sel.matchLabels || Object.keys(sel.matchLabels).length === 0) && (!sel.matchExpressions || sel.matchExpressions.length === 0))) {
      event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await updateDeploymentStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const selector = labelSelectorFromObject(sel);
    const rsList = await claimObjects<ReplicaSetObject>({
      client, owner: d, ownerApiVersion: APPS_V1, ownerKind: 'Deployment', selector, gvr: REPLICASETS,
      candidates: rsInformer.store.byIndex(NAMESPACE_INDEX, d.metadata.namespace ?? ''),
      canAdopt: () => canAdopt(d), signal, logger,
    });
    const list = rsList.map((rs) => deepCopy(rs));
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(d, list, false);
      await syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS, d);
      return;
    }
    await checkPausedConditions(d);
    if (d.spec?.paused) {
      await syncScaleOnly(d, list);
      return;
    }
    if (await isScalingEvent(d, list)) {
      await syncScaleOnly(d, list);
      return;
    }
    if (isRollingUpdate(d)) await rolloutRolling(d, list);
    else await rolloutRecreate(d, list);
  }

  const done = runController(queue, sync, {
    signal, caches: [dInformer, rsInformer, podInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ key, err: errorText(err) }, 'deployment sync failed; requeued');
    },
  });

  return { done, sync };
}
