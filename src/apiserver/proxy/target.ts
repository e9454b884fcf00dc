/**
 * Where a `proxy` subresource request goes, after upstream's ResourceLocation functions:
 * - pods: `[scheme:]name[:port]` → the pod IP and the port (default: the first declared container
 *   port); a pod without a usable IP is a 400 "address not allowed";
 * - services: `[scheme:]name[:portName|port]` → a ready address of the Endpoints object and the
 *   endpoint port of that service port (a port number is first mapped to its port's name);
 * - nodes: `[scheme:]name[:port]` → the node's kubelet over HTTPS with the API server's kubelet
 *   client certificate, or plain HTTP(S) to another port of the node.
 * Pods and nodes that are simulated have nothing listening: they get a target that says so, so
 * no packet is sent toward their made-up addresses.
 */
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { kubeletEndpoint, kubeletTlsOptions } from '../handlers/kubelet-endpoint.js';

type RegistryFor = (group: string, resource: string) => ResourceRegistry | undefined;

export interface NetworkTarget {
  kind: 'network';
  scheme: 'http' | 'https';
  host: string;
  port: number | undefined;
  /** TLS client settings (the kubelet's); plain HTTPS targets skip verification as upstream's proxy transport does. */
  tls?: { ca: string; cert: string; key: string; servername: string | undefined };
}

/** A simulated node or pod: nothing listens; `nodeName` lets a simulated kubelet answer in-process. */
export interface SimulatedTarget {
  kind: 'simulated';
  nodeName: string;
  /** The node's own kubelet port (an in-process kubelet may serve it). */
  kubelet: boolean;
  /** What is unreachable, for the error text. */
  address: string;
}

export type ProxyTarget = NetworkTarget | SimulatedTarget;

export interface SchemeNamePort { scheme: string; name: string; port: string }

/** Upstream's SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port`; undefined when invalid. */
export function splitSchemeNamePort(id: string): SchemeNamePort | undefined {
  const parts = id.split(':');
  let out: SchemeNamePort;
  if (parts.length === 1) out = { scheme: '', name: parts[0]!, port: '' };
  else if (parts.length === 2) out = { scheme: '', name: parts[0]!, port: parts[1]! };
  else if (parts.length === 3) out = { scheme: parts[0]!, name: parts[1]!, port: parts[2]! };
  else return undefined;
  if (!out.name) return undefined;
  if (out.scheme !== '' && out.scheme !== 'http' && out.scheme !== 'https') return undefined;
  return out;
}

function registry(registryFor: RegistryFor, resource: string): ResourceRegistry {
  const r = registryFor('', resource);
  if (!r) throw new StatusError(500, 'InternalError', `${resource} are not served`);
  return r;
}

interface PodView extends KubeObject {
  spec?: { nodeName?: string; containers?: { ports?: { containerPort?: number }[] }[] };
  status?: { podIP?: string; podIPs?: { ip: string }[] };
}

function isGlobalUnicast(ip: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((n) => n > 255)) return false;
    return !(a === 0 || a === 127 || a >= 224 || (a === 169 && b === 254) || (a === 255 && b === 255 && c === 255 && d === 255));
  }
  if (!ip.includes(':')) return false;
  const low = ip.toLowerCase();
  return !(low === '::' || low === '::1' || low.startsWith('fe80:') || low.startsWith('ff'));
}

function portNumber(port: string, what: string): number | undefined {
  if (port === '') return undefined;
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw badRequest(`invalid ${what} port "${port}"`);
  return n;
}

async function isSimulatedNode(registryFor: RegistryFor, nodeName: string | undefined): Promise<boolean> {
  if (!nodeName) return false;
  try {
    return kubeletEndpoint(await registry(registryFor, 'nodes').get('', nodeName)).simulated;
  } catch {
    return false;
  }
}

function scheme(s: string): 'http' | 'https' {
  return s === 'https' ? 'https' : 'http';
}

function hostPort(host: string, port: number | undefined): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

