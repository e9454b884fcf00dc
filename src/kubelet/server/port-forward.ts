/**
 * `/portForward/<ns>/<pod>` on the kubelet: finds the pod's ready sandbox through the runtime
 * (by its pod labels; the newest wins), asks the runtime for a port-forward session (CRI
 * `PortForward`, with any `port` query values) and hands the upgrade to the runtime's streaming
 * server, which speaks the port-forward protocol (SPDY or WebSocket) itself.
 */
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE } from '../runtime/runtime.js';
import type { UpgradeHandler } from './upgrade-routes.js';
import { rejectUpgrade } from './upgrade-routes.js';
import { proxyToStreamingServer } from './runtime-stream-proxy.js';

/** The `port` query values (`?port=80&port=443`, or comma-separated); undefined when one is not a port. */
export function requestedPorts(q: URLSearchParams): number[] | undefined {
  const out: number[] = [];
  for (const v of q.getAll('port').flatMap((p) => p.split(','))) {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) return undefined;
    out.push(n);
  }
  return out;
}

export const handlePortForward: UpgradeHandler = async (req, socket, head, { runtime, parts, url }) => {
  const [namespace = '', pod = ''] = parts;
  if (parts.length !== 2 || !namespace || !pod) return rejectUpgrade(socket, 400, 'want /portForward/<namespace>/<pod>');
  const ports = requestedPorts(url.searchParams);
  if (!ports) return rejectUpgrade(socket, 400, `invalid port in ${JSON.stringify(url.searchParams.getAll('port'))}`);
  if (!runtime.portForward) return rejectUpgrade(socket, 501, 'this node\'s container runtime cannot forward ports');
  const sandboxes = await runtime.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod } });
  const sandbox = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!sandbox) return rejectUpgrade(socket, 404, 'pod does not exist');
  const session = await runtime.portForward({ podSandboxId: sandbox.id, port: ports });
  await proxyToStreamingServer(req, socket, head, session.url);
};
