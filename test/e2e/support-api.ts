/**
 * Raw HTTPS access to a running `skiff server` for the API end-to-end suites: requests with the
 * admin client certificate, a bearer token or no credentials at all, arbitrary bodies and content
 * types, and streaming watches. Lifecycle (start, restart, kill) comes from test/helpers/cluster.ts.
 */
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What these helpers need from a started server. */
export interface ApiTarget {
  url: string;
  dataDir: string;
}

export type Auth = 'admin' | 'none' | { token: string };

export interface RequestOptions {
  /** An object is sent as JSON; a string or Buffer is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  auth?: Auth;
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body (an empty object when the body is not JSON). */
  json: Record<string, unknown>;
}

interface Credentials { ca: Buffer; cert: Buffer; key: Buffer }
const credCache = new Map<string, Credentials>();

function credentials(t: ApiTarget): Credentials {
  let c = credCache.get(t.dataDir);
  if (!c) {
    const tls = join(t.dataDir, 'tls');
    c = {
      ca: readFileSync(join(tls, 'server-ca.crt')),
      cert: readFileSync(join(tls, 'client-admin.crt')),
      key: readFileSync(join(tls, 'client-admin.key')),
    };
    credCache.set(t.dataDir, c);
  }
  return c;
}

/** Forget cached credentials (after a data dir is reused by a new server with new files). */
export function forgetCredentials(t: ApiTarget): void {
  credCache.delete(t.dataDir);
}

function requestOptions(t: ApiTarget, method: string, path: string, o: RequestOptions, body: Buffer | undefined): https.RequestOptions {
  const u = new URL(path, t.url);
  const c = credentials(t);
  const auth = o.auth ?? 'admin';
  const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers ?? {}) };
  if (body !== undefined) {
    headers['Content-Length'] = String(body.length);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  if (typeof auth === 'object') headers.Authorization = `Bearer ${auth.token}`;
  return {
    method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers, ca: c.ca,
    ...(auth === 'admin' ? { cert: c.cert, key: c.key } : {}),
    agent: false,
  };
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function api(t: ApiTarget, method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> {
  const body = encodeBody(o.body);
  return new Promise<ApiResponse>((resolve, reject) => {
    const req = https.request(requestOptions(t, method, path, o, body), (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          const v: unknown = JSON.parse(text);
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    // A server may answer (413) before reading a large body and close; ignore EPIPE-like write errors.
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Reads a nested value: `at(obj, 'details.causes.0.field')`. */
export function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (typeof cur === 'object') cur = (cur as Record<string, unknown>)[part];
    else return undefined;
  }
  return cur;
}

/** `at` for arrays: an empty array when absent. */
export function arr(v: unknown, path: string): unknown[] {
  const x = at(v, path);
  return Array.isArray(x) ? x : [];
}

export function str(v: unknown, path: string): string {
  const x = at(v, path);
  return typeof x === 'string' ? x : x === undefined ? '' : String(x);
}

/** Names of the items of a list response. */
export function names(list: Record<string, unknown>): string[] {
  return arr(list, 'items').map((i) => str(i, 'metadata.name'));
}

/** Describes a response for assertion messages. */
export function show(r: ApiResponse): string {
  return `HTTP ${r.status}: ${r.text.slice(0, 600)}`;
}

export interface WatchEventLine {
  type: string;
  object: Record<string, unknown>;
}

export interface WatchStream {
  status: number;
  /** Error body when the status is not 200. */
  text: string;
  events: WatchEventLine[];
  /** True once the server ended the response. */
  ended: boolean;
  /** Resolves with the events once `pred(events)` holds, or rejects after `timeoutMs`. */
  until(pred: (events: WatchEventLine[]) => boolean, timeoutMs?: number): Promise<WatchEventLine[]>;
  /** Resolves when the server ends the stream (rejects after `timeoutMs`). */
  end(timeoutMs?: number): Promise<WatchEventLine[]>;
  close(): void;
}

/** Opens a watch (`path` should carry `watch=1` or be a watch URL) and collects its events. */
export function watch(t: ApiTarget, path: string, o: RequestOptions = {}): Promise<WatchStream> {
  return new Promise<WatchStream>((resolve, reject) => {
    const waiters = new Set<() => void>();
    const notify = (): void => { for (const w of [...waiters]) w(); };
    let res: IncomingMessage | undefined;
    const stream: WatchStream = {
      status: 0, text: '', events: [], ended: false,
      until(pred, timeoutMs = 15_000) {
        return new Promise<WatchEventLine[]>((ok, fail) => {
          const check = (): void => {
            if (pred(stream.events)) { waiters.delete(check); clearTimeout(timer); ok(stream.events); return; }
            if (stream.ended) { waiters.delete(check); clearTimeout(timer); fail(new Error(`watch ended before condition held; events: ${JSON.stringify(stream.events.map((e) => [e.type, at(e.object, 'metadata.name'), at(e.object, 'metadata.resourceVersion')]))}`)); }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`watch condition not met in ${timeoutMs} ms; events: ${JSON.stringify(stream.events.map((e) => [e.type, at(e.object, 'metadata.name'), at(e.object, 'metadata.resourceVersion')]))}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      end(timeoutMs = 15_000) {
        return new Promise<WatchEventLine[]>((ok, fail) => {
          const check = (): void => {
            if (stream.ended) { waiters.delete(check); clearTimeout(timer); ok(stream.events); }
          };
          const timer = setTimeout(() => { waiters.delete(check); fail(new Error(`watch did not end in ${timeoutMs} ms`)); }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      close() {
        req.destroy();
        res?.destroy();
      },
    };
    const req = https.request(requestOptions(t, 'GET', path, o, undefined), (r) => {
      res = r;
      stream.status = r.statusCode ?? 0;
      let buf = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        if (stream.status !== 200) { stream.text += chunk; return; }
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const ev = JSON.parse(line) as WatchEventLine;
          stream.events.push(ev);
        }
        notify();
      });
      const done = (): void => { stream.ended = true; notify(); };
      r.on('end', done);
      r.on('close', done);
      r.on('error', done);
      resolve(stream);
    });
    req.on('error', (e) => { if (!res) reject(e); else { stream.ended = true; notify(); } });
    req.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

/** A minimal valid pod. */
export function pod(name: string, extra: { labels?: Record<string, string>; nodeName?: string; image?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      containers: [{ name: 'c', image: extra.image ?? 'busybox:stable' }],
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
    },
  };
}

export function configMap(name: string, data: Record<string, string> = { k: 'v' }, labels?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

export function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}
