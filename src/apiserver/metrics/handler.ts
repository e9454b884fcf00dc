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
import type { ResourceRequestInfo } from '../request-info.js';
import { buildFilter } from '../rest/filter.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { nowRfc3339 } from '../rest/resource-registry.js';
import type { NodeMetrics, PodMetrics } from './convert.js';
import { API_VERSION, nodeMetrics, podMetrics } from './convert.js';
import { METRICS_GROUP } from './resources.js';
import type { SummaryCache } from './summary-client.js';

/** The sampling window the kubelets' rates cover. */
export const METRICS_WINDOW = '10s';

export interface MetricsRequest {
  info: ResourceRequestInfo;
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

async function getObject(req: MetricsRequest, resource: 'nodes' | 'pods', kind: string): Promise<KubeObject> {
  try {
    return await registry(req, resource).get(req.info.namespace, req.info.name);
  } catch (err) {
    if (err instanceof StatusError && err.code === 404) throw notFound({ group: METRICS_GROUP, resource: kind }, req.info.name);
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

export async function handleMetrics(req: MetricsRequest, cache: SummaryCache): Promise<void> {
  const { info } = req;
  const kind = info.resource === 'nodes' ? 'nodemetrics' : 'podmetrics';
  if (info.subresource || (info.verb !== 'get' && info.verb !== 'list')) throw methodNotSupported({ group: METRICS_GROUP, resource: info.resource }, info.verb);
  if (info.resource === 'nodes') {
    if (info.verb === 'get') {
      const [m] = await nodeMetricsFor(cache, [await getObject(req, 'nodes', kind)]);
      if (!m) throw notFound({ group: METRICS_GROUP, resource: kind }, info.name);
      return void writeJson(req.res, 200, m);
    }
    const items = await nodeMetricsFor(cache, await listObjects(req, 'nodes', ''));
    return void writeJson(req.res, 200, { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: {}, items });
  }
  if (info.verb === 'get') {
    const [m] = await podMetricsFor(req, cache, [await getObject(req, 'pods', kind)]);
    if (!m) throw notFound({ group: METRICS_GROUP, resource: kind }, info.name);
    return void writeJson(req.res, 200, m);
  }
  const items = await podMetricsFor(req, cache, await listObjects(req, 'pods', info.namespace));
  return void writeJson(req.res, 200, { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items });
}
