/**
 * httpGet probes and hooks (upstream probe/http): GET `scheme://host:port/path` with
 * `User-Agent: kube-probe/1.32` and `Accept: *\/*` unless the probe's headers say otherwise
 * (a `Host` header sets the request host), TLS without verification, no keep-alive. A status in
 * 200–399 is success; redirects to the same host are followed (at most 10), a redirect to another
 * host is not followed and counts as success with a warning; anything else fails with
 * `HTTP probe failed with statuscode: N`. The timeout covers the whole exchange.
 */
import http from 'node:http';
import https from 'node:https';
import type { ProbeResult } from './probe-result.js';
import { dialErrorText, joinHostPort } from './probe-result.js';

export const PROBE_USER_AGENT = 'kube-probe/1.32';
const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

export interface HttpProbeRequest {
  scheme: string;
  host: string;
  port: number;
  path: string;
  headers?: { name: string; value: string }[];
  timeoutMs: number;
}

/** `scheme://host:port` + path (the path may carry a query), as upstream's formatURL. */
export function probeUrl(scheme: string, host: string, port: number, path: string): string {
  return `${scheme.toLowerCase()}://${joinHostPort(host, port)}${path && !path.startsWith('/') ? '/' : ''}${path}`;
}

interface Response {
  status: number;
  location: string | undefined;
  body: string;
}

function once(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'GET', headers, agent: false, rejectUnauthorized: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function httpProbe(p: HttpProbeRequest): Promise<ProbeResult> {
  const first = probeUrl(p.scheme, p.host, p.port, p.path);
  const headers: Record<string, string> = {};
  let sawUA = false;
  let sawAccept = false;
  for (const h of p.headers ?? []) {
    const lower = h.name.toLowerCase();
    if (lower === 'user-agent') sawUA = true;
    if (lower === 'accept') sawAccept = true;
    headers[lower === 'host' ? 'host' : h.name] = h.value;
  }
  if (!sawUA) headers['User-Agent'] = PROBE_USER_AGENT;
  if (!sawAccept) headers.Accept = '*/*';
  headers.Connection = 'close';
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, p.timeoutMs);
  let url = new URL(first);
  const origin = url.hostname;
  try {
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await once(url, headers, ac.signal);
      } catch (err) {
        if (timedOut) return { result: 'failure', output: `Get "${hop === 0 ? first : url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
        const addr = joinHostPort(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port) || (url.protocol === 'https:' ? 443 : 80));
        return { result: 'failure', output: `Get "${hop === 0 ? first : url.href}": ${dialErrorText(addr, err, false)}` };
      }
      if (res.status >= 300 && res.status < 400 && res.location) {
        const next = new URL(res.location, url);
        if (next.hostname === origin) {
          if (hop + 1 >= MAX_REDIRECTS) return { result: 'failure', output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
          url = next;
          continue;
        }
      }
      if (res.status >= 200 && res.status < 400) {
        if (res.status >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
        return { result: 'success', output: res.body };
      }
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}
