/**
 * Helpers shared by the workload controllers (ReplicaSet/ReplicationController, Deployment) and
 * the endpoint controllers: typed views of the objects they read, pod readiness/availability,
 * controller references, the scale-down ranking of pods, ownership claiming (adopt / release by
 * selector) and a small event recorder. All functions treat their inputs as read-only.
 */
import type { KubeObject, OwnerReference } from '../../apimachinery/object.js';
import type {
  DeploymentSpec, DeploymentStatus, PodSpec, PodStatus, ReplicaSetSpec, ReplicaSetStatus, ServiceSpec,
} from '../../apimachinery/generated/types.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/rest-client.js';
import type { Logger } from '../../client/logger.js';
import { errorText } from '../../client/logger.js';

export type PodObject = KubeObject & { spec?: PodSpec; status?: PodStatus };
export type ReplicaSetObject = KubeObject & { spec?: ReplicaSetSpec; status?: ReplicaSetStatus };
export type DeploymentObject = KubeObject & { spec?: DeploymentSpec; status?: DeploymentStatus };
export type ServiceObject = KubeObject & { spec?: ServiceSpec };

export const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
export const REPLICASETS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const REPLICATIONCONTROLLERS: GroupVersionResource = { group: '', version: 'v1', resource: 'replicationcontrollers' };
export const DEPLOYMENTS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments' };
export const EVENTS: GroupVersionResource = { group: '', version: 'v1', resource: 'events' };

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** The ownerReference with controller=true, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true,
  };
}

