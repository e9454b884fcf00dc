/** Table and PartialObjectMetadata conversions for `kubectl get` style responses. */
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceInfo } from '../../apimachinery/resource-info.js';
import { groupVersion } from '../../apimachinery/resource-info.js';
import { buildTable, defaultTable } from '../registry/tables/table.js';
import { tableFor } from '../registry/tables/index.js';

type IncludeObject = 'None' | 'Metadata' | 'Object';

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export function toTable(r: ResourceInfo, objs: KubeObject[], opts: { query: URLSearchParams; listMeta?: Record<string, unknown>; omitColumns?: boolean }): Record<string, unknown> {
  const convertor = tableFor(r.group, r.resource) ?? defaultTable();
  const t = buildTable(convertor, objs, {
    now: new Date(), includeObject: includeObject(opts.query),
    listMeta: opts.listMeta as { resourceVersion?: string; continue?: string; remainingItemCount?: number } | undefined,
    kindForMetadata: { apiVersion: groupVersion(r), kind: r.kind }, noHeaders: opts.omitColumns,
  }) as unknown as Record<string, unknown>;
  return t;
}

export function toPartialMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toPartialMetadataList(objs: KubeObject[], listMeta: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: objs.map(toPartialMetadata) };
}
