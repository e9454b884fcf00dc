import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { proxyToStreamingServer } from './runtime-stream-proxy.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

test('an upgrade is replayed to the streaming server with its headers, then bytes flow both ways until one side closes', async () => {
  let seen: IncomingMessage | undefined;
  let backendClosed: () => void = () => undefined;
  const backendGone = new Promise<void>((resolve) => (backendClosed = resolve));
  const backend = createServer();
  backend.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen = req;
    socket.on('end', () => socket.end());
    socket.on('close', () => backendClosed());
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    socket.on('data', (b: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), b])));
  });
  const backendPort = await listen(backend);
  const kubelet = createServer();
  kubelet.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void proxyToStreamingServer(req, socket, head, `http://127.0.0.1:${backendPort}/portforward/tok3n`);
  });
  const kubeletPort = await listen(kubelet);
  try {
    const { res, socket } = await new Promise<{ res: IncomingMessage; socket: Duplex }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: kubeletPort, method: 'POST', path: '/portForward/ns/pod', agent: false,
        headers: [
          ['Connection', 'Upgrade'], ['Upgrade', 'SPDY/3.1'], ['Authorization', 'Bearer x'], ['Content-Length', '0'],
          ['X-Stream-Protocol-Version', 'portforward.k8s.io'], ['X-Stream-Protocol-Version', 'v2.portforward.k8s.io'],
        ].flat(),
      });
      req.on('upgrade', (r, s) => resolve({ res: r, socket: s }));
      req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.statusCode, 101);
    assert.equal(res.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.url, '/portforward/tok3n');
    assert.deepEqual(seen?.headersDistinct['x-stream-protocol-version'], ['portforward.k8s.io', 'v2.portforward.k8s.io']);
    assert.equal(seen?.headers.authorization, undefined);
    const reply = new Promise<string>((resolve) => socket.once('data', (b: Buffer) => resolve(b.toString())));
    socket.write('ping');
    assert.equal(await reply, 'echo:ping');
    socket.destroy();
    await backendGone;
  } finally {
    backend.closeAllConnections();
    kubelet.closeAllConnections();
    backend.close();
    kubelet.close();
  }
});
