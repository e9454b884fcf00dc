/**
 * The node-join protocol, shared by the server (src/apiserver/node-join.ts) and a joining
 * `skiff agent` (joinCluster below).
 *
 * The token has k3s's "secure" format: `K10<sha256 hex of the CA certificate PEM>::node:<secret>`.
 * The hash lets the agent check that the server it reached holds the cluster CA (fetched from the
 * open `GET /cacerts`) before it sends the secret; over a connection verified against that CA it
 * then presents the secret (HTTP Basic `node:<secret>`) to `POST /v1-skiff/kubelet-certs` and
 * receives its node client certificate (`system:node:<name>`, group `system:nodes`) and kubelet
 * serving certificate, both signed by the cluster CA.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';

export const CACERTS_PATH = '/cacerts';
export const KUBELET_CERTS_PATH = '/v1-skiff/kubelet-certs';
export const NODE_TOKEN_USER = 'node';

export interface NodeToken {
  /** sha256 hex of the CA bundle PEM. */
  caHash: string;
  username: string;
  secret: string;
}

export interface KubeletCertsRequest {
  nodeName: string;
  addresses: string[];
}

export interface KubeletCertsResponse {
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  clusterDns?: string;
  clusterDomain?: string;
}

export function caCertHash(caCertPem: string): string {
  return createHash('sha256').update(caCertPem, 'utf8').digest('hex');
}

export function formatNodeToken(t: NodeToken): string {
  return `K10${t.caHash}::${t.username}:${t.secret}`;
}

/** Parses a full token; throws a message meant for the person who typed it. */
export function parseNodeToken(text: string): NodeToken {
  const m = /^K10([0-9a-f]{64})::([^:\s]+):(\S+)$/.exec(text.trim());
  if (!m) throw new Error('the token is not a Skiff node token (expected K10<ca-hash>::node:<secret>, as in <server-data-dir>/server/node-token)');
  return { caHash: m[1]!, username: m[2]!, secret: m[3]! };
}

export interface JoinOptions {
  /** `https://host:port` of the API server. */
  server: string;
  token: string;
  nodeName: string;
  /** Names and IPs the kubelet serving certificate must cover (the node's InternalIP). */
  addresses: string[];
  timeoutMs?: number;
}

export class JoinRefusedError extends Error {}

interface Reply {
  status: number;
  body: string;
}

function call(url: URL, opts: { method: string; ca?: string; headers?: Record<string, string>; body?: string; timeoutMs: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: opts.method, headers: opts.headers, agent: false, timeout: opts.timeoutMs,
      ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Fetches the cluster CA (unverified) and checks it against the token's hash. */
async function verifiedCa(server: string, caHash: string, timeoutMs: number): Promise<string> {
  const r = await call(new URL(CACERTS_PATH, server), { method: 'GET', timeoutMs });
  if (r.status !== 200) throw new Error(`GET ${server}${CACERTS_PATH} answered ${r.status}; is ${server} a skiff server?`);
  if (caCertHash(r.body) !== caHash) {
    throw new JoinRefusedError(`the CA of ${server} does not match the token (hash ${caCertHash(r.body).slice(0, 12)}…, token expects ${caHash.slice(0, 12)}…); wrong server or wrong token`);
  }
  return r.body;
}

export async function joinCluster(opts: JoinOptions): Promise<KubeletCertsResponse> {
  const token = parseNodeToken(opts.token);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ca = await verifiedCa(opts.server, token.caHash, timeoutMs);
  const r = await call(new URL(KUBELET_CERTS_PATH, opts.server), {
    method: 'POST', ca, timeoutMs, body: JSON.stringify({ nodeName: opts.nodeName, addresses: opts.addresses }),
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`${token.username}:${token.secret}`, 'utf8').toString('base64')}`,
    },
  });
  if (r.status === 401) throw new JoinRefusedError(`the server refused the node token (401): ${r.body.trim()}`);
  if (r.status !== 200) throw new Error(`${KUBELET_CERTS_PATH} answered ${r.status}: ${r.body.trim()}`);
  return { ...(JSON.parse(r.body) as KubeletCertsResponse), caCertPem: ca };
}
