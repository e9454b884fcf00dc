/**
 * The endpoints a joining `skiff agent` uses before it has credentials (k3s's supervisor
 * endpoints, in Skiff's shape). They are served on the API server's port, ahead of authentication:
 *
 * - `GET /cacerts`: the cluster CA bundle (public). The agent compares its sha256 with the hash in
 *   its token before trusting the server.
 * - `POST /v1-skiff/kubelet-certs` with `Authorization: Basic base64(node:<secret>)` and
 *   `{"nodeName": "...", "addresses": ["10.0.0.5", "host.example"]}`: signs, with the cluster CA,
 *   a client certificate for `system:node:<nodeName>` (group `system:nodes`), which the agent's
 *   kubelet uses against the API, and a kubelet serving certificate for the given names and
 *   addresses, which the API server verifies when it proxies logs. Also returns the cluster DNS
 *   settings the kubelet writes into pods. A wrong secret gets 401.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Pki } from './auth/pki.js';
import type { KubeletCertsRequest, KubeletCertsResponse, NodeToken } from '../client/node-join.js';
import { CACERTS_PATH, KUBELET_CERTS_PATH } from '../client/node-join.js';
import { nodeCredentialsMatch } from './auth/node-token.js';

export const NODE_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
const MAX_BODY = 64 * 1024;

/** A route served before authentication; resolves true when it answered the request. */
export type OpenRoute = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export interface NodeJoinOptions {
  pki: Pick<Pki, 'caCertPem' | 'signClientCert' | 'signServingCert'>;
  token: NodeToken;
  clusterDns?: string;
  clusterDomain?: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function reply(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): true {
  res.writeHead(code, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
  return true;
}

function basicCredentials(req: IncomingMessage): { user: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), secret: text.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks a join request body; returns the problem, or the request. */
export function parseKubeletCertsRequest(text: string): KubeletCertsRequest | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body must be JSON';
  }
  const b = body as { nodeName?: unknown; addresses?: unknown };
  if (typeof b.nodeName !== 'string' || b.nodeName.length > 253 || !DNS_SUBDOMAIN.test(b.nodeName)) {
    return `nodeName ${JSON.stringify(b.nodeName)} must be a lower-case DNS subdomain`;
  }
  const addresses = b.addresses ?? [];
  if (!Array.isArray(addresses) || addresses.length > 32) return 'addresses must be a list of at most 32 names or IPs';
  for (const a of addresses) {
    if (typeof a !== 'string' || (isIP(a) === 0 && !DNS_SUBDOMAIN.test(a))) return `address ${JSON.stringify(a)} is neither an IP nor a DNS name`;
  }
  return { nodeName: b.nodeName, addresses: addresses as string[] };
}

export function createNodeJoinRoutes(opts: NodeJoinOptions): OpenRoute {
  return async (req, res, path) => {
    if (path === CACERTS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      return reply(res, 200, opts.pki.caCertPem, 'application/x-pem-file');
    }
    if (path !== KUBELET_CERTS_PATH) return false;
    if (req.method !== 'POST') return reply(res, 405, 'use POST\n');
    const cred = basicCredentials(req);
    if (!cred || !nodeCredentialsMatch(opts.token, cred.user, cred.secret)) {
      return reply(res, 401, 'Unauthorized: the node token is not valid for this cluster\n');
    }
    const parsed = parseKubeletCertsRequest(await readBody(req));
    if (typeof parsed === 'string') return reply(res, 400, `${parsed}\n`);
    const { nodeName, addresses } = parsed;
    const client = await opts.pki.signClientCert(`${NODE_USER_PREFIX}${nodeName}`, [NODE_GROUP]);
    const serving = await opts.pki.signServingCert(nodeName, {
      dnsNames: [nodeName, 'localhost', ...addresses.filter((a) => isIP(a) === 0)],
      ips: ['127.0.0.1', ...addresses.filter((a) => isIP(a) !== 0)],
    });
    const body: KubeletCertsResponse = {
      caCertPem: opts.pki.caCertPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem,
      servingCertPem: serving.certPem, servingKeyPem: serving.keyPem, clusterDns: opts.clusterDns, clusterDomain: opts.clusterDomain,
    };
    return reply(res, 200, JSON.stringify(body), 'application/json');
  };
}
