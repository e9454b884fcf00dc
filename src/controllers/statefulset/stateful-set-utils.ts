/**
 * StatefulSet identity and storage as upstream's stateful_set_utils: ordinal pod names, the
 * labels and hostname/subdomain a pod must carry, claims `<template>-<set>-<ordinal>`, the
 * revision a set's template makes, and pod health checks. Pure; inputs are read-only.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { PersistentVolumeClaim, PodTemplateSpec, StatefulSetSpec, StatefulSetStatus, Volume } from '../../apimachinery/generated/types.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { isPodAvailable, isPodReady, newControllerRef } from '../replicaset/controller-utils.js';
import type { RevisionObject } from '../history/controller-history.js';
import { POD_REVISION_LABEL, newControllerRevision, templatePatch } from '../history/controller-history.js';

export type StatefulSetObject = KubeObject & { spec?: StatefulSetSpec; status?: StatefulSetStatus };
export type ClaimObject = KubeObject & PersistentVolumeClaim;

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function startOrdinal(set: StatefulSetObject): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicasOf(set: StatefulSetObject): number {
  return set.spec?.replicas ?? 1;
}

/** The ordinal in `<set>-<n>`, or -1 when the name is not of that form. */
export function ordinalOf(set: StatefulSetObject, pod: KubeObject): number {
  const prefix = `${set.metadata.name ?? ''}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

export function podName(set: StatefulSetObject, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

export function claimName(set: StatefulSetObject, template: string, ordinal: number): string {
  return `${template}-${set.metadata.name ?? ''}-${ordinal}`;
}

/** The revision name a pod was made from. */
export function podRevision(pod: PodObject): string {
  return pod.metadata.labels?.[POD_REVISION_LABEL] ?? '';
}

export function isRunningAndReady(pod: PodObject): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: PodObject, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

export function isTerminating(pod: PodObject): boolean {
  return !!pod.metadata.deletionTimestamp;
}

export function isFailedOrSucceeded(pod: PodObject): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** Running, ready and not being deleted. */
export function isHealthy(pod: PodObject): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** The revision snapshotting the set's current template. */
export function revisionForSet(set: StatefulSetObject, revision: number, collisionCount: number): RevisionObject {
  return newControllerRevision({
    owner: set, ownerApiVersion: 'apps/v1', ownerKind: 'StatefulSet',
    labels: set.spec?.template?.metadata?.labels, data: templatePatch(set.spec?.template), revision, collisionCount,
  });
}

/** The claims a pod of this ordinal uses (one per volumeClaimTemplate). */
export function claimsFor(set: StatefulSetObject, ordinal: number): ClaimObject[] {
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
    const claim: ClaimObject = {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, t.metadata?.name ?? '', ordinal),
        namespace: set.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      },
      spec: deepCopy(t.spec ?? {}),
    };
    return claim;
  });
}

/** Pod name/ordinal labels, hostname and subdomain as the identity requires. */
export function identityMatches(set: StatefulSetObject, pod: PodObject, ordinal: number): boolean {
  const labels = pod.metadata.labels ?? {};
  return pod.metadata.name === podName(set, ordinal)
    && labels[POD_NAME_LABEL] === pod.metadata.name
    && labels[POD_INDEX_LABEL] === String(ordinal)
    && pod.spec?.hostname === pod.metadata.name
    && (pod.spec?.subdomain ?? '') === (set.spec?.serviceName ?? '');
}

/** A pod stamped from `template` (the revision's) with the set's identity and claims. */
export function newStatefulSetPod(set: StatefulSetObject, template: PodTemplateSpec | undefined, revisionName: string, ordinal: number): PodObject {
  const name = podName(set, ordinal);
  const tmeta = template?.metadata ?? {};
  const spec = deepCopy(template?.spec) ?? { containers: [] };
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const claims = set.spec?.volumeClaimTemplates ?? [];
  if (claims.length > 0) {
    const byName = new Map<string, Volume>();
    for (const v of spec.volumes ?? []) byName.set(v.name, v);
    for (const t of claims) {
      const vname = t.metadata?.name ?? '';
      byName.set(vname, { name: vname, persistentVolumeClaim: { claimName: claimName(set, vname, ordinal) } });
    }
    spec.volumes = [...byName.values()];
  }
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...(tmeta.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [POD_REVISION_LABEL]: revisionName },
      ...(tmeta.annotations ? { annotations: { ...tmeta.annotations } } : {}),
      ...(tmeta.finalizers ? { finalizers: [...tmeta.finalizers] } : {}),
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}
