/**
 * The Endpoints controller (kube-controller-manager's endpoint controller): for every Service with
 * a selector, an Endpoints object of the same name listing the selected pods' IPs, ready pods in
 * `addresses` and the others in `notReadyAddresses` (all ready with publishNotReadyAddresses),
 * one subset per distinct set of resolved ports (named targetPorts resolve per pod). Headless
 * services without ports list addresses only. Services without a selector are left alone; a
 * deleted Service's Endpoints are deleted.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown, NAMESPACE_INDEX, metaNamespaceKey } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import type { PodObject, ServiceObject } from '../replicaset/controller-utils.js';
import { PODS, isPodReady, jsonEqual } from '../replicaset/controller-utils.js';
import {
  endpointLabels, enqueueServicesOnChanges, findPort, isHeadless, isIPv6, podEndpointChanged, podIPs, serviceSelects, shouldPodBeInEndpoints,
  shouldSetHostname,
} from './endpoint-util.js';

export const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
export const ENDPOINTS: GroupVersionResource = { group: '', version: 'v1', resource: 'endpoints' };
/** Endpoints carry at most this many addresses (upstream truncates and annotates). */
export const MAX_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

export type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };

export interface EndpointsControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface EndpointsController {
  done: Promise<void>;
  sync(key: string): Promise<void>;
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol ?? 'TCP'}\u0000${p.appProtocol ?? ''}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip === b.ip ? (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '') : a.ip.localeCompare(b.ip, 'en', { numeric: true });
}

/** The subsets for a service and its pods (exported for tests). */
export function computeSubsets(svc: ServiceObject, pods: PodObject[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const families = svc.spec?.ipFamilies ?? [];
  const wantV6 = families.length > 0 ? families[0] === 'IPv6' : undefined;
  /** address key → { address, ready, ports } */
  const entries = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ips = podIPs(pod);
    const ip = wantV6 === undefined ? ips[0] : ips.find((x) => isIPv6(x) === wantV6);
    if (!ip) continue;
    const address: EndpointAddress = {
      ip,
      ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec?.hostname } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    };
    const ready = tolerateUnready || isPodReady(pod);
    const key = `${addressKey(address)}\u0000${ready ? 1 : 0}`;
    const entry = entries.get(key) ?? { address, ready, ports: new Map<string, EndpointPort>() };
    entries.set(key, entry);
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (!isHeadless(svc)) entries.delete(key);
      continue;
    }
    let any = false;
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = {
        ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      };
      entry.ports.set(portKey(ep), ep);
      any = true;
    }
    if (!any) entries.delete(key);
  }
  // Group addresses by identical port sets.
  const groups = new Map<string, EndpointSubset>();
  for (const { address, ready, ports } of entries.values()) {
    const sorted = [...ports.values()].sort((a, b) => portKey(a).localeCompare(portKey(b)));
    const gk = sorted.map(portKey).join('\u0001');
    let subset = groups.get(gk);
    if (!subset) {
      subset = sorted.length > 0 ? { ports: sorted } : {};
      groups.set(gk, subset);
    }
    if (ready) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  const subsets = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
  for (const s of subsets) {
    s.addresses?.sort(compareAddresses);
    s.notReadyAddresses?.sort(compareAddresses);
  }
  return subsets;
}

/** Keeps at most MAX_CAPACITY addresses, ready ones first; true when truncated. */
function truncate(subsets: EndpointSubset[]): boolean {
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total <= MAX_CAPACITY) return false;
  let room = MAX_CAPACITY;
  for (const s of subsets) {
    if (s.addresses) {
      s.addresses = s.addresses.slice(0, room);
      room -= s.addresses.length;
    }
  }
  for (const s of subsets) {
    if (s.notReadyAddresses) {
      s.notReadyAddresses = s.notReadyAddresses.slice(0, room);
      room -= s.notReadyAddresses.length;
      if (s.notReadyAddresses.length === 0) delete s.notReadyAddresses;
    }
  }
  return true;
}

export function startEndpointsController(opts: EndpointsControllerOptions): EndpointsController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const svcInformer: Informer<ServiceObject> = factory.informerFor<ServiceObject>(SERVICES);
  const podInformer: Informer<PodObject> = factory.informerFor<PodObject>(PODS);
  const epInformer: Informer<EndpointsObject> = factory.informerFor<EndpointsObject>(ENDPOINTS);
  const queue = createWorkQueue<string>({ name: 'endpoint' });

  enqueueServicesOnChanges(svcInformer, podInformer, (key) => queue.add(key));
  epInformer.addEventHandler({
    // Someone changed or removed the object we manage: put it back.
    onUpdate: (_old, ep) => {
      const svc = svcInformer.store.get(metaNamespaceKey(ep));
      if (svc?.spec?.selector) queue.add(metaNamespaceKey(ep));
    },
    onDelete: (obj) => {
      const key = metaNamespaceKey(obj);
      const svc = svcInformer.store.get(key);
      if (svc?.spec?.selector) queue.add(key);
    },
  });

  async function sync(key: string): Promise<void> {
    const svc = svcInformer.store.get(key);
    const [namespace, name] = key.split('/') as [string, string];
    if (!svc) {
      try {
        await client.delete(ENDPOINTS, name, { namespace, signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (!svc.spec?.selector || svc.spec.type === 'ExternalName') return;
    const pods = podInformer.store.byIndex(NAMESPACE_INDEX, namespace).filter((p) => serviceSelects(svc, p));
    const subsets = computeSubsets(svc, pods);
    const truncated = truncate(subsets);
    const labels = endpointLabels(svc);
    const current = epInformer.store.get(key);
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (current && jsonEqual(current.subsets ?? [], subsets) && jsonEqual(current.metadata.labels ?? {}, labels)
      && jsonEqual(current.metadata.annotations ?? {}, annotations)) return;
    const desired: EndpointsObject = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: {
        ...(current ? current.metadata : { name, namespace }),
        labels, ...(Object.keys(annotations).length > 0 ? { annotations } : { annotations: undefined }),
      },
      ...(subsets.length > 0 ? { subsets } : {}),
    };
    if (Object.keys(annotations).length === 0) delete desired.metadata.annotations;
    try {
      if (current) await client.update(ENDPOINTS, desired, { signal });
      else await client.create(ENDPOINTS, desired, { signal });
    } catch (err) {
      // AlreadyExists / Conflict: the cache lags; retried from fresh state.
      if (isAlreadyExists(err) || isConflict(err)) throw err;
      if (/being terminated/.test(errorText(err))) return;
      throw err;
    }
  }

  const done = runController(queue, sync, {
    signal, caches: [svcInformer, podInformer, epInformer], workers: opts.workers ?? 5,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ key, err: errorText(err) }, 'endpoints sync failed; requeued');
    },
  });

  return { done, sync };
}
