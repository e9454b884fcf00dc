/**
 * The kubelet's HTTPS endpoint (upstream's port 10250), for now `GET /containerLogs/<ns>/<pod>/<container>`
 * with `follow`, `tailLines`, `sinceSeconds`, `sinceTime`, `timestamps`, `previous` and
 * `limitBytes`, `GET /stats/summary` (the Summary API) and `/healthz`. Clients authenticate with a certificate signed by the cluster CA
 * (the API server uses its kubelet client certificate); anything else is refused during the TLS
 * handshake.
 *
 * Containers are found through the runtime by their pod labels: the newest instance of the named
 * container is the current one, the one before it `previous`.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerStatus } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, isRuntimeNotFound } from '../runtime/runtime.js';
import type { LogOptions } from './container-logs.js';
import { streamCriLog } from './container-logs.js';
import type { StreamingServerRuntime, UpgradeHandler } from './upgrade-routes.js';
import { rejectUpgrade } from './upgrade-routes.js';
import { handleExec, handleAttach } from './remote-command.js';
import { handlePortForward } from './port-forward.js';
import type { SummaryProvider } from '../stats/summary-api.js';

export interface KubeletServerOptions {
  runtime: StreamingServerRuntime;
  tls: { caCertPem: string; certPem: string; keyPem: string };
  /** Polling interval while following a log (ms); default 200. */
  followPollMs?: number;
  /** Answers `GET /stats/summary` (404 without it). */
  stats?: SummaryProvider;
}

export interface KubeletServer {
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, `invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** Log options from the query, as upstream's kubelet reads PodLogOptions. */
export function logOptionsFromQuery(q: URLSearchParams, now = Date.now()): LogOptions & { previous: boolean } {
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new HttpError(400, `invalid sinceTime: ${JSON.stringify(sinceTime)}`);
    sinceMs = t;
  }
  return {
    follow: boolParam(q, 'follow'), timestamps: boolParam(q, 'timestamps'), previous: boolParam(q, 'previous'),
    tailLines: intParam(q, 'tailLines'), limitBytes: intParam(q, 'limitBytes'), sinceMs,
  };
}

export function createKubeletServer(opts: KubeletServerOptions): KubeletServer {
  const { runtime } = opts;
  const open = new Set<ServerResponse>();

  async function instances(ns: string, pod: string, container: string): Promise<ContainerStatus[]> {
    const list = await runtime.listContainers({ labelSelector: { [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_NAME]: pod, [LABEL_CONTAINER_NAME]: container } });
    const out: ContainerStatus[] = [];
    for (const c of list) {
      try {
        out.push((await runtime.containerStatus(c.id)).status);
      } catch (err) {
        if (!isRuntimeNotFound(err)) throw err;
      }
    }
    out.sort((a, b) => b.createdAt - a.createdAt);
    // Only the newest pod of that name (a re-created pod has a new uid).
    const uid = out[0]?.labels[LABEL_POD_UID];
    return out.filter((s) => s.labels[LABEL_POD_UID] === uid);
  }

  async function containerLogs(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
    const [ns = '', pod = '', container = ''] = parts.map(decodeURIComponent);
    if (!ns || !pod || !container) throw new HttpError(400, 'want /containerLogs/<namespace>/<pod>/<container>');
    const o = logOptionsFromQuery(url.searchParams);
    const all = await instances(ns, pod, container);
    const target = o.previous ? all[1] : all[0];
    if (!target) {
      if (o.previous) throw new HttpError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
      throw new HttpError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    }
    if (!target.logPath) throw new HttpError(404, `container "${container}" in pod "${pod}" has no log file`);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const running = async (): Promise<boolean> => {
      if (o.previous) return false;
      try {
        return (await runtime.containerStatus(target.id)).status.state === 'CONTAINER_RUNNING';
      } catch {
        return false;
      }
    };
    try {
      await streamCriLog(target.logPath, o, {
        write: (text) => new Promise<boolean>((resolve) => {
          if (res.destroyed || abort.signal.aborted) {
            resolve(false);
            return;
          }
          if (res.write(text)) resolve(true);
          else res.once('drain', () => resolve(!res.destroyed));
        }),
      }, { running, signal: abort.signal, pollMs: opts.followPollMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The file went away with the container: nothing more to send.
    }
    res.end();
    void req;
  }

  const server: Server = createServer({
    cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.caCertPem, requestCert: true, rejectUnauthorized: true,
  }, (req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    const handle = async (): Promise<void> => {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (parts[0] === 'containerLogs') return containerLogs(req, res, url, parts.slice(1));
      if (url.pathname === '/stats/summary' && opts.stats) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await opts.stats.summary()));
        return;
      }
      throw new HttpError(404, `${url.pathname} not found`);
    };
    handle().catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const msg = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' }).end(msg);
      else res.destroy();
    });
  });

  const upgradeRoutes: Record<string, UpgradeHandler> = { exec: handleExec, attach: handleAttach, portForward: handlePortForward };
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const [route = '', ...rest] = url.pathname.split('/').filter(Boolean);
    const handler = upgradeRoutes[route];
    if (!handler) {
      rejectUpgrade(socket, 404, `${url.pathname} not found`);
      return;
    }
    let parts: string[];
    try {
      parts = rest.map(decodeURIComponent);
    } catch {
      rejectUpgrade(socket, 400, 'malformed path');
      return;
    }
    Promise.resolve(handler(req, socket, head, { runtime, parts, url })).catch((err: unknown) => {
      rejectUpgrade(socket, 500, err instanceof Error ? err.message : String(err));
    });
  });

  return {
    listen(port, host) {
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address();
          resolve(typeof a === 'object' && a ? a.port : port);
        });
      });
    },
    close() {
      for (const r of open) r.destroy();
      for (const s of upgraded) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
