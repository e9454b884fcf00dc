/**
 * OpenAPI schemas of `metrics.k8s.io/v1beta1` (NodeMetrics, PodMetrics, ContainerMetrics and the
 * two lists), as metrics-server publishes them, so `kubectl explain nodemetrics` works: merged into
 * the v2 document's definitions and served as their own v3 group-version document, which also
 * carries the shared meta schemas (ObjectMeta, ListMeta, Time, Quantity, ...) it refers to.
 */
import { METRICS_GROUP, METRICS_VERSION } from './resources.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const PKG = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

export const METRICS_V3_PATH = `apis/${METRICS_GROUP}/${METRICS_VERSION}`;

/** The metrics definitions, with `$ref`s built by `ref` (v2 `#/definitions/`, v3 `#/components/schemas/`). */
export function metricsSchemas(ref: (name: string) => string): Record<string, Schema> {
  const r = (name: string): Schema => ({ $ref: ref(name) });
  const gvk = (kind: string): Json => [{ group: METRICS_GROUP, kind, version: METRICS_VERSION }];
  const usage: Schema = { type: 'object', additionalProperties: r(QUANTITY) };
  const typeMeta = { apiVersion: { type: 'string' }, kind: { type: 'string' } };
  const list = (item: string): Schema => ({
    type: 'object', required: ['items'],
    properties: { ...typeMeta, metadata: r(`${META}.ListMeta`), items: { type: 'array', items: r(`${PKG}.${item}`) } },
    'x-kubernetes-group-version-kind': gvk(`${item}List`),
  });
  return {
    [`${PKG}.ContainerMetrics`]: {
      type: 'object', required: ['name', 'usage'],
      properties: { name: { type: 'string' }, usage },
    },
    [`${PKG}.NodeMetrics`]: {
      type: 'object', required: ['timestamp', 'window', 'usage'],
      properties: { ...typeMeta, metadata: r(`${META}.ObjectMeta`), timestamp: r(`${META}.Time`), window: { type: 'string' }, usage },
      'x-kubernetes-group-version-kind': gvk('NodeMetrics'),
    },
    [`${PKG}.NodeMetricsList`]: list('NodeMetrics'),
    [`${PKG}.PodMetrics`]: {
      type: 'object', required: ['timestamp', 'window', 'containers'],
      properties: {
        ...typeMeta, metadata: r(`${META}.ObjectMeta`), timestamp: r(`${META}.Time`), window: { type: 'string' },
        containers: { type: 'array', items: r(`${PKG}.ContainerMetrics`), 'x-kubernetes-list-type': 'atomic' },
      },
      'x-kubernetes-group-version-kind': gvk('PodMetrics'),
    },
    [`${PKG}.PodMetricsList`]: list('PodMetrics'),
  };
}

/** The v2 document (JSON) with the metrics definitions added. */
export function withMetricsV2(doc: Buffer): Buffer {
  const parsed = JSON.parse(doc.toString('utf8')) as { definitions?: Record<string, Json> };
  parsed.definitions = { ...parsed.definitions, ...metricsSchemas((n) => `#/definitions/${n}`) };
  return Buffer.from(JSON.stringify(parsed));
}

function refsOf(v: Json, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) refsOf(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.add(x.replace(/^#\/components\/schemas\//, ''));
      else refsOf(x, out);
    }
  }
}

/**
 * The v3 document of metrics.k8s.io/v1beta1; `shared` is another v3 document (JSON) whose schemas
 * supply the meta types the metrics schemas refer to, with everything they refer to in turn.
 */
export function metricsV3Document(shared: Buffer): Buffer {
  const base = (JSON.parse(shared.toString('utf8')) as { components?: { schemas?: Record<string, Json> } }).components?.schemas ?? {};
  const schemas: Record<string, Json> = { ...metricsSchemas((n) => `#/components/schemas/${n}`) };
  const pending = new Set<string>();
  refsOf(schemas, pending);
  while (pending.size) {
    const [name] = pending;
    pending.delete(name!);
    if (schemas[name!] !== undefined) continue;
    const s = base[name!];
    if (s === undefined) continue;
    schemas[name!] = s;
    refsOf(s, pending);
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return Buffer.from(JSON.stringify({
    openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: metricsPaths(), components: { schemas: sorted },
  }));
}

/** One read operation (get or list) answering `kind`. */
function readOperation(operationId: string, action: 'get' | 'list', kind: string): Json {
  const schema = { $ref: `#/components/schemas/${PKG}.${kind}` };
  return {
    get: {
      tags: ['metrics_v1beta1'], operationId,
      responses: { 200: { description: 'OK', content: { 'application/json': { schema }, 'application/yaml': { schema } } }, 401: { description: 'Unauthorized' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': { group: METRICS_GROUP, kind: kind.replace(/List$/, ''), version: METRICS_VERSION },
    },
  };
}

/** The read paths metrics-server serves; kubectl explain finds a resource's kind through them. */
function metricsPaths(): Record<string, Json> {
  const base = `/${METRICS_V3_PATH}`;
  return {
    [`${base}/namespaces/{namespace}/pods`]: readOperation('listMetricsV1beta1NamespacedPodMetrics', 'list', 'PodMetricsList'),
    [`${base}/namespaces/{namespace}/pods/{name}`]: readOperation('readMetricsV1beta1NamespacedPodMetrics', 'get', 'PodMetrics'),
    [`${base}/nodes`]: readOperation('listMetricsV1beta1NodeMetrics', 'list', 'NodeMetricsList'),
    [`${base}/nodes/{name}`]: readOperation('readMetricsV1beta1NodeMetrics', 'get', 'NodeMetrics'),
    [`${base}/pods`]: readOperation('listMetricsV1beta1PodMetricsForAllNamespaces', 'list', 'PodMetricsList'),
  };
}
