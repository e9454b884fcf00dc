/**
 * For tests: an HTTP server that answers SPDY/3.1 upgrades as a runtime streaming server would
 * (101 with `X-Stream-Protocol-Version: v4.channel.k8s.io`) and runs a server-role session whose
 * incoming streams go to `onStream`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdySession } from './session.js';
import type { SpdyStream } from './session.js';

export interface TestStreamingServer {
  /** `http://127.0.0.1:<port>/exec/token` */
  url: string;
  close(): Promise<void>;
}

export async function startTestStreamingServer(onStream: (s: SpdyStream, session: SpdySession) => void): Promise<TestStreamingServer> {
  const sockets = new Set<Duplex>();
  const server = createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('not an upgrade');
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    if (req.headers.upgrade !== 'SPDY/3.1') {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\n\r\nbad upgrade');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    const session: SpdySession = new SpdySession(socket, { role: 'server', onStream: (s) => onStream(s, session) });
    session.feed(head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/exec/token`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
