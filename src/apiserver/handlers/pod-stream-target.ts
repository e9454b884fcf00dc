/**
 * Where a pod's exec, attach or port-forward session goes (upstream's ExecLocation,
 * AttachLocation and PortForwardLocation): the pod must exist, exec and attach need a container
 * (the named one, or the pod's default), the pod must be bound to a node, and the session is
 * served by that node's kubelet at `/exec|/attach/<ns>/<pod>/<container>` or
 * `/portForward/<ns>/<pod>`, with the client's query. A simulated node's kubelet serves no streams
 * (see `assertStreamable`).
 */
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { findKubelet } from './kubelet-endpoint.js';
import type { KubeletEndpoint } from './kubelet-endpoint.js';
import { selectContainer } from './pod-log.js';

export type PodStreamKind = 'exec' | 'attach' | 'portforward';

export interface PodStreamRequest {
  kind: PodStreamKind;
  namespace: string;
  pod: string;
  query: URLSearchParams;
}

export interface PodStreamTarget {
  pod: string;
  kind: PodStreamKind;
  kubelet: KubeletEndpoint;
  /** Path and query on the kubelet. */
  path: string;
}

const POD_STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/;

/** The pod stream a request path names, or undefined for any other path. */
export function parsePodStreamPath(url: URL): PodStreamRequest | undefined {
  const m = POD_STREAM_PATH.exec(url.pathname);
  if (!m) return undefined;
  try {
    return { kind: m[3] as PodStreamKind, namespace: decodeURIComponent(m[1]!), pod: decodeURIComponent(m[2]!), query: url.searchParams };
  } catch {
    return undefined;
  }
}

interface PodView extends KubeObject {
  spec?: { nodeName?: string; containers?: { name: string }[] };
}

export async function resolvePodStream(
  registryFor: (g: string, r: string) => ResourceRegistry | undefined, r: PodStreamRequest,
): Promise<PodStreamTarget> {
  const pods = registryFor('', 'pods');
  if (!pods) throw new StatusError(500, 'InternalError', 'pods are not served');
  const pod = await pods.get(r.namespace, r.pod) as PodView;
  const ns = encodeURIComponent(r.namespace);
  const name = encodeURIComponent(r.pod);
  let path: string;
  if (r.kind === 'portforward') {
    path = `/portForward/${ns}/${name}`;
  } else {
    const container = selectContainer(pod, r.query.get('container') ?? '');
    path = `/${r.kind}/${ns}/${name}/${encodeURIComponent(container)}`;
  }
  const nodeName = pod.spec?.nodeName ?? '';
  if (!nodeName) throw badRequest(`pod ${r.pod} does not have a host assigned`);
  const kubelet = await findKubelet(registryFor, nodeName);
  const query = r.query.toString();
  return { pod: r.pod, kind: r.kind, kubelet, path: query ? `${path}?${query}` : path };
}

/** Refuses a session with a pod on a simulated node, whose containers run no processes. */
export function assertStreamable(t: PodStreamTarget): void {
  if (!t.kubelet.simulated) return;
  const what = t.kind === 'portforward' ? 'forward ports to' : t.kind;
  throw badRequest(`pod ${t.pod} runs on the simulated node ${t.kubelet.nodeName}, which has no processes to ${what}`);
}
