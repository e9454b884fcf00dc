/**
 * The EndpointSlice controller (kube-controller-manager's endpointslice controller): for every
 * Service with a selector (not ExternalName), EndpointSlices per address family holding the
 * selected pods with conditions ready / serving / terminating (terminating pods stay listed while
 * they are serving or not), grouped by their resolved port set, at most 100 endpoints a slice.
 * A service with no endpoints keeps one empty placeholder slice. Slices carry the labels
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
 * endpointslice-controller.k8s.io`, the service's own labels, and a controller reference to the
 * service. Existing slices are updated in place when their port set matches; surplus ones are
 * deleted.
 */
import type { DiscoveryV1EndpointPort, Endpoint, EndpointSlice } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject, ServiceObject } from '../replicaset/controller-utils.js';
import { PODS, isPodReady, jsonEqual, newControllerRef } from '../replicaset/controller-utils.js';
import {
  endpointLabels, enqueueServicesOnChanges, findPort, isIPv6, podEndpointChanged, podIPs, serviceSelects, shouldPodBeInEndpoints, shouldSetHostname,
} from '../endpoints/endpoint-util.js';

export const ENDPOINTSLICES: GroupVersionResource = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SERVICE_INDEX = 'service-name';

export type EndpointSliceObject = KubeObject & Omit<EndpointSlice, 'metadata'>;

export interface EndpointSliceControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
  maxEndpointsPerSlice?: number;
}

export interface EndpointSliceController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

interface DesiredSlice {
  addressType: string;
  ports: DiscoveryV1EndpointPort[];
  endpoints: Endpoint[];
}

function portsKey(ports: DiscoveryV1EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']));
}

function addressTypes(svc: ServiceObject): string[] {
  const fams = svc.spec?.ipFamilies;
  if (fams && fams.length > 0) return fams.map((f) => (f === 'IPv6' ? 'IPv6' : 'IPv4'));
  return ['IPv4'];
}

/** Desired slice contents per address type (exported for tests). */
export function desiredSlices(svc: ServiceObject, pods: PodObject[], zoneOf: (node: string) => string | undefined, max = MAX_ENDPOINTS_PER_SLICE): DesiredSlice[] {
  const out: DesiredSlice[] = [];
  for (const addressType of addressTypes(svc)) {
    const groups = new Map<string, { ports: DiscoveryV1EndpointPort[]; endpoints: Endpoint[] }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ip = podIPs(pod).find((x) => isIPv6(x) === (addressType === 'IPv6'));
      if (!ip) continue;
      const ports: DiscoveryV1EndpointPort[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
      }
      const serving = isPodReady(pod);
      const terminating = Boolean(pod.metadata.deletionTimestamp);
      const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
      const node = pod.spec?.nodeName;
      const zone = node ? zoneOf(node) : undefined;
      const ep: Endpoint = {
        addresses: [ip],
        conditions: { ready, serving, terminating },
        ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        ...(node ? { nodeName: node } : {}),
        ...(zone ? { zone } : {}),
      };
      const k = portsKey(ports);
      const g = groups.get(k) ?? { ports, endpoints: [] };
      groups.set(k, g);
      g.endpoints.push(ep);
    }
    for (const [, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      g.endpoints.sort((a, b) => (a.targetRef?.name ?? '').localeCompare(b.targetRef?.name ?? '') || a.addresses[0]!.localeCompare(b.addresses[0]!));
      for (let i = 0; i < g.endpoints.length; i += max) out.push({ addressType, ports: g.ports, endpoints: g.endpoints.slice(i, i + max) });
    }
  }
  return out;
}

