/**
 * The kubelet server's upgraded (streaming) endpoints, as upstream's port 10250:
 * `/exec/<ns>/<pod>/<container>?command=..&stdin=..&stdout=..&stderr=..&tty=..`,
 * `/attach/<ns>/<pod>/<container>?...` and `/portForward/<ns>/<pod>`. Each handler owns the socket
 * once called: it answers the upgrade (101) or writes an HTTP error and closes it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RuntimeService, StreamingRuntime } from '../runtime/runtime.js';

export type StreamingServerRuntime = Pick<RuntimeService, 'listContainers' | 'containerStatus' | 'listPodSandbox'> & Partial<StreamingRuntime>;

export interface UpgradeContext {
  runtime: StreamingServerRuntime;
  /** The path segments after the route name, URI-decoded. */
  parts: string[];
  url: URL;
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext) => void | Promise<void>;

/** Writes a plain HTTP error response on a not-yet-upgraded socket and closes it. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${message}`,
  );
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 404: return 'Not Found';
    case 405: return 'Method Not Allowed';
    case 501: return 'Not Implemented';
    default: return status >= 500 ? 'Internal Server Error' : 'Error';
  }
}
