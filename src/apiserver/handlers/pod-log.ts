/**
 * GET pods/<name>/log (upstream pkg/registry/core/pod/rest/log.go): checks the PodLogOptions,
 * picks the container (the only one, the `kubectl.kubernetes.io/default-container` annotation, or
 * `container`), then proxies to the pod's node's kubelet (`/containerLogs/<ns>/<pod>/<container>`
 * on the Node's `status.daemonEndpoints.kubeletEndpoint.Port`) over HTTPS with the API server's
 * kubelet client certificate, checking the kubelet's serving certificate against the cluster CA.
 * The answer streams through as text/plain. Simulated nodes have no log files: an empty log.
 */
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { HandlerContext } from './resource-handler.js';
import { findKubelet, kubeletTlsOptions } from './kubelet-endpoint.js';

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

interface ContainerView { name: string }
interface PodView extends KubeObject {
  spec?: { nodeName?: string; containers?: ContainerView[]; initContainers?: ContainerView[]; ephemeralContainers?: ContainerView[] };
}

function nonNegativeInt(q: URLSearchParams, name: string, min: number, message: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
  if (n < min) throw new StatusError(422, 'Invalid', `PodLogOptions "" is invalid: ${name}: Invalid value: ${n}: ${message}`);
  return n;
}

/** The container the request is for, as upstream's validateContainer. */
export function selectContainer(pod: PodView, requested: string): string {
  const name = pod.metadata.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
    if (annotated && containers.includes(annotated)) return annotated;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...containers, ...inits, ...ephemeral].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

export async function handlePodLog(ctx: HandlerContext): Promise<void> {
  const { info, query: q, res } = ctx;
  if (info.verb !== 'get') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const pod = await ctx.registry.get(info.namespace, info.name) as PodView;
  const container = selectContainer(pod, q.get('container') ?? '');
  nonNegativeInt(q, 'tailLines', 0, 'must be greater than or equal to 0');
  nonNegativeInt(q, 'limitBytes', 1, 'must be greater than 0');
  nonNegativeInt(q, 'sinceSeconds', 1, 'must be greater than 0');
  if (q.get('sinceSeconds') && q.get('sinceTime')) {
    throw new StatusError(422, 'Invalid', 'PodLogOptions "" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  }
  const sinceTime = q.get('sinceTime');
  if (sinceTime && Number.isNaN(Date.parse(sinceTime))) throw badRequest(`sinceTime: Invalid value: ${JSON.stringify(sinceTime)}: parsing time`);
  const nodeName = pod.spec?.nodeName ?? '';
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const kubelet = await findKubelet(ctx.registryFor, nodeName);
  if (kubelet.simulated) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end();
    return;
  }
  const tls = kubeletTlsOptions(kubelet);
  const params = new URLSearchParams();
  for (const k of ['follow', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'previous', 'limitBytes']) {
    const v = q.get(k);
    if (v !== null && v !== '') params.set(k, v);
  }
  const path = `/containerLogs/${encodeURIComponent(info.namespace)}/${encodeURIComponent(info.name)}/${encodeURIComponent(container)}?${params}`;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ ...tls, path, method: 'GET', agent: false }, resolve);
    req.on('error', (err) => reject(new StatusError(500, 'InternalError',
      `Get "https://${tls.host}:${tls.port}${path}": ${err.message}`)));
    req.end();
    ctx.res.on('close', () => req.destroy());
  });
  if (upstream.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of upstream) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    const code = upstream.statusCode ?? 500;
    throw new StatusError(code === 404 ? 404 : code === 400 ? 400 : 500, code === 404 ? 'NotFound' : code === 400 ? 'BadRequest' : 'InternalError', text);
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  res.flushHeaders();
  res.on('close', () => upstream.destroy());
  upstream.pipe(res);
  await new Promise<void>((resolve) => {
    upstream.on('end', resolve);
    upstream.on('close', resolve);
    upstream.on('error', () => resolve());
  });
}
