/**
 * Forwards one plain HTTP request to a proxy target and streams the answer back, as upstream's
 * reverse proxy does: method, path, query and body unchanged; hop-by-hop headers (and those the
 * Connection header names) dropped both ways; the client's credentials (Authorization,
 * impersonation headers) kept from the backend; a redirect to the backend itself rewritten to go
 * through the proxy path again. A backend that cannot be reached is upstream's 503
 * "error trying to reach service: dial tcp ...".
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { StatusError } from '../../apimachinery/errors.js';
import type { NetworkTarget } from './target.js';
import { targetAddress } from './target.js';

const HOP_BY_HOP = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

/** Upstream's dial timeout for proxied connections. */
const DIAL_TIMEOUT_MS = 30_000;

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection;
  const values = Array.isArray(c) ? c : c ? [c] : [];
  return new Set(values.flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean));
}

function isCredential(name: string): boolean {
  return name === 'authorization' || name.startsWith('impersonate-') || name === 'host';
}

/** The headers to send to the backend. */
export function forwardRequestHeaders(headers: IncomingHttpHeaders, clientAddress: string | undefined): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || isCredential(name)) continue;
    out[name] = value;
  }
  if (clientAddress) {
    const prior = headers['x-forwarded-for'];
    out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${clientAddress}` : clientAddress;
  }
  return out;
}

/** The headers to return to the client; `rewriteLocation` maps a redirect target. */
export function forwardResponseHeaders(headers: IncomingHttpHeaders, rewriteLocation: (loc: string) => string): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = name === 'location' && typeof value === 'string' ? rewriteLocation(value) : value;
  }
  return out;
}

/**
 * A redirect to the backend (same host, or a bare path) points back through `proxyPrefix`
 * (the request path up to and including `/proxy`); anything else is left alone.
 */
export function locationRewriter(target: NetworkTarget, proxyPrefix: string): (loc: string) => string {
  return (loc) => {
    let u: URL;
    try {
      u = new URL(loc, `${target.scheme}://${targetAddress(target)}/`);
    } catch {
      return loc;
    }
    const sameHost = u.hostname.replace(/^\[|\]$/g, '') === target.host;
    if (!loc.startsWith('/') && !sameHost) return loc;
    if (loc.startsWith('//') && !sameHost) return loc;
    return `${proxyPrefix}${u.pathname}${u.search}${u.hash}`;
  };
}

const DIAL_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'i/o timeout',
  ECONNRESET: 'connection reset by peer',
};

/** Upstream's text for a backend that could not be reached. */
export function unreachable(address: string, err: unknown): StatusError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const why = DIAL_ERRORS[code] ? `dial tcp ${address}: ${DIAL_ERRORS[code]}` : err instanceof Error ? err.message : String(err);
  return new StatusError(503, 'ServiceUnavailable', `error trying to reach service: ${why}`);
}

export interface ForwardOptions {
  target: NetworkTarget;
  /** Path and query on the backend. */
  path: string;
  /** The client's path up to and including `/proxy`. */
  proxyPrefix: string;
}

/** Sends `req` to the target and pipes the answer into `res`; rejects (before any byte is written) when the backend is unreachable. */
export function forward(req: IncomingMessage, res: ServerResponse, o: ForwardOptions): Promise<void> {
  const { target } = o;
  const address = targetAddress(target);
  const headers = forwardRequestHeaders(req.headers, req.socket.remoteAddress);
  headers.host = address;
  const common = { host: target.host, port: target.port, method: req.method ?? 'GET', path: o.path, headers, agent: false as const };
  return new Promise((resolve, reject) => {
    let answered = false;
    const onResponse = (upstream: IncomingMessage): void => {
      answered = true;
      res.writeHead(upstream.statusCode ?? 502, forwardResponseHeaders(upstream.headers, locationRewriter(target, o.proxyPrefix)));
      upstream.pipe(res);
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        upstream.destroy();
        resolve();
      });
    };
    const out = target.scheme === 'https'
      ? https.request({ ...common, ...(target.tls ?? {}), rejectUnauthorized: Boolean(target.tls) }, onResponse)
      : http.request(common, onResponse);
    const dialTimer = setTimeout(() => {
      const e: NodeJS.ErrnoException = new Error('i/o timeout');
      e.code = 'ETIMEDOUT';
      out.destroy(e);
    }, DIAL_TIMEOUT_MS);
    out.on('socket', (s) => s.once('connect', () => clearTimeout(dialTimer)));
    out.on('close', () => clearTimeout(dialTimer));
    out.on('error', (err) => {
      clearTimeout(dialTimer);
      if (answered) res.destroy();
      else reject(unreachable(address, err));
    });
    req.on('aborted', () => out.destroy());
    res.on('close', () => { if (!res.writableFinished) out.destroy(); });
    req.pipe(out);
  });
}
