/**
 * Proxying HTTP upgrade requests (exec, attach, port-forward) hop by hop, as upstream's
 * upgrade-aware proxy does: the request is replayed on a fresh connection to the backend with
 * the client's upgrade headers, the backend answers the upgrade itself, and from then on bytes
 * are copied unchanged both ways. Nothing here parses SPDY or WebSocket frames.
 */
import type { Duplex } from 'node:stream';

/** Request headers that describe the upgrade and must reach the backend. */
const UPGRADE_HEADERS = new Set([
  'connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions',
  'x-stream-protocol-version',
]);

/** A WebSocket sub-protocol that carries a bearer token: for the API server only, never forwarded. */
const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export type HeaderList = [name: string, value: string][];

/**
 * The client's upgrade headers, in order and with repeats kept (`rawHeaders`), without bearer
 * token sub-protocols.
 */
export function upgradeHeaders(rawHeaders: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    let value = rawHeaders[i + 1]!;
    if (!UPGRADE_HEADERS.has(name.toLowerCase())) continue;
    if (name.toLowerCase() === 'sec-websocket-protocol') {
      value = value.split(',').map((p) => p.trim()).filter((p) => p && !p.startsWith(BEARER_PROTOCOL_PREFIX)).join(', ');
      if (!value) continue;
    }
    out.push([name, value]);
  }
  return out;
}

/** The text of an HTTP/1.1 request head. */
export function requestHead(o: { method: string; path: string; host: string; headers: HeaderList }): string {
  const lines = [`${o.method} ${o.path} HTTP/1.1`, `Host: ${o.host}`];
  for (const [name, value] of o.headers) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${JSON.stringify(name)} contains a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface ResponseHead {
  statusCode: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  /** The head's bytes as received, up to and including the blank line. */
  raw: Buffer;
  /** Bytes read past the head (the start of the upgraded stream or of the body). */
  rest: Buffer;
}

const MAX_HEAD_BYTES = 64 * 1024;

/** Parses a response head; undefined while `buf` holds no complete head yet. */
export function parseResponseHead(buf: Buffer): ResponseHead | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_HEAD_BYTES) throw new Error('response head too large');
    return undefined;
  }
  const raw = buf.subarray(0, end + 4);
  const [statusLine = '', ...lines] = raw.toString('latin1').slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`malformed response status line ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { statusCode: Number(m[1]), headers, raw, rest: buf.subarray(end + 4) };
}

/** Reads the backend's response head from `socket`; the socket is left paused after it. */
export function readResponseHead(socket: Duplex): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, head?: ResponseHead): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.pause();
      if (head) resolve(head);
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const head = parseResponseHead(buf);
        if (head) done(undefined, head);
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const onError = (err: Error): void => done(err);
    const onEnd = (): void => done(new Error('the backend closed the connection before answering'));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.resume();
  });
}

/** Whether a response head accepts the upgrade to `protocol` (e.g. `SPDY/3.1`, `websocket`). */
export function isUpgradeResponse(head: ResponseHead, protocol: string): boolean {
  return head.statusCode === 101
    && (head.headers.get('connection') ?? '').toLowerCase().includes('upgrade')
    && (head.headers.get('upgrade') ?? '').toLowerCase().includes(protocol.toLowerCase());
}

/** How long a half-closed pair may linger after one side closed. */
const LINGER_MS = 10_000;

/**
 * Copies bytes both ways between two connections until both are done. When one side closes,
 * the other is ended (its pending writes flushed) and destroyed if it lingers; an error on
 * either side closes both.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const closeOther = (other: Duplex) => (): void => {
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), LINGER_MS).unref();
  };
  a.on('close', closeOther(b));
  b.on('close', closeOther(a));
  a.on('error', () => a.destroy());
  b.on('error', () => b.destroy());
}
