/**
 * The disruption controller (kube-controller-manager's disruption controller): keeps every
 * PodDisruptionBudget's status current from the pods its selector picks in its namespace.
 *
 * sync(key):
 * - expectedPods / desiredHealthy from minAvailable (an int: the pod count and the int) or from
 *   the owning controllers' replicas read through their `/scale` subresource (maxUnavailable, or a
 *   percent minAvailable; pods of a ReplicaSet owned by a Deployment count the Deployment's);
 * - currentHealthy: ready pods not being deleted and not recently evicted (`disruptedPods`
 *   entries expire after 2 minutes or once the pod is deleting or gone);
 * - disruptionsAllowed = currentHealthy − desiredHealthy (never below 0, 0 without expected pods),
 *   the DisruptionAllowed condition (SufficientPods / InsufficientPods, SyncFailed when the scale
 *   cannot be found) and observedGeneration, written only when something changed.
 * Events: NoPods, CalculateExpectedPodCountFailed, UnmanagedPods as upstream.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import { labelSelectorFromObject } from '../../apimachinery/labels.js';
import type { LabelSelectorObject } from '../../apimachinery/labels.js';
import type { Condition, PodDisruptionBudgetStatus } from '../../apimachinery/generated/types.js';
import type { RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { PODS, controllerRefOf, createEventRecorder, jsonEqual, nowRfc3339 } from '../replicaset/controller-utils.js';
import type { PdbObject } from './disruption-util.js';
import {
  CONDITION_DISRUPTION_ALLOWED, PODDISRUPTIONBUDGETS, REASON_INSUFFICIENT_PODS, REASON_SUFFICIENT_PODS, REASON_SYNC_FAILED,
  countHealthy, disruptionsAllowed, expectedAndDesired, needsScale, pruneDisruptedPods,
} from './disruption-util.js';

const COMPONENT = 'controllermanager';

export interface DisruptionControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface DisruptionController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

/** Plural resource names of the usual controllers (others: lower-case kind + "s"). */
const RESOURCE_BY_KIND: Record<string, string> = {
  ReplicaSet: 'replicasets', Deployment: 'deployments', StatefulSet: 'statefulsets', ReplicationController: 'replicationcontrollers',
};

interface ScaleView { metadata?: { uid?: string }; spec?: { replicas?: number } }

class NoControllerError extends Error {}

