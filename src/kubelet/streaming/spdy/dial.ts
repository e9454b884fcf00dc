/**
 * Opens a SPDY/3.1 session to a streaming server (the container runtime's, for exec, attach and
 * port-forward) the way client-go's SPDY round tripper does: `POST` with `Connection: Upgrade`,
 * `Upgrade: SPDY/3.1` and the wanted `X-Stream-Protocol-Version`s; a 101 answer names the chosen
 * protocol, anything else is an error carrying the response body.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdySession } from './session.js';

export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';

export interface DialedSession {
  session: SpdySession;
  /** The stream protocol the server chose (`v4.channel.k8s.io`, `portforward.k8s.io`, ...). */
  protocol: string;
}

export class UpgradeFailedError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`unable to upgrade connection: ${body.trim() || `HTTP ${status}`}`);
  }
}

export function dialSpdy(url: string, protocols: string[], timeoutMs = 30_000): Promise<DialedSession> {
  const u = new URL(url);
  if (u.protocol !== 'http:') return Promise.reject(new Error(`unsupported streaming URL scheme ${u.protocol} (${url})`));
  return new Promise<DialedSession>((resolve, reject) => {
    const req = httpRequest({
      host: u.hostname, port: u.port || 80, path: `${u.pathname}${u.search}`, method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', [STREAM_PROTOCOL_HEADER]: protocols, 'Content-Length': '0' },
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out connecting to ${u.host}`)), timeoutMs);
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      clearTimeout(timer);
      const session = new SpdySession(socket, { role: 'client' });
      session.feed(head);
      const chosen = res.headers[STREAM_PROTOCOL_HEADER.toLowerCase()];
      resolve({ session, protocol: (Array.isArray(chosen) ? chosen[0] : chosen) ?? '' });
    });
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new UpgradeFailedError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}
