/**
 * Hands an upgraded kubelet request (exec, attach, port-forward) to the container runtime's
 * streaming server at the URL its CRI call returned (containerd: plain HTTP on loopback): the
 * request is replayed there with the client's method and upgrade headers, and from then on the
 * two connections are spliced. The runtime answers the upgrade (101) and speaks the streaming
 * protocol itself.
 */
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Duplex } from 'node:stream';
import { requestHead, splice, upgradeHeaders } from '../../apimachinery/upgrade-proxy.js';

function dial(url: URL): Promise<Duplex> {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = secure ? connectTls({ host, port, rejectUnauthorized: false }) : connectTcp({ host, port });
    socket.once('error', reject);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Proxies the upgrade to `streamUrl`; rejects when the streaming server cannot be reached. */
export async function proxyToStreamingServer(req: IncomingMessage, socket: Duplex, head: Buffer, streamUrl: string): Promise<void> {
  const url = new URL(streamUrl);
  const backend = await dial(url);
  if (socket.destroyed) {
    backend.destroy();
    return;
  }
  backend.write(requestHead({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, host: url.host, headers: upgradeHeaders(req.rawHeaders) }));
  if (head.length) backend.write(head);
  splice(socket, backend);
}