export function startDisruptionController(opts: DisruptionControllerOptions): DisruptionController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const pdbInf: Informer<PdbObject> = factory.informerFor<PdbObject>(PODDISRUPTIONBUDGETS);
  const podInf: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const queue = createWorkQueue<string>({ name: 'disruption' });
  const recorder = createEventRecorder(client, COMPONENT, logger);
  /** Last event per budget uid, so unchanged situations are not reported on every sync. */
  const lastEvent = new Map<string, string>();

  const event = (pdb: PdbObject, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    const uid = pdb.metadata.uid ?? '';
    const k = `${reason}\n${message}`;
    if (lastEvent.get(uid) === k) return;
    lastEvent.set(uid, k);
    recorder.event(pdb, 'policy/v1', 'PodDisruptionBudget', type, reason, message);
  };

  const selectorOf = (pdb: PdbObject): ReturnType<typeof labelSelectorFromObject> | undefined => {
    try {
      return labelSelectorFromObject(pdb.spec?.selector as LabelSelectorObject | undefined);
    } catch {
      return undefined;
    }
  };

  const enqueueForPod = (pod: PodObject): void => {
    for (const pdb of pdbInf.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      const sel = selectorOf(pdb);
      if (sel?.matches(pod.metadata.labels ?? {})) queue.add(metaNamespaceKey(pdb));
    }
  };

  pdbInf.addEventHandler({
    onAdd: (p) => queue.add(metaNamespaceKey(p)),
    onUpdate: (_o, p) => queue.add(metaNamespaceKey(p)),
    onDelete: (obj) => {
      const p = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      lastEvent.delete(p.metadata.uid ?? '');
      queue.add(metaNamespaceKey(p));
    },
  });
  podInf.addEventHandler({
    onAdd: enqueueForPod,
    onUpdate: (oldPod, pod) => {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      enqueueForPod(pod);
      if (!jsonEqual(oldPod.metadata.labels, pod.metadata.labels)) enqueueForPod(oldPod);
    },
    onDelete: (obj) => enqueueForPod(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
  });

  async function getScale(namespace: string, apiVersion: string, kind: string, name: string): Promise<ScaleView | undefined> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    const resource = RESOURCE_BY_KIND[kind] ?? `${kind.toLowerCase()}s`;
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    try {
      return await client.request<ScaleView>({
        method: 'GET', path: `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(name)}/scale`, signal,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The replicas the pods' controllers want (upstream getExpectedScale) and the unmanaged pods. */
  async function expectedScale(pdb: PdbObject, pods: readonly PodObject[]): Promise<{ scale: number; unmanaged: string[] }> {
    const ns = pdb.metadata.namespace ?? '';
    const seen = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name ?? '');
        continue;
      }
      if (seen.has(ref.uid)) continue;
      let owner: { apiVersion: string; kind: string; name: string; uid: string } = ref;
      if (ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/')) {
        // Pods of a Deployment's ReplicaSet count the Deployment's replicas.
        try {
          const rs = await client.get<KubeObject>({ group: 'apps', version: 'v1', resource: 'replicasets' }, ref.name, { namespace: ns, signal });
          const rsRef = controllerRefOf(rs);
          if (rs.metadata.uid === ref.uid && rsRef?.kind === 'Deployment') owner = rsRef;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      if (seen.has(owner.uid)) {
        seen.set(ref.uid, 0);
        continue;
      }
      const scale = await getScale(ns, owner.apiVersion, owner.kind, owner.name);
      if (!scale || (scale.metadata?.uid && scale.metadata.uid !== owner.uid)) {
        throw new NoControllerError(`found no controllers for pod "${pod.metadata.name ?? ''}"`);
      }
      seen.set(owner.uid, scale.spec?.replicas ?? 0);
      if (owner.uid !== ref.uid) seen.set(ref.uid, 0);
    }
    let total = 0;
    for (const v of seen.values()) total += v;
    return { scale: total, unmanaged };
  }

  function allowedCondition(pdb: PdbObject, allowed: number, failure?: string): Condition {
    const status = allowed > 0 && !failure ? 'True' : 'False';
    const reason = failure ? REASON_SYNC_FAILED : allowed > 0 ? REASON_SUFFICIENT_PODS : REASON_INSUFFICIENT_PODS;
    const prev = pdb.status?.conditions?.find((c) => c.type === CONDITION_DISRUPTION_ALLOWED);
    return {
      type: CONDITION_DISRUPTION_ALLOWED, status, reason, message: failure ?? '',
      lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : nowRfc3339(),
      ...(pdb.metadata.generation ? { observedGeneration: pdb.metadata.generation } : {}),
    };
  }

  async function writeStatus(pdb: PdbObject, next: PodDisruptionBudgetStatus): Promise<void> {
    const cur = pdb.status;
    const comparable = (s: PodDisruptionBudgetStatus | undefined): unknown => s && {
      ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: undefined })),
      disruptedPods: s.disruptedPods && Object.keys(s.disruptedPods).length > 0 ? s.disruptedPods : undefined,
    };
    if (jsonEqual(comparable(cur), comparable(next))) return;
    const obj = deepCopy(pdb);
    obj.status = next;
    await client.updateStatus<PdbObject>(PODDISRUPTIONBUDGETS, obj, { signal });
  }

  async function sync(key: string): Promise<void> {
    const cached = pdbInf.store.get(key);
    if (!cached) return;
    const pdb = deepCopy(cached);
    const sel = selectorOf(pdb);
    const pods = sel ? podInf.store.byIndex(NAMESPACE_INDEX, pdb.metadata.namespace ?? '').filter((p) => sel.matches(p.metadata.labels ?? {})) : [];
    if (pods.length === 0) event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    const now = Date.now();
    let scale = 0;
    if (needsScale(pdb.spec)) {
      try {
        const r = await expectedScale(pdb, pods);
        scale = r.scale;
        if (r.unmanaged.length > 0) {
          event(pdb, 'Normal', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget (selector: ${sel?.toString() ?? ''}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
        }
      } catch (err) {
        if (!(err instanceof NoControllerError)) throw err;
        event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${err.message}`);
        await failSafe(pdb, err.message);
        return;
      }
    }
    let expected: number;
    let desired: number;
    try {
      ({ expected, desired } = expectedAndDesired(pdb.spec, pods.length, scale));
    } catch (err) {
      await failSafe(pdb, errorText(err));
      return;
    }
    const { kept, recheckAt } = pruneDisruptedPods(pdb.status?.disruptedPods, pods, now);
    const healthy = countHealthy(pods, kept);
    const allowed = disruptionsAllowed(healthy, desired, expected);
    const next: PodDisruptionBudgetStatus = {
      ...(pdb.metadata.generation ? { observedGeneration: pdb.metadata.generation } : {}),
      ...(Object.keys(kept).length > 0 ? { disruptedPods: kept } : {}),
      disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected,
      conditions: [...(pdb.status?.conditions ?? []).filter((c) => c.type !== CONDITION_DISRUPTION_ALLOWED), allowedCondition(pdb, allowed)],
    };
    await writeStatus(pdb, next);
    if (recheckAt !== undefined) queue.addAfter(key, Math.max(0, recheckAt - now) + 50);
  }

  /** On errors the budget allows nothing (upstream failSafe). */
  async function failSafe(pdb: PdbObject, message: string): Promise<void> {
    const st = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    await writeStatus(pdb, {
      ...st, disruptionsAllowed: 0,
      ...(pdb.metadata.generation ? { observedGeneration: pdb.metadata.generation } : {}),
      conditions: [...(st.conditions ?? []).filter((c) => c.type !== CONDITION_DISRUPTION_ALLOWED), allowedCondition(pdb, 0, message)],
    });
  }

  const done = runController(queue, sync, {
    signal, caches: [pdbInf, podInf], workers: opts.workers ?? 2,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ pdb: key, err: errorText(err) }, 'disruption sync failed; requeued');
    },
  });

  return { done, sync };
}
