/**
 * The meta.k8s.io/v1 Table response: column definitions plus one row per object, each row
 * carrying its cells and (per `includeObject`) nothing, the object's metadata as
 * PartialObjectMetadata, or the whole object.
 */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableColumnDefinition, TableConvertor } from '../strategy.js';
import { nameColumn } from './columns.js';
import { parseTime } from './format.js';

/** The per-row conditions upstream attaches (pods report `Completed` when they finished). */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** A convertor that also reports row conditions. */
export interface ConditionalTableConvertor extends TableConvertor {
  conditions(obj: KubeObject): TableRowCondition[] | undefined;
}

/** A convertor whose list tables print rows in a fixed order (flowschemas sort by precedence). */
export interface SortingTableConvertor extends TableConvertor {
  sort(objs: KubeObject[]): KubeObject[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface BuildTableOptions {
  now: Date;
  includeObject: IncludeObject;
  /** For a list: the list's metadata. For a single object: `{ resourceVersion }` of it. */
  listMeta?: TableListMeta;
  /** apiVersion/kind stamped on full objects (includeObject=Object). */
  kindForMetadata: { apiVersion: string; kind: string };
  /** TableOptions.noHeaders: omit the column definitions. */
  noHeaders?: boolean;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: Record<string, unknown> | null;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableListMeta;
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

function hasConditions(c: TableConvertor): c is ConditionalTableConvertor {
  return typeof (c as Partial<ConditionalTableConvertor>).conditions === 'function';
}

function hasSort(c: TableConvertor): c is SortingTableConvertor {
  return typeof (c as Partial<SortingTableConvertor>).sort === 'function';
}

function rowObject(obj: KubeObject, opts: BuildTableOptions): Record<string, unknown> | null {
  switch (opts.includeObject) {
    case 'None':
      return null;
    case 'Object': {
      const { apiVersion: _a, kind: _k, ...rest } = obj;
      return {
        apiVersion: obj.apiVersion ?? opts.kindForMetadata.apiVersion,
        kind: obj.kind ?? opts.kindForMetadata.kind,
        ...structuredClone(rest),
      };
    }
    case 'Metadata':
    default:
      return {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: structuredClone(obj.metadata),
      };
  }
}

/** Renders `objs` through `convertor` into a Table. Cells always include wide columns. */
export function buildTable(convertor: TableConvertor, objs: KubeObject[], opts: BuildTableOptions): Table {
  const metadata: TableListMeta = {};
  const lm = opts.listMeta ?? {};
  if (lm.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
  if (lm.continue) metadata.continue = lm.continue;
  if (lm.remainingItemCount !== undefined && lm.remainingItemCount !== null) {
    metadata.remainingItemCount = lm.remainingItemCount;
  }
  const ordered = hasSort(convertor) ? convertor.sort(objs) : objs;
  const rows = ordered.map((obj): TableRow => {
    const cells = convertor.cells(obj, opts.now);
    const conditions = hasConditions(convertor) ? convertor.conditions(obj) : undefined;
    // Key order follows upstream's JSON: cells, conditions (when any), object.
    return conditions && conditions.length > 0
      ? { cells, conditions, object: rowObject(obj, opts) }
      : { cells, object: rowObject(obj, opts) };
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : convertor.columns.map((c) => ({ ...c })),
    rows,
  };
}

function createdAt(ts: unknown): string {
  const t = parseTime(ts) ?? Date.parse('0001-01-01T00:00:00Z');
  // RFC 3339 in UTC at second precision, like Go's time.RFC3339 format.
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Upstream's default table for resources without a printer (roles, clusterroles, limitranges,
 * CRDs, ...): `NAME` and `CREATED AT` (a `date` column holding the RFC 3339 creation time).
 */
export function defaultTable(): TableConvertor {
  return {
    columns: [
      nameColumn(),
      {
        name: 'Created At',
        type: 'date',
        format: '',
        description:
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        priority: 0,
      },
    ],
    cells: (obj) => [obj.metadata.name ?? '', createdAt(obj.metadata.creationTimestamp)],
  };
}
