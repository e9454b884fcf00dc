/**
 * The kubelet's side of the WebSocket remote-command protocols (`v5.channel.k8s.io`, preferred,
 * and `v4.channel.k8s.io`): every binary message starts with a channel byte — 0 stdin, 1 stdout,
 * 2 stderr, 3 error (a Status JSON), 4 resize (`{"Width":..,"Height":..}`) — and in v5 a message
 * on channel 255 carrying one channel number closes that channel (kubectl sends `255 0` at stdin
 * EOF). Upstream's server greets with an empty message on the lowest writable channel and ends the
 * session with the Status on channel 3 followed by a close frame.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
export type ChannelProtocol = typeof PROTOCOL_V5 | typeof PROTOCOL_V4;

export const CHANNEL_STDIN = 0;
export const CHANNEL_STDOUT = 1;
export const CHANNEL_STDERR = 2;
export const CHANNEL_ERROR = 3;
export const CHANNEL_RESIZE = 4;
export const CHANNEL_CLOSE = 255;

/** The protocol to speak for a `Sec-WebSocket-Protocol` offer, or undefined when none fits. */
export function chooseChannelProtocol(offer: string | undefined): ChannelProtocol | undefined {
  const offered = new Set((offer ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  if (offered.has(PROTOCOL_V5)) return PROTOCOL_V5;
  if (offered.has(PROTOCOL_V4)) return PROTOCOL_V4;
  return undefined;
}

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

const wss = new WebSocketServer({
  noServer: true, perMessageDeflate: false, clientTracking: false,
  handleProtocols: (offered) => chooseChannelProtocol([...offered].join(',')) ?? false,
});

/**
 * Completes the WebSocket handshake on an upgrade request (check `chooseChannelProtocol` first);
 * the socket's `protocol` is the one agreed.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // ws answers a malformed handshake with 400 itself and never calls back.
    const gone = (): void => reject(new Error('the WebSocket handshake failed'));
    socket.once('close', gone);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', gone);
      resolve(ws);
    });
  });
}

/** One message on `channel`. */
export function channelMessage(channel: number, data: Buffer | Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

export type ChannelEvent =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number };

/** What one client message means; undefined for messages to ignore (empty ones). */
export function parseChannelMessage(msg: Buffer, protocol: ChannelProtocol): ChannelEvent | undefined {
  if (msg.length === 0) return undefined;
  const channel = msg[0]!;
  if (channel === CHANNEL_CLOSE && protocol === PROTOCOL_V5) {
    return msg.length >= 2 ? { kind: 'close', channel: msg[1]! } : undefined;
  }
  return { kind: 'data', channel, data: msg.subarray(1) };
}