export async function podTarget(registryFor: RegistryFor, namespace: string, id: string): Promise<ProxyTarget> {
  const snp = splitSchemeNamePort(id);
  if (!snp) throw badRequest(`invalid pod request "${id}"`);
  const pod = await registry(registryFor, 'pods').get(namespace, snp.name) as PodView;
  let port = snp.port;
  if (port === '') {
    const first = (pod.spec?.containers ?? []).find((c) => (c.ports ?? []).length > 0)?.ports?.[0]?.containerPort;
    if (first) port = String(first);
  }
  const ip = pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || '';
  if (!isGlobalUnicast(ip)) throw badRequest('address not allowed');
  const n = portNumber(port, 'pod');
  if (await isSimulatedNode(registryFor, pod.spec?.nodeName)) {
    return { kind: 'simulated', nodeName: pod.spec?.nodeName ?? '', kubelet: false, address: hostPort(ip, n ?? 80) };
  }
  return { kind: 'network', scheme: scheme(snp.scheme), host: ip, port: n };
}

interface ServiceView extends KubeObject {
  spec?: { ports?: { name?: string; port: number }[] };
}

interface EndpointsView extends KubeObject {
  subsets?: {
    addresses?: { ip: string; nodeName?: string }[];
    ports?: { name?: string; port: number }[];
  }[];
}

function unavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message);
}

function shuffled<T>(items: readonly T[]): T[] {
  const start = items.length ? Math.floor(Math.random() * items.length) : 0;
  return items.map((_, i) => items[(start + i) % items.length]!);
}

export async function serviceTarget(registryFor: RegistryFor, namespace: string, id: string): Promise<ProxyTarget> {
  const snp = splitSchemeNamePort(id);
  if (!snp) throw badRequest(`invalid service request "${id}"`);
  let portName = snp.port;
  if (/^\d+$/.test(portName)) {
    const svc = await registry(registryFor, 'services').get(namespace, snp.name) as ServiceView;
    const num = Number(portName);
    const found = (svc.spec?.ports ?? []).find((p) => p.port === num);
    if (!found) throw unavailable(`no service port ${num} found for service "${snp.name}"`);
    portName = found.name ?? '';
  }
  const eps = await registry(registryFor, 'endpoints').get(namespace, snp.name) as EndpointsView;
  const subsets = eps.subsets ?? [];
  if (subsets.length === 0) throw unavailable(`no endpoints available for service "${snp.name}"`);
  for (const ss of shuffled(subsets)) {
    const addresses = ss.addresses ?? [];
    if (addresses.length === 0) continue;
    const port = (ss.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!port) continue;
    const addr = shuffled(addresses)[0]!;
    if (await isSimulatedNode(registryFor, addr.nodeName)) {
      return { kind: 'simulated', nodeName: addr.nodeName ?? '', kubelet: false, address: hostPort(addr.ip, port.port) };
    }
    return { kind: 'network', scheme: scheme(snp.scheme), host: addr.ip, port: port.port };
  }
  throw unavailable(`no endpoints available for service "${id}"`);
}

export async function nodeTarget(registryFor: RegistryFor, id: string): Promise<ProxyTarget> {
  const snp = splitSchemeNamePort(id);
  if (!snp) throw badRequest(`invalid node request "${id}"`);
  const ep = kubeletEndpoint(await registry(registryFor, 'nodes').get('', snp.name));
  const requested = portNumber(snp.port, 'node');
  const toKubelet = requested === undefined || requested === ep.port;
  if (ep.simulated) {
    return { kind: 'simulated', nodeName: ep.nodeName, kubelet: toKubelet, address: hostPort(ep.host, requested ?? ep.port) };
  }
  if (toKubelet) {
    const { ca, cert, key, servername } = kubeletTlsOptions(ep);
    return { kind: 'network', scheme: 'https', host: ep.host, port: ep.port, tls: { ca, cert, key, servername } };
  }
  return { kind: 'network', scheme: scheme(snp.scheme), host: ep.host, port: requested };
}

/** The `host[:port]` a target names, as used in error texts. */
export function targetAddress(t: ProxyTarget): string {
  return t.kind === 'simulated' ? t.address : hostPort(t.host, t.port ?? (t.scheme === 'https' ? 443 : 80));
}
