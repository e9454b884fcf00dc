/**
 * `/exec/<ns>/<pod>/<container>?command=..&stdin=..&stdout=..&stderr=..&tty=..` and
 * `/attach/<ns>/<pod>/<container>?...` on the kubelet (a pod UID may sit before the container, as
 * upstream's paths allow). The running container is found by its pod labels; CRI `Exec`/`Attach`
 * gives the runtime's streaming URL; the kubelet answers the client's WebSocket handshake
 * (`v5.channel.k8s.io` or `v4.channel.k8s.io`), opens the runtime's SPDY session (remote command
 * v4) and relays between the two (see streaming/remote-command-bridge.ts). containerd 1.6 speaks
 * neither v5 nor WebSocket well enough for kubectl, but it does speak SPDY and the older WebSocket
 * protocols: such requests are handed to it as they are. Errors before the handshake are plain-text HTTP
 * answers as upstream's kubelet gives them (kubectl prints "unable to upgrade connection: ...").
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, RuntimeError } from '../runtime/runtime.js';
import type { UpgradeContext, UpgradeHandler } from './upgrade-routes.js';
import { rejectUpgrade } from './upgrade-routes.js';
import { acceptWebSocket, chooseChannelProtocol, isWebSocketUpgrade } from '../streaming/websocket-channels.js';
import type { RemoteCommandOptions } from '../streaming/runtime-remote-command.js';
import { openRuntimeRemoteCommand } from '../streaming/runtime-remote-command.js';
import { bridgeRemoteCommand } from '../streaming/remote-command-bridge.js';
import { proxyToStreamingServer } from './runtime-stream-proxy.js';

class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === '1' || v === 'true';
}

/** Stream options from the query; a terminal merges stderr into stdout, as upstream. */
export function remoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const tty = flag(q, 'tty');
  const o = { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr') && !tty, tty };
  if (!o.stdin && !o.stdout && !o.stderr) throw new RequestError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

async function runningContainerId(ctx: UpgradeContext): Promise<string> {
  const { parts, runtime } = ctx;
  if (parts.length !== 3 && parts.length !== 4) throw new RequestError(400, 'want <namespace>/<pod>/<container>');
  const [namespace = '', pod = ''] = parts;
  const container = parts[parts.length - 1] ?? '';
  const podLabels = { [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod };
  const sandboxes = await runtime.listPodSandbox({ labelSelector: podLabels });
  if (sandboxes.length === 0) throw new RequestError(404, 'pod does not exist');
  const running = await runtime.listContainers({ state: 'CONTAINER_RUNNING', labelSelector: { ...podLabels, [LABEL_CONTAINER_NAME]: container } });
  const newest = running.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!newest) throw new RequestError(500, `container not found (${JSON.stringify(container)})`);
  return newest.id;
}

function statusFor(err: unknown): number {
  if (err instanceof RequestError) return err.status;
  if (err instanceof RuntimeError && err.code === 'NotFound') return 404;
  return 500;
}

async function serve(kind: 'exec' | 'attach', req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): Promise<void> {
  let opts: RemoteCommandOptions;
  let url: string;
  const protocol = isWebSocketUpgrade(req) ? chooseChannelProtocol(req.headers['sec-websocket-protocol']) : undefined;
  try {
    opts = remoteCommandOptions(ctx.url.searchParams);
    const command = ctx.url.searchParams.getAll('command');
    if (kind === 'exec' && command.length === 0) throw new RequestError(400, 'you must specify at least one command for the container');
    const containerId = await runningContainerId(ctx);
    const { runtime } = ctx;
    if (kind === 'exec') {
      if (!runtime.exec) throw new RequestError(501, 'this node\'s container runtime cannot exec');
      url = (await runtime.exec({ containerId, cmd: command, ...opts })).url;
    } else {
      if (!runtime.attach) throw new RequestError(501, 'this node\'s container runtime cannot attach');
      url = (await runtime.attach({ containerId, ...opts })).url;
    }
    if (!protocol) {
      // SPDY (kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, older clients) and the older
      // WebSocket protocols: the runtime's streaming server speaks those itself.
      await proxyToStreamingServer(req, socket, head, url);
      return;
    }
  } catch (err) {
    rejectUpgrade(socket, statusFor(err), err instanceof Error ? err.message : String(err));
    return;
  }
  let ws;
  try {
    ws = await acceptWebSocket(req, socket, head);
  } catch {
    return;
  }
  await bridgeRemoteCommand(ws, protocol, opts, () => openRuntimeRemoteCommand(url, opts));
}

export const handleExec: UpgradeHandler = (req, socket, head, ctx) => serve('exec', req, socket, head, ctx);
export const handleAttach: UpgradeHandler = (req, socket, head, ctx) => serve('attach', req, socket, head, ctx);