export function startEndpointSliceController(opts: EndpointSliceControllerOptions): EndpointSliceController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const max = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const svcInformer: Informer<ServiceObject> = factory.informerFor<ServiceObject>(SERVICES);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const nodeInformer: Informer = factory.informerFor(NODES);
  const sliceInformer: Informer<EndpointSliceObject> = factory.informerFor<EndpointSliceObject>(ENDPOINTSLICES);
  sliceInformer.addIndexers({
    [SERVICE_INDEX]: (s) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc && s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
    },
  });
  const queue = createWorkQueue<string>({ name: 'endpoint_slice' });

  enqueueServicesOnChanges(svcInformer, podInformer, (key) => queue.add(key));
  const onSliceEvent = (obj: EndpointSliceObject | DeletedFinalStateUnknown<EndpointSliceObject>): void => {
    const s = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME) queue.add(`${s.metadata.namespace ?? ''}/${svc}`);
  };
  sliceInformer.addEventHandler({
    onUpdate: (old, s) => {
      if (old.metadata.resourceVersion !== s.metadata.resourceVersion) onSliceEvent(s);
    },
    onDelete: onSliceEvent,
  });

  const zoneOf = (node: string): string | undefined => nodeInformer.store.get(node)?.metadata.labels?.[ZONE_LABEL];

  async function remove(slice: EndpointSliceObject): Promise<void> {
    try {
      await client.delete(ENDPOINTSLICES, slice.metadata.name ?? '', { namespace: slice.metadata.namespace, signal, preconditions: { uid: slice.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function sync(key: string): Promise<void> {
    const svc = svcInformer.store.get(key);
    const existing = sliceInformer.store.byIndex(SERVICE_INDEX, key);
    if (!svc) {
      // The garbage collector would remove them too (controller reference); do it at once.
      for (const s of existing) await remove(s);
      return;
    }
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    const [namespace] = key.split('/') as [string, string];
    const pods = podInformer.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => serviceSelects(svc, p));
    const desired = desiredSlices(svc, pods, zoneOf, max);
    const labels = { ...endpointLabels(svc), [SERVICE_NAME_LABEL]: svc.metadata.name ?? '', [MANAGED_BY_LABEL]: CONTROLLER_NAME };
    const ownerRef = newControllerRef(svc, 'v1', 'Service');
    // A service without endpoints keeps one placeholder slice per address type.
    if (desired.length === 0) {
      for (const addressType of addressTypes(svc)) desired.push({ addressType, ports: [], endpoints: [] });
    }
    const placeholder = (d: DesiredSlice): boolean => d.endpoints.length === 0 && d.ports.length === 0;

    // Match desired slices to existing ones with the same address type and port set, keeping
    // slices whose content already matches.
    const unused = existing.filter((s) => !s.metadata.deletionTimestamp && controllerOwned(s, svc));
    const stale = existing.filter((s) => !unused.includes(s));
    const pending: DesiredSlice[] = [];
    for (const d of desired) {
      const i = unused.findIndex((s) => s.addressType === d.addressType && sameContent(s, d, labels));
      if (i >= 0) unused.splice(i, 1);
      else pending.push(d);
    }
    for (const d of pending) {
      const i = unused.findIndex((s) => s.addressType === d.addressType && (portsKey(s.ports ?? []) === portsKey(d.ports) || placeholder(d)));
      const endpointsField = d.endpoints.length > 0 ? d.endpoints : null;
      const portsField = placeholder(d) ? null : d.ports;
      if (i >= 0) {
        const s = unused.splice(i, 1)[0]!;
        const next = {
          ...s, metadata: { ...s.metadata, labels: { ...(s.metadata.labels ?? {}), ...labels } },
          endpoints: endpointsField, ports: portsField,
        };
        await client.update(ENDPOINTSLICES, next as unknown as KubeObject, { signal });
        continue;
      }
      await client.create(ENDPOINTSLICES, {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { generateName: `${svc.metadata.name ?? ''}-`, namespace, labels, ownerReferences: [ownerRef] },
        addressType: d.addressType, endpoints: endpointsField, ports: portsField,
      }, { signal });
    }
    for (const s of [...unused, ...stale]) await remove(s);
  }

  function controllerOwned(s: EndpointSliceObject, svc: ServiceObject): boolean {
    const ref = s.metadata.ownerReferences?.find((r) => r.controller);
    return !ref || ref.uid === svc.metadata.uid;
  }

  function sameContent(s: EndpointSliceObject, d: DesiredSlice, labels: Record<string, string>): boolean {
    const sLabels = s.metadata.labels ?? {};
    if (!Object.entries(labels).every(([k, v]) => sLabels[k] === v)) return false;
    return portsKey(s.ports ?? []) === portsKey(d.ports) && jsonEqual(s.endpoints ?? [], d.endpoints);
  }

  const done = runController(queue, sync, {
    signal, caches: [svcInformer, podInformer, nodeInformer, sliceInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ key, err: errorText(err) }, 'endpointslice sync failed; requeued');
    },
  });

  return { done, sync };
}
