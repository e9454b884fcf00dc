/**
 * Shared by the Endpoints and EndpointSlice controllers: which pods back a Service, target-port
 * resolution (numbers, or container port names per pod), hostnames for headless services, and
 * the pod → services index used to turn pod events into service keys.
 */
import type { ServicePort } from '../../apimachinery/generated/types.js';
import { selectorFromSet } from '../../apimachinery/labels.js';
import type { Informer } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import type { PodObject, ServiceObject } from '../replicaset/controller-utils.js';
import { isPodReady, jsonEqual } from '../replicaset/controller-utils.js';

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** Services with a selector get endpoints; selector-less ones are managed by their users. */
export function serviceSelects(svc: ServiceObject, pod: PodObject): boolean {
  const sel = svc.spec?.selector;
  if (!sel) return false;
  if (svc.metadata.namespace !== pod.metadata.namespace) return false;
  return selectorFromSet(sel).matches(pod.metadata.labels);
}

export function podIPs(pod: PodObject): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => Boolean(ip));
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/**
 * Whether a pod belongs in a service's endpoints at all (upstream's ShouldPodBeInEndpoints):
 * it has an IP, is not being deleted (unless `includeTerminating`), and is not finished for good.
 */
export function shouldPodBeInEndpoints(pod: PodObject, includeTerminating: boolean): boolean {
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

/** The pod port a service port targets, or undefined when the pod has no such named port. */
export function findPort(pod: PodObject, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  const protocol = sp.protocol ?? 'TCP';
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

export function shouldSetHostname(pod: PodObject, svc: ServiceObject): boolean {
  return Boolean(pod.spec?.hostname) && pod.spec?.subdomain === svc.metadata.name && svc.metadata.namespace === pod.metadata.namespace;
}

export function isHeadless(svc: ServiceObject): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Pod changes that matter to endpoints (labels are handled separately). */
export function podEndpointChanged(a: PodObject, b: PodObject): boolean {
  return isPodReady(a) !== isPodReady(b)
    || !jsonEqual(podIPs(a), podIPs(b))
    || Boolean(a.metadata.deletionTimestamp) !== Boolean(b.metadata.deletionTimestamp)
    || a.status?.phase !== b.status?.phase
    || a.spec?.nodeName !== b.spec?.nodeName
    || a.spec?.hostname !== b.spec?.hostname
    || a.spec?.subdomain !== b.spec?.subdomain
    || !jsonEqual(a.spec?.containers?.map((c) => c.ports), b.spec?.containers?.map((c) => c.ports));
}

/** Copies the service's labels plus the headless marker (shared by Endpoints and slices). */
export function endpointLabels(svc: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/**
 * Queues a Service's key whenever the Service changes, or a pod it selects appears, goes, changes
 * labels or changes what an endpoint shows (IP, readiness, ports) — shared by the Endpoints and
 * EndpointSlice controllers.
 */
export function enqueueServicesOnChanges(svcInformer: Informer<ServiceObject>, podInformer: Informer<PodObject>, add: (key: string) => void): void {
  const enqueueServicesFor = (pod: PodObject): void => {
    for (const svc of svcInformer.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      if (serviceSelects(svc, pod)) add(metaNamespaceKey(svc));
    }
  };
  svcInformer.addEventHandler({
    onAdd: (svc) => add(metaNamespaceKey(svc)),
    onUpdate: (_old, svc) => add(metaNamespaceKey(svc)),
    onDelete: (obj) => add(metaNamespaceKey(obj)),
  });
  podInformer.addEventHandler({
    onAdd: (pod) => enqueueServicesFor(pod),
    onUpdate: (oldPod, pod) => {
      if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const labelsChanged = !jsonEqual(oldPod.metadata.labels, pod.metadata.labels);
      if (!labelsChanged && !podEndpointChanged(oldPod, pod)) return;
      enqueueServicesFor(pod);
      if (labelsChanged) enqueueServicesFor(oldPod);
    },
    onDelete: (obj) => enqueueServicesFor(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
  });
}
