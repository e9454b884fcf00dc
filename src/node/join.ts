/**
 * The agent's side of joining a cluster: checks that the server holds the CA named in the node
 * token (sha256 of `GET /cacerts`), then, over a connection verified against that CA, presents the
 * token's secret and receives its node client certificate (`system:node:<name>`) and kubelet
 * serving certificate, both signed by the cluster CA. See src/apiserver/node-join.ts.
 */
import https from 'node:https';
import { CACERTS_PATH, KUBELET_CERTS_PATH } from '../apiserver/node-join.js';
import type { KubeletCertsResponse } from '../apiserver/node-join.js';
import { caCertHash, parseNodeToken } from '../apiserver/auth/node-token.js';

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
