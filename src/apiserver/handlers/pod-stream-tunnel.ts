/**
 * Port-forward over WebSocket with SPDY tunneled inside (kubectl 1.31+, upstream's
 * TunnelingHandler): the client offers sub-protocols `SPDY/3.1+<protocol>`; the API server opens
 * a plain SPDY/3.1 upgrade to the kubelet (`POST`, `Upgrade: SPDY/3.1`, one
 * `X-Stream-Protocol-Version` per offered protocol) and only when the kubelet answers 101 does it
 * accept the WebSocket, with `SPDY/3.1+<the kubelet's chosen protocol>`. Then every binary
 * message's payload goes to the kubelet as raw bytes, and kubelet bytes go back as binary
 * messages. A kubelet answer other than 101 is passed through to the client unchanged (no
 * WebSocket), so kubectl falls back to plain SPDY.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import { isUpgradeResponse, readResponseHead, requestHead } from '../../apimachinery/upgrade-proxy.js';
import { dialKubelet } from './kubelet-endpoint.js';
import type { PodStreamTarget } from './pod-stream-target.js';

export const TUNNELING_PREFIX = 'SPDY/3.1+';
const KUBERNETES_SUFFIX = '.k8s.io';
const SPDY_31 = 'SPDY/3.1';

/** Offered WebSocket sub-protocols, in order. */
function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  const joined = Array.isArray(raw) ? raw.join(',') : raw ?? '';
  return joined.split(',').map((p) => p.trim()).filter(Boolean);
}

/** A WebSocket upgrade offering any `SPDY/3.1+…` sub-protocol (upstream's IsWebSocketRequestWithTunnelingProtocol). */
export function isTunnelingRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && offeredProtocols(req).some((p) => p.startsWith(TUNNELING_PREFIX));
}

/** The SPDY protocols tunneled in the offered sub-protocols (`SPDY/3.1+portforward.k8s.io` → `portforward.k8s.io`). */
export function tunneledSpdyProtocols(offered: string[]): string[] {
  return offered.filter((p) => p.startsWith(TUNNELING_PREFIX) && p.endsWith(KUBERNETES_SUFFIX)).map((p) => p.slice(TUNNELING_PREFIX.length));
}

/** Bytes a side may have in flight before the other side stops reading. */
const HIGH_WATER = 1 << 20;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Copies WebSocket binary payloads to `backend` and backend bytes to binary messages, with back-pressure. */
function bridge(ws: WebSocket, backend: Duplex, initial: Buffer): void {
  let inFlight = 0;
  const send = (chunk: Buffer): void => {
    inFlight += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      inFlight -= chunk.length;
      if (inFlight < HIGH_WATER && backend.isPaused()) backend.resume();
    });
    if (inFlight >= HIGH_WATER) backend.pause();
  };
  if (initial.length) send(initial);
  backend.on('data', send);
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      ws.close(1003, 'invalid message type received');
      return;
    }
    if (!backend.write(toBuffer(data))) {
      ws.pause();
      backend.once('drain', () => ws.resume());
    }
  });
  backend.on('error', () => backend.destroy());
  backend.on('close', () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => backend.destroy());
  backend.resume();
}

export async function tunnelPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: PodStreamTarget): Promise<void> {
  const spdyProtocols = tunneledSpdyProtocols(offeredProtocols(req));
  if (!spdyProtocols.length) throw badRequest('unable to upgrade: no tunneling spdy protocols provided');
  const backend = await dialKubelet(target.kubelet);
  socket.on('close', () => backend.destroy());
  backend.write(requestHead({
    method: 'POST', path: target.path, host: `${target.kubelet.host}:${target.kubelet.port}`,
    headers: [['Connection', 'Upgrade'], ['Upgrade', SPDY_31], ...spdyProtocols.map((p): [string, string] => ['X-Stream-Protocol-Version', p])],
  }));
  let answer;
  try {
    answer = await readResponseHead(backend);
  } catch (err) {
    backend.destroy();
    throw new StatusError(500, 'InternalError', `error reading the kubelet's answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (answer.statusCode !== 101) {
    // Not an upgrade: the client gets the kubelet's answer as it is.
    socket.write(answer.raw);
    if (answer.rest.length) socket.write(answer.rest);
    backend.pipe(socket);
    return;
  }
  if (!isUpgradeResponse(answer, SPDY_31)) {
    backend.destroy();
    throw new StatusError(500, 'InternalError', 'unable to upgrade: missing upgrade headers in response');
  }
  const chosen = answer.headers.get('x-stream-protocol-version')?.trim();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  // `ws` accepts only RFC 7230 tokens as sub-protocols and `/` is not one, so it must not see the
  // offer; the answer names the chosen protocol itself.
  delete req.headers['sec-websocket-protocol'];
  wss.on('headers', (headers: string[]) => {
    if (chosen) headers.push(`Sec-WebSocket-Protocol: ${TUNNELING_PREFIX}${chosen}`);
  });
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.close();
    bridge(ws, backend, answer.rest);
  });
}
