/**
 * How the API server reaches a node's kubelet (logs, exec, attach, port-forward): the node's
 * InternalIP (loopback when that address is this machine's) and `status.daemonEndpoints.
 * kubeletEndpoint.Port`, over TLS with the API server's kubelet client certificate, checking the
 * kubelet's serving certificate against the cluster CA.
 */
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { networkInterfaces } from 'node:os';
import { StatusError } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';

export interface KubeletClientCredentials {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

let credentials: KubeletClientCredentials | undefined;

/** The certificate the API server presents to kubelets, and the CA their serving certificates chain to. */
export function setKubeletClientCredentials(c: KubeletClientCredentials | undefined): void {
  credentials = c;
}

const SIMULATED_LABEL = 'node.skiff.io/simulated';
const DEFAULT_KUBELET_PORT = 10250;

interface NodeView extends KubeObject {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

export interface KubeletEndpoint {
  nodeName: string;
  host: string;
  port: number;
  /** A simulated node: its kubelet serves nothing over the network. */
  simulated: boolean;
}

function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/** Where to reach a node's kubelet: its InternalIP, or loopback when that address is this machine's. */
export function kubeletEndpoint(node: NodeView): KubeletEndpoint {
  const addrs = node.status?.addresses ?? [];
  const ip = addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'Hostname')?.address ?? '';
  return {
    nodeName: node.metadata.name ?? '',
    host: !ip || localAddresses().has(ip) ? '127.0.0.1' : ip,
    port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT,
    simulated: node.metadata.labels?.[SIMULATED_LABEL] === 'true',
  };
}

/** The kubelet of the node named `nodeName` (404 Status when the node does not exist). */
export async function findKubelet(registryFor: (g: string, r: string) => ResourceRegistry | undefined, nodeName: string): Promise<KubeletEndpoint> {
  const nodes = registryFor('', 'nodes');
  if (!nodes) throw new StatusError(500, 'InternalError', 'nodes are not served');
  return kubeletEndpoint(await nodes.get('', nodeName) as NodeView);
}

/** TLS options for a connection to `ep` (for `https.request` or `tls.connect`); 503 without credentials. */
export function kubeletTlsOptions(ep: KubeletEndpoint): {
  host: string; port: number; ca: string; cert: string; key: string; servername: string | undefined;
} {
  if (!credentials) throw new StatusError(503, 'ServiceUnavailable', 'the API server has no kubelet client credentials');
  return {
    host: ep.host, port: ep.port, ca: credentials.caCertPem, cert: credentials.certPem, key: credentials.keyPem,
    servername: ep.host === '127.0.0.1' || ep.host.includes(':') ? undefined : ep.host,
  };
}

/** An established TLS connection to the kubelet; failures are upstream's 500 "error dialing backend". */
export function dialKubelet(ep: KubeletEndpoint): Promise<TLSSocket> {
  const o = kubeletTlsOptions(ep);
  return new Promise((resolve, reject) => {
    const socket = connect({ ...o, ALPNProtocols: ['http/1.1'] });
    const onError = (err: Error): void => {
      socket.destroy();
      reject(new StatusError(500, 'InternalError', `error dialing backend: ${err.message}`));
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
