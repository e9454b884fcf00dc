/** Small helpers for strategies that work on untyped JSON objects. */
import type { KubeObject } from '../../apimachinery/object.js';
import { isPlainObject, deepCopy } from '../../apimachinery/object.js';
import { canonicalQuantity } from '../../apimachinery/quantity.js';

export type Obj = Record<string, unknown>;

/** The value as an object, or undefined. */
export function asObj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** The object at `parent[key]`, created empty when missing. */
export function ensureObj(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const o: Obj = {};
  parent[key] = o;
  return o;
}

/** The object elements of an array value (others skipped). */
export function objArray(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function strMap(v: unknown): Record<string, string> {
  return isPlainObject(v) ? (v as Record<string, string>) : {};
}

export function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

export function spec(obj: KubeObject): Obj {
  return ensureObj(obj, 'spec');
}

/** Keeps the old value of the named top-level fields (e.g. status on main-resource update). */
export function keepFields(obj: KubeObject, old: KubeObject, fields: string[]): void {
  for (const f of fields) {
    if (old[f] === undefined) delete obj[f];
    else obj[f] = deepCopy(old[f]);
  }
}

/** Keeps old status on a main-resource update. */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  keepFields(obj, old, ['status']);
}

/** Keeps everything but status (and metadata) on a status update. */
export function keepAllButStatus(obj: KubeObject, old: KubeObject): void {
  for (const k of Object.keys(obj)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind' && !(k in old)) delete obj[k];
  }
  for (const [k, v] of Object.entries(old)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') obj[k] = deepCopy(v);
  }
}

/** Keeps old spec on a status-subresource update (only status is taken from the request). */
export function keepSpec(obj: KubeObject, old: KubeObject): void {
  obj.spec = deepCopy(old.spec);
}

/** Resets status on create (status is written by controllers through the status subresource). */
export function clearStatus(obj: KubeObject): void {
  delete obj.status;
}

/**
 * Rewrites every parseable quantity of a ResourceList to its canonical string, as upstream's
 * decode/encode round trip does (`0.5` → `500m`, `1024Mi` → `1Gi`). Unparseable values stay for
 * validation to report.
 */
export function canonicalizeResourceList(list: unknown): void {
  const o = asObj(list);
  if (!o) return;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const c = canonicalQuantity(v);
    if (c !== undefined) o[k] = c;
  }
}