export function isPodReady(pod: PodObject): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became Ready (ms), or undefined when it is not ready. */
export function podReadySince(pod: PodObject): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  if (!c || c.status !== 'True') return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** Ready for at least minReadySeconds (a zero minReadySeconds means ready is enough). */
export function isPodAvailable(pod: PodObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/** Not terminal and not being deleted (upstream's IsPodActive). */
export function isPodActive(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

function phaseRank(phase: string | undefined): number {
  switch (phase) {
    case 'Pending': return 0;
    case 'Unknown': return 1;
    case 'Running': return 2;
    default: return 0;
  }
}

function deletionCost(pod: PodObject): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function restartCount(pod: PodObject): number {
  let n = 0;
  for (const cs of pod.status?.containerStatuses ?? []) n = Math.max(n, cs.restartCount ?? 0);
  return n;
}

/** Logarithmic bucket of an age in ms (the scale-down picks semi-randomly among similar ages). */
function logBucket(now: number, t: number): number {
  const age = Math.max(0, now - t);
  return age < 1 ? -1 : Math.floor(Math.log2(age * 1e6));
}

/**
 * Negative when pod `a` should be deleted before `b` (upstream's ActivePodsWithRanks order):
 * unassigned first, Pending < Unknown < Running, not ready before ready, lower deletion cost,
 * more pods of the same family on its node, ready for a shorter time, more restarts, newer.
 */
export function compareForDeletion(a: PodObject, rankA: number, b: PodObject, rankB: number, now: number): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if ((nodeA === '') !== (nodeB === '')) return nodeA === '' ? -1 : 1;
  const pa = phaseRank(a.status?.phase);
  const pb = phaseRank(b.status?.phase);
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  if (ra && rb) {
    const ta = podReadySince(a);
    const tb = podReadySince(b);
    if (ta !== undefined && tb !== undefined) {
      const d = logBucket(now, ta) - logBucket(now, tb);
      if (d !== 0) return d;
    } else if ((ta === undefined) !== (tb === undefined)) {
      return ta === undefined ? -1 : 1;
    }
  }
  const rca = restartCount(a);
  const rcb = restartCount(b);
  if (rca !== rcb) return rcb - rca;
  const cta = a.metadata.creationTimestamp ? Date.parse(a.metadata.creationTimestamp) : NaN;
  const ctb = b.metadata.creationTimestamp ? Date.parse(b.metadata.creationTimestamp) : NaN;
  if (Number.isNaN(cta) !== Number.isNaN(ctb)) return Number.isNaN(cta) ? -1 : 1;
  if (!Number.isNaN(cta) && !Number.isNaN(ctb)) {
    const d = logBucket(now, cta) - logBucket(now, ctb);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The `diff` pods to delete: ranked by how many pods of `related` (the controller's family)
 * share their node, then by `compareForDeletion`.
 */
export function podsToDelete(filtered: PodObject[], related: PodObject[], diff: number, now = Date.now()): PodObject[] {
  if (diff >= filtered.length) return [...filtered];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName;
    if (node) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = filtered.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (onNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, x.rank, y.pod, y.rank, now));
  return ranked.slice(0, diff).map((r) => r.pod);
}

export interface ClaimOptions<T extends KubeObject> {
  client: RestClient;
  /** The controller object (fresh from the cache). */
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  selector: LabelSelector;
  gvr: GroupVersionResource;
  candidates: T[];
  /** Re-checks with a live read that the owner may still adopt (same uid, not being deleted). */
  canAdopt: () => Promise<boolean>;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Upstream's ControllerRefManager: returns the candidates this owner controls after adopting
 * matching orphans and releasing owned objects that no longer match. Adoption and release are
 * JSON merge patches carrying the candidate's resourceVersion, so a stale view fails with 409.
 */
export async function claimObjects<T extends KubeObject>(opts: ClaimOptions<T>): Promise<T[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata.uid;
  const claimed: T[] = [];
  let adoptChecked: boolean | undefined;
  const errors: unknown[] = [];
  for (const obj of opts.candidates) {
    const ref = controllerRefOf(obj);
    const matches = selector.matches(obj.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (owner.metadata.deletionTimestamp) continue;
      try {
        await patchOwnerReferences(opts, obj, (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid));
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
      }
      continue;
    }
    if (!matches || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) continue;
    if (obj.metadata.namespace !== owner.metadata.namespace) continue;
    if (adoptChecked === undefined) adoptChecked = await opts.canAdopt();
    if (!adoptChecked) continue;
    try {
      const adopted = await patchOwnerReferences(opts, obj, [
        ...(obj.metadata.ownerReferences ?? []), newControllerRef(owner, opts.ownerApiVersion, opts.ownerKind),
      ]);
      claimed.push(adopted);
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length > 0) {
    opts.logger?.debug({ owner: owner.metadata.name, err: errorText(errors[0]) }, 'claiming objects failed');
    throw errors[0];
  }
  return claimed;
}

async function patchOwnerReferences<T extends KubeObject>(opts: ClaimOptions<T>, obj: T, refs: OwnerReference[]): Promise<T> {
  return opts.client.patch<T>(opts.gvr, obj.metadata.name ?? '', {
    namespace: obj.metadata.namespace, type: 'merge', signal: opts.signal,
    patch: { metadata: { ownerReferences: refs.length > 0 ? refs : null, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion } },
  });
}

export function nowRfc3339(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface EventRecorder {
  /** Fire-and-forget: failures are logged, never thrown. */
  event(obj: KubeObject, apiVersion: string, kind: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function createEventRecorder(client: RestClient, component: string, logger?: Logger): EventRecorder {
  return {
    event(obj, apiVersion, kind, type, reason, message) {
      const now = nowRfc3339();
      const name = `${obj.metadata.name ?? 'unknown'}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
      const namespace = obj.metadata.namespace || 'default';
      client.create(EVENTS, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion, kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason, message, type, count: 1, firstTimestamp: now, lastTimestamp: now,
        source: { component }, reportingComponent: component, reportingInstance: '',
      }).catch((err: unknown) => logger?.debug({ reason, err: errorText(err) }, 'recording event failed'));
    },
  };
}

/** Deep equality of JSON values, ignoring key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}
