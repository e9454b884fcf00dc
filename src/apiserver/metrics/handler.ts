/**
 * GET and LIST of `metrics.k8s.io/v1beta1` nodes and pods, as metrics-server answers them: the
 * objects (nodes, or pods of a namespace or of all namespaces) are listed with the request's label
 * and field selectors, the Ready nodes they live on are asked for their summaries, and every
 * object with figures becomes a NodeMetrics / PodMetrics; the others are left out (a GET of one
 * without figures is 404, `podmetrics.metrics.k8s.io "<name>" not found`).
 */
import type { ServerResponse } from 'node:http';
import { StatusError, methodNotSupported, notFound } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { Summary } from '../../kubelet/stats/summary-api.js';
import { writeJson } from '../codec.js';
import { responseShape } from '../handlers/negotiation.js';
import type { ResourceRequestInfo } from '../request-info.js';
import { buildFilter } from '../rest/filter.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { nowRfc3339 } from '../rest/resource-registry.js';
import type { NodeMetrics, PodMetrics } from './convert.js';
import { API_VERSION, nodeMetrics, podMetrics } from './convert.js';
import { METRICS_GROUP } from './resources.js';
import { metricsTable } from './table.js';
import type { SummaryCache } from './summary-client.js';

/** The sampling window the kubelets' rates cover. */
export const METRICS_WINDOW = '10s';

export interface MetricsRequest {
  info: ResourceRequestInfo;
  /** The request's Accept header: `as=Table` gets a Table. */
  accept: string | undefined;
  query: URLSearchParams;
  res: ServerResponse;
  registryFor(group: string, resource: string): ResourceRegistry | undefined;
}

interface NodeView extends KubeObject {
  status?: { conditions?: { type?: string; status?: string }[] };
}

function isReady(node: NodeView): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function registry(req: MetricsRequest, resource: string): ResourceRegistry {
  const r = req.registryFor('', resource);
  if (!r) throw new StatusError(500, 'InternalError', `${resource} are not served`);
  return r;
}

async function listObjects(req: MetricsRequest, resource: 'nodes' | 'pods', namespace: string): Promise<KubeObject[]> {
  const reg = registry(req, resource);
  const filter = buildFilter({
    labelSelector: req.query.get('labelSelector') ?? '', fieldSelector: req.query.get('fieldSelector') ?? '',
    strategy: reg.strategy, namespaced: resource === 'pods', resource,
  });
  const out = await reg.list(namespace, { resourceVersion: '0', resourceVersionMatch: '', limit: 0, continueToken: '', filter });
  return out.items;
}

/** The node or pod itself; missing, it is the informer's not-found (`pod "x" not found`), as metrics-server answers. */
async function getObject(req: MetricsRequest, resource: 'nodes' | 'pods'): Promise<KubeObject> {
  try {
    return await registry(req, resource).get(req.info.namespace, req.info.name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) throw notFound({ group: '', resource: resource === 'nodes' ? 'node' : 'pod' }, req.info.name);
    throw err;
  }
}

async function readyNodes(req: MetricsRequest, names?: Set<string>): Promise<KubeObject[]> {
  const all = await registry(req, 'nodes').list('', { resourceVersion: '0', resourceVersionMatch: '', limit: 0, continueToken: '', filter: () => true });
  return all.items.filter((n) => isReady(n as NodeView) && (!names || names.has(n.metadata.name ?? '')));
}

function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
}

async function podMetricsFor(req: MetricsRequest, cache: SummaryCache, pods: KubeObject[]): Promise<PodMetrics[]> {
  const nodeNames = new Set(pods.map(nodeNameOf).filter(Boolean));
  if (!nodeNames.size) return [];
  const summaries: Map<string, Summary> = await cache.summaries(await readyNodes(req, nodeNames));
  const now = nowRfc3339();
  const out: PodMetrics[] = [];
  for (const pod of pods) {
    const s = summaries.get(nodeNameOf(pod));
    const uid = pod.metadata.uid ?? '';
    const stats = s?.pods.find((p) => p.podRef.namespace === pod.metadata.namespace && p.podRef.name === pod.metadata.name && (!p.podRef.uid || p.podRef.uid === uid));
    const m = stats && podMetrics(pod, stats, METRICS_WINDOW, now);
    if (m) out.push(m);
  }
  return out;
}

async function nodeMetricsFor(cache: SummaryCache, nodes: KubeObject[]): Promise<NodeMetrics[]> {
  const ready = nodes.filter((n) => isReady(n as NodeView));
  const summaries = await cache.summaries(ready);
  const now = nowRfc3339();
  const out: NodeMetrics[] = [];
  for (const n of ready) {
    const s = summaries.get(n.metadata.name ?? '');
    const m = s && nodeMetrics(n, s.node, METRICS_WINDOW, now);
    if (m) out.push(m);
  }
  return out;
}

function respond(req: MetricsRequest, kind: 'NodeMetrics' | 'PodMetrics', items: (NodeMetrics | PodMetrics)[], single: boolean): void {
  if (responseShape(req.accept) === 'table') return void writeJson(req.res, 200, metricsTable(items, kind, req.query));
  if (single) return void writeJson(req.res, 200, items[0]);
  writeJson(req.res, 200, { kind: `${kind}List`, apiVersion: API_VERSION, metadata: {}, items });
}

export async function handleMetrics(req: MetricsRequest, cache: SummaryCache): Promise<void> {
  const { info } = req;
  if (info.subresource || (info.verb !== 'get' && info.verb !== 'list')) throw methodNotSupported({ group: METRICS_GROUP, resource: info.resource }, info.verb);
  const single = info.verb === 'get';
  if (info.resource === 'nodes') {
    const items = single ? await nodeMetricsFor(cache, [await getObject(req, 'nodes')]) : await nodeMetricsFor(cache, await listObjects(req, 'nodes', ''));
    if (single && !items.length) throw notFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, info.name);
    return respond(req, 'NodeMetrics', items, single);
  }
  const items = single ? await podMetricsFor(req, cache, [await getObject(req, 'pods')]) : await podMetricsFor(req, cache, await listObjects(req, 'pods', info.namespace));
  // metrics-server names a pod without figures by namespace/name.
  if (single && !items.length) throw notFound({ group: METRICS_GROUP, resource: 'podmetrics' }, `${info.namespace}/${info.name}`);
  return respond(req, 'PodMetrics', items, single);
}
