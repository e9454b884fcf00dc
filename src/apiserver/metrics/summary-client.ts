/**
 * Summaries from the kubelets, as metrics-server scrapes them: `GET /stats/summary` on each node's
 * kubelet endpoint (with the API server's kubelet client certificate), in parallel, with a timeout
 * per node and a short cache so a burst of `kubectl top` calls costs one scrape. Simulated nodes
 * have no endpoint: their in-process kubelets answer directly. A node that fails gives nothing.
 */
import { request } from 'node:https';
import type { KubeObject } from '../../apimachinery/object.js';
import { inProcessSummary } from '../../kubelet/stats/in-process.js';
import type { Summary } from '../../kubelet/stats/summary-api.js';
import { kubeletEndpoint, kubeletTlsOptions } from '../handlers/kubelet-endpoint.js';

export const SUMMARY_CACHE_MS = 10_000;
export const SUMMARY_TIMEOUT_MS = 5_000;
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;

type Fetch = (node: KubeObject) => Promise<Summary | undefined>;

function fetchOverHttps(node: KubeObject, timeoutMs: number): Promise<Summary | undefined> {
  const ep = kubeletEndpoint(node);
  const tls = kubeletTlsOptions(ep);
  return new Promise((resolve, reject) => {
    const req = request({ ...tls, path: '/stats/summary', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_SUMMARY_BYTES) req.destroy(new Error('summary too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`kubelet answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Summary);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The default way to a node's summary: in-process for simulated nodes, else the kubelet over HTTPS. */
export function defaultSummaryFetch(timeoutMs = SUMMARY_TIMEOUT_MS): Fetch {
  return async (node) => {
    const ep = kubeletEndpoint(node);
    if (ep.simulated) {
      const local = inProcessSummary(ep.nodeName);
      return local ? withTimeout(local.summary(), timeoutMs) : undefined;
    }
    return fetchOverHttps(node, timeoutMs);
  };
}

export interface SummaryCache {
  /** Summaries of these nodes by node name (nodes without one are absent). */
  summaries(nodes: KubeObject[]): Promise<Map<string, Summary>>;
}

export function createSummaryCache(opts: { fetch?: Fetch; ttlMs?: number; now?: () => number } = {}): SummaryCache {
  const fetch = opts.fetch ?? defaultSummaryFetch();
  const ttl = opts.ttlMs ?? SUMMARY_CACHE_MS;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; uid: string; value: Promise<Summary | undefined> }>();

  function get(node: KubeObject): Promise<Summary | undefined> {
    const name = node.metadata.name ?? '';
    const uid = node.metadata.uid ?? '';
    const hit = cache.get(name);
    if (hit && hit.uid === uid && now() - hit.at < ttl) return hit.value;
    const value = fetch(node).catch(() => {
      // A failed scrape is not kept: the next request tries again.
      if (cache.get(name)?.value === value) cache.delete(name);
      return undefined;
    });
    cache.set(name, { at: now(), uid, value });
    return value;
  }

  return {
    async summaries(nodes) {
      const names = new Set(nodes.map((n) => n.metadata.name ?? ''));
      for (const k of cache.keys()) if (!names.has(k) && now() - (cache.get(k)?.at ?? 0) >= ttl) cache.delete(k);
      const out = new Map<string, Summary>();
      const results = await Promise.all(nodes.map(async (n) => [n.metadata.name ?? '', await get(n)] as const));
      for (const [name, s] of results) if (s) out.set(name, s);
      return out;
    },
  };
}
