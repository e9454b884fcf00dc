/**
 * The pods' streaming subresources `exec`, `attach` and `portforward` (GET or POST with an
 * HTTP upgrade). The caller is authenticated like any request; the pod, container and node are
 * checked (pod-stream-target.ts) and failures are answered with a `Status` before any upgrade.
 * Then:
 * - port-forward over WebSocket with tunneled SPDY is translated to plain SPDY toward the
 *   kubelet (pod-stream-tunnel.ts);
 * - everything else (exec and attach over WebSocket or SPDY, port-forward over plain SPDY) is
 *   replayed to the kubelet with the client's upgrade headers and the two connections are
 *   spliced: the kubelet answers the upgrade itself.
 * Without an upgrade these paths answer upstream's 400 "Upgrade request required".
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, methodNotSupported, unauthorized } from '../../apimachinery/errors.js';
import { requestHead, splice, upgradeHeaders } from '../../apimachinery/upgrade-proxy.js';
import type { Authenticator } from '../auth/authenticator.js';
import { toStatusError } from '../codec.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import type { HandlerContext } from './resource-handler.js';
import { dialKubelet } from './kubelet-endpoint.js';
import { assertStreamable, resolvePodStream } from './pod-stream-target.js';
import type { PodStreamKind, PodStreamRequest, PodStreamTarget } from './pod-stream-target.js';
import { isTunnelingRequest, tunnelPortForward } from './pod-stream-tunnel.js';

export { parsePodStreamPath } from './pod-stream-target.js';

export interface PodStreamDeps {
  authenticator: Authenticator;
  registryFor: (group: string, resource: string) => ResourceRegistry | undefined;
  /** Resolves once the API server can serve reads. */
  ready: Promise<void>;
}

/** Writes `err` as a Kubernetes Status response on a socket that was not upgraded, then closes it. */
export function writeStatusToSocket(socket: Duplex, err: unknown): void {
  if (socket.destroyed || !socket.writable) return;
  const se = toStatusError(err);
  const body = Buffer.from(JSON.stringify(se.toStatus()));
  socket.end(Buffer.concat([Buffer.from(
    `HTTP/1.1 ${se.code} ${STATUS_CODES[se.code] ?? 'Error'}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n`
    + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  ), body]));
}

async function proxyToKubelet(req: IncomingMessage, socket: Duplex, head: Buffer, target: PodStreamTarget): Promise<void> {
  const backend = await dialKubelet(target.kubelet);
  if (socket.destroyed) {
    backend.destroy();
    return;
  }
  backend.write(requestHead({
    method: req.method ?? 'GET', path: target.path, host: `${target.kubelet.host}:${target.kubelet.port}`, headers: upgradeHeaders(req.rawHeaders),
  }));
  if (head.length) backend.write(head);
  splice(socket, backend);
}

/** Serves an upgrade request for a pod stream; owns `socket` from here on. */
export async function handlePodStreamUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, r: PodStreamRequest, deps: PodStreamDeps): Promise<void> {
  socket.on('error', () => socket.destroy());
  try {
    if (!deps.authenticator.authenticate(req)) throw unauthorized();
    if (req.method !== 'GET' && req.method !== 'POST') throw methodNotSupported({ group: '', resource: `pods/${r.kind}` }, (req.method ?? '').toLowerCase());
    await deps.ready;
    const target = await resolvePodStream(deps.registryFor, r);
    assertStreamable(target);
    if (r.kind === 'portforward' && isTunnelingRequest(req)) await tunnelPortForward(req, socket, head, target);
    else await proxyToKubelet(req, socket, head, target);
  } catch (err) {
    writeStatusToSocket(socket, err);
  }
}

/** A plain (not upgraded) request to exec, attach or portforward: the usual checks, then 400. */
export async function handlePodStreamWithoutUpgrade(ctx: HandlerContext): Promise<void> {
  const kind = ctx.info.subresource as PodStreamKind;
  const method = ctx.req.method ?? '';
  if (method !== 'GET' && method !== 'POST') throw methodNotSupported({ group: '', resource: `pods/${kind}` }, method.toLowerCase());
  await resolvePodStream(ctx.registryFor, { kind, namespace: ctx.info.namespace, pod: ctx.info.name, query: ctx.query });
  throw badRequest('Upgrade request required');
}
