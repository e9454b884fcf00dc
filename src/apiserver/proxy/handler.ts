/**
 * The `proxy` subresources of pods, services and nodes (any method): the target is resolved
 * (target.ts), `.../proxy` without a trailing path is redirected to `.../proxy/` for GET and HEAD
 * as upstream does, and the request is forwarded with the rest of the path kept as the client
 * encoded it (forward.ts). A simulated node's kubelet answers `/stats/summary` and `/healthz`
 * in-process; everything else on simulated nodes and pods is unreachable.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inProcessSummary } from '../../kubelet/stats/in-process.js';
import { writeJson, writeRaw } from '../codec.js';
import type { HandlerContext } from '../handlers/resource-handler.js';
import { forward, unreachable } from './forward.js';
import { nodeTarget, podTarget, serviceTarget } from './target.js';
import type { ProxyTarget, SimulatedTarget } from './target.js';

export interface ProxyPath {
  /** The client's path up to and including `/proxy`. */
  prefix: string;
  /** The rest, still encoded: '' for no path, else starting with '/'. */
  rest: string;
  /** The raw query, without '?'. */
  query: string;
}

/** Splits a raw request URL of a core-group proxy subresource (`/api/v1/[namespaces/ns/]res/name/proxy/...`). */
export function splitProxyPath(rawUrl: string, namespaced: boolean): ProxyPath {
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const segs = pathname.split('/');
  const at = namespaced ? 7 : 5;
  const prefix = segs.slice(0, at + 1).join('/');
  const tail = segs.slice(at + 1);
  return { prefix, rest: tail.length ? `/${tail.join('/')}` : '', query };
}

async function resolve(ctx: HandlerContext): Promise<ProxyTarget> {
  const { namespace, name } = ctx.info;
  switch (ctx.resource.resource) {
    case 'pods': return podTarget(ctx.registryFor, namespace, name);
    case 'services': return serviceTarget(ctx.registryFor, namespace, name);
    default: return nodeTarget(ctx.registryFor, name);
  }
}

async function serveSimulated(req: IncomingMessage, res: ServerResponse, t: SimulatedTarget, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  if (t.kubelet && (method === 'GET' || method === 'HEAD')) {
    if (path === '/healthz') return writeRaw(res, 200, 'text/plain; charset=utf-8', 'ok');
    const provider = inProcessSummary(t.nodeName);
    if (path === '/stats/summary' && provider) return writeJson(res, 200, await provider.summary());
  }
  const e: NodeJS.ErrnoException = new Error(`dial tcp ${t.address}: connect: connection refused (${t.nodeName} is a simulated node)`);
  throw unreachable(t.address, e);
}

export async function handleProxy(ctx: HandlerContext): Promise<void> {
  const { req, res } = ctx;
  const p = splitProxyPath(req.url ?? '/', ctx.resource.namespaced);
  const target = await resolve(ctx);
  const method = req.method ?? 'GET';
  if (p.rest === '' && (method === 'GET' || method === 'HEAD')) {
    res.writeHead(301, { Location: `${p.prefix}/${p.query ? `?${p.query}` : ''}` });
    res.end();
    return;
  }
  const path = p.rest || '/';
  if (target.kind === 'simulated') return serveSimulated(req, res, target, path.replace(/\/+$/, '') || '/');
  await forward(req, res, { target, path: p.query ? `${path}?${p.query}` : path, proxyPrefix: p.prefix });
}
