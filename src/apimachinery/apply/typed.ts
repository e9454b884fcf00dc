/**
 * Schema-aware walks over plain JSON values, in the manner of structured-merge-diff's typed
 * values: the field set of an object, comparison of two objects, and the apply merge.
 *
 * Types come from the OpenAPI definitions: objects with properties are structs, objects with
 * additionalProperties are maps, lists are atomic unless `x-kubernetes-list-type` (or a merge
 * patch strategy) says `set` or `map`. RawExtension/JSON and unknown schemas are "deduced": maps
 * are granular and lists atomic.
 */
import { isPlainObject } from '../object.js';
import { resolve } from '../schema.js';
import type { SchemaNode } from '../schema.js';
import { FieldSet, fieldPE, keyPE, pathString, valuePE } from './field-set.js';
import type { FieldPath, PathElement } from './field-set.js';

type JsonMap = Record<string, unknown>;

export interface TypeInfo {
  kind: 'scalar' | 'struct' | 'map' | 'list' | 'untyped';
  atomic: boolean;
  fields?: Record<string, SchemaNode>;
  required?: string[];
  elem?: SchemaNode;
  listType?: 'atomic' | 'set' | 'map';
  keys?: string[];
}

const SCALAR_REFS = new Set([
  '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity',
  '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
]);
const UNTYPED_REFS = new Set([
  '#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension',
  '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

/** Defaults upstream applies to list-map key fields that an item leaves out. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

const UNTYPED: TypeInfo = Object.freeze({ kind: 'untyped', atomic: false });
const SCALAR: TypeInfo = Object.freeze({ kind: 'scalar', atomic: true });
const DEDUCED_MAP: TypeInfo = Object.freeze({ kind: 'map', atomic: false });

/** Schema nodes are never modified, so each node's type is worked out once. */
const typeInfos = new WeakMap<SchemaNode, TypeInfo>();

/** The walk type of a schema node; callers must not modify the answer (it is shared). */
export function typeInfo(node: SchemaNode | undefined): TypeInfo {
  if (!node) return UNTYPED;
  let ti = typeInfos.get(node);
  if (ti === undefined) {
    ti = computeTypeInfo(node);
    typeInfos.set(node, ti);
  }
  return ti;
}

function computeTypeInfo(node: SchemaNode): TypeInfo {
  if (node.$ref && SCALAR_REFS.has(node.$ref)) return { kind: 'scalar', atomic: true };
  if (node.$ref && UNTYPED_REFS.has(node.$ref)) return { kind: 'untyped', atomic: false };
  const r = resolve(node);
  if (!r) return { kind: 'untyped', atomic: false };
  if (r.format === 'int-or-string') return { kind: 'scalar', atomic: true };
  if (r.type === 'array' || r.items) {
    const strategy = node['x-kubernetes-patch-strategy'] ?? r['x-kubernetes-patch-strategy'] ?? '';
    const mergeKey = node['x-kubernetes-patch-merge-key'] ?? r['x-kubernetes-patch-merge-key'];
    let listType = node['x-kubernetes-list-type'] ?? r['x-kubernetes-list-type'];
    if (!listType) listType = strategy.split(',').includes('merge') ? (mergeKey ? 'map' : 'set') : 'atomic';
    const keys = node['x-kubernetes-list-map-keys'] ?? r['x-kubernetes-list-map-keys'] ?? (mergeKey ? [mergeKey] : []);
    return { kind: 'list', atomic: listType === 'atomic', listType, keys, elem: r.items };
  }
  const atomicMap = (node['x-kubernetes-map-type'] ?? r['x-kubernetes-map-type']) === 'atomic';
  if (r.properties) return { kind: 'struct', atomic: atomicMap, fields: r.properties, required: r.required };
  if (isPlainObject(r.additionalProperties)) {
    return { kind: 'map', atomic: atomicMap, elem: r.additionalProperties as SchemaNode };
  }
  if (r.type === 'object' || r.type === undefined) return { kind: 'untyped', atomic: false };
  return { kind: 'scalar', atomic: true };
}

/** The schema of a map entry or struct field (undefined for unknown fields). */
export function childNode(ti: TypeInfo, key: string): SchemaNode | undefined {
  if (ti.kind === 'struct') return ti.fields?.[key];
  if (ti.kind === 'map') return ti.elem;
  return undefined;
}

/** A value's shape for the walks: deduced types treat maps as granular and lists as atomic. */
function effective(ti: TypeInfo, v: unknown): TypeInfo {
  if (ti.kind === 'untyped') return isPlainObject(v) ? DEDUCED_MAP : SCALAR;
  if (ti.kind === 'list' && !Array.isArray(v)) return SCALAR;
  if ((ti.kind === 'struct' || ti.kind === 'map') && !isPlainObject(v)) return SCALAR;
  return ti;
}

export class TypedError extends Error {}

/** The path element of a list item, or an error text when the item cannot be keyed. */
export function itemPE(ti: TypeInfo, item: unknown): PathElement | TypedError {
  if (ti.listType === 'set') {
    if (isPlainObject(item) || Array.isArray(item)) return new TypedError('expected scalar set element');
    return valuePE(item);
  }
  if (!isPlainObject(item)) return new TypedError('associative list with keys has an element that is not a map');
  const keys: JsonMap = {};
  for (const k of ti.keys ?? []) {
    if (k in item && item[k] !== null) keys[k] = item[k];
    else if (k in KEY_DEFAULTS) keys[k] = KEY_DEFAULTS[k];
    else return new TypedError(`associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`);
  }
  return keyPE(keys);
}

export interface WalkOptions {
  /** Fail on fields the schema does not declare (apply configurations). */
  rejectUnknown?: boolean;
}

function fail(path: PathElement[], why: string): never {
  throw new TypedError(`${pathString(path)}: ${why}`);
}

/** Like structured-merge-diff's ToFieldSet: leaves, list items and empty/unknown map entries. */
export function collectFieldSet(obj: unknown, schema: SchemaNode | undefined, opts: WalkOptions = {}): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, node: SchemaNode | undefined, path: PathElement[]): void => {
    const ti = effective(typeInfo(node), v);
    if (ti.kind === 'scalar' || ti.atomic || v === null) {
      if (path.length > 0) set.insert(path);
      return;
    }
    if (ti.kind === 'list') {
      const items = v as unknown[];
      const seen = new Map<PathElement, number>();
      const pes = items.map((it, i) => {
        const pe = itemPE(ti, it);
        if (pe instanceof TypedError) fail([...path, `i:${i}`], pe.message);
        seen.set(pe, (seen.get(pe) ?? 0) + 1);
        return pe;
      });
      items.forEach((it, i) => {
        const p = [...path, pes[i]];
        if ((seen.get(pes[i]) ?? 0) === 1) walk(it, ti.elem, p);
        set.insert(p);
      });
      return;
    }
    for (const [k, val] of Object.entries(v as JsonMap)) {
      const p = [...path, fieldPE(k)];
      const declared = ti.kind === 'struct' ? ti.fields?.[k] : undefined;
      if (ti.kind === 'struct' && !declared && opts.rejectUnknown) fail(p, 'field not declared in schema');
      const child = ti.kind === 'struct' ? declared : ti.elem;
      walk(val, child, p);
      if (val === null || (isPlainObject(val) && Object.keys(val).length === 0) || ti.kind !== 'struct' || !declared) {
        set.insert(p);
      }
    }
  };
  walk(obj, schema, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

function listIndex(ti: TypeInfo, items: unknown[]): Map<PathElement, unknown> {
  const m = new Map<PathElement, unknown>();
  for (const it of items) {
    const pe = itemPE(ti, it);
    if (pe instanceof TypedError) throw pe;
    if (!m.has(pe)) m.set(pe, it);
  }
  return m;
}

/**
 * Which fields were added, modified or removed going from `lhs` to `rhs`. A granular node that
 * appears or disappears as a whole is itself added/removed, except struct nodes with content
 * and required lists (upstream's typed objects always carry those).
 */
export function compare(lhs: unknown, rhs: unknown, schema: SchemaNode | undefined): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, node: SchemaNode | undefined, path: PathElement[], required: boolean): void => {
    if (l === undefined && r === undefined) return;
    const ti = effective(typeInfo(node), r === undefined || r === null ? l : r);
    const leaf = ti.kind === 'scalar' || ti.atomic
      || (l !== undefined && l !== null && r !== undefined && r !== null && effective(typeInfo(node), l).kind !== ti.kind);
    if (leaf || (l === null && r === null)) {
      if (path.length === 0) return;
      if (l === undefined) out.added.insert(path);
      else if (r === undefined) out.removed.insert(path);
      else if (!jsonEqual(l, r)) out.modified.insert(path);
      return;
    }
    const present = (x: unknown): boolean => x !== undefined;
    if (path.length > 0 && present(l) !== present(r)) {
      const v = present(l) ? l : r;
      const emptyStruct = ti.kind === 'struct' && isPlainObject(v) && Object.keys(v).length === 0;
      const marks = ti.kind === 'map' || emptyStruct || (ti.kind === 'list' && !required);
      if (marks) (present(l) ? out.removed : out.added).insert(path);
    }
    if (ti.kind === 'list') {
      const li = listIndex(ti, Array.isArray(l) ? l : []);
      const ri = listIndex(ti, Array.isArray(r) ? r : []);
      for (const pe of new Set([...li.keys(), ...ri.keys()])) {
        const p = [...path, pe];
        const lv = li.get(pe);
        const rv = ri.get(pe);
        if (lv === undefined) out.added.insert(p);
        else if (rv === undefined) out.removed.insert(p);
        walk(lv, rv, ti.elem, p, false);
      }
      return;
    }
    const lm = isPlainObject(l) ? l : {};
    const rm = isPlainObject(r) ? r : {};
    // One side absent (every create): its keys are the other side's, no union needed.
    const lKeys = Object.keys(lm);
    const rKeys = Object.keys(rm);
    const keys = lKeys.length === 0 ? rKeys : rKeys.length === 0 ? lKeys : new Set([...lKeys, ...rKeys]);
    for (const k of keys) {
      const child = childNode(ti, k);
      walk(lm[k], rm[k], child, [...path, fieldPE(k)], ti.required?.includes(k) ?? false);
    }
  };
  walk(lhs, rhs, schema, [], false);
  return out;
}

/** Merges an apply configuration into the live object (config wins; granular nodes combine). */
export function mergeApply(live: unknown, config: unknown, schema: SchemaNode | undefined): unknown {
  const walk = (l: unknown, r: unknown, node: SchemaNode | undefined): unknown => {
    if (r === undefined) return l;
    if (l === undefined || l === null || r === null) return structuredClone(r);
    const ti = effective(typeInfo(node), r);
    const lti = effective(typeInfo(node), l);
    if (ti.kind === 'scalar' || ti.atomic || lti.kind !== ti.kind) return structuredClone(r);
    if (ti.kind === 'list') return mergeList(ti, l as unknown[], r as unknown[], walk);
    const out: JsonMap = { ...(l as JsonMap) };
    for (const [k, v] of Object.entries(r as JsonMap)) {
      if (v === null) { delete out[k]; continue; }
      out[k] = walk(out[k], v, childNode(ti, k));
    }
    return out;
  };
  return walk(live, config, schema);
}

/**
 * List merge in structured-merge-diff's order: live-only items keep their place, shared items
 * follow the configuration's order, new items are placed after the shared item they follow.
 */
function mergeList(ti: TypeInfo, l: unknown[], r: unknown[],
  walk: (l: unknown, r: unknown, node: SchemaNode | undefined) => unknown): unknown[] {
  const pe = (x: unknown): PathElement => {
    const p = itemPE(ti, x);
    if (p instanceof TypedError) throw p;
    return p;
  };
  const lPEs = l.map(pe);
  const rPEs = r.map(pe);
  const lMap = new Map<PathElement, unknown>();
  lPEs.forEach((p, i) => { if (!lMap.has(p)) lMap.set(p, l[i]); });
  const rMap = new Map<PathElement, unknown>();
  rPEs.forEach((p, i) => { if (!rMap.has(p)) rMap.set(p, r[i]); });
  const shared = rPEs.filter((p) => lMap.has(p));
  let nextShared = 0;
  const done = new Set<PathElement>();
  const out: unknown[] = [];
  let li = 0;
  let ri = 0;
  while (li < lPEs.length || ri < rPEs.length) {
    if (li < lPEs.length && ri < rPEs.length) {
      const p = lPEs[li];
      if (p === rPEs[ri]) {
        if (!done.has(p)) { done.add(p); out.push(walk(lMap.get(p), rMap.get(p), ti.elem)); }
        li++; ri++;
        if (shared[nextShared] === p) nextShared++;
        continue;
      }
      if (rMap.has(p) && nextShared < shared.length && shared[nextShared] !== p) { li++; continue; }
    }
    if (li < lPEs.length) {
      const p = lPEs[li];
      if (!rMap.has(p)) { out.push(l[li]); li++; continue; }
      if (done.has(p)) { li++; continue; }
    }
    if (ri < rPEs.length) {
      const p = rPEs[ri];
      if (!done.has(p)) { done.add(p); out.push(walk(lMap.get(p), rMap.get(p), ti.elem)); }
      ri++;
      if (shared[nextShared] === p) nextShared++;
    }
  }
  return out;
}

/**
 * Removes from `obj` the fields at the given member paths of `remove` (whole subtrees).
 * `remove` is evaluated against the object's own path elements.
 */
export function removePaths(obj: unknown, schema: SchemaNode | undefined, shouldRemove: (path: FieldPath) => boolean,
  descend: (path: FieldPath) => boolean): unknown {
  const walk = (v: unknown, node: SchemaNode | undefined, path: PathElement[]): unknown => {
    const ti = effective(typeInfo(node), v);
    if (ti.kind === 'scalar' || ti.atomic || v === null) return v;
    if (ti.kind === 'list') {
      const out: unknown[] = [];
      for (const it of v as unknown[]) {
        const pe = itemPE(ti, it);
        if (pe instanceof TypedError) { out.push(it); continue; }
        const p = [...path, pe];
        if (shouldRemove(p)) continue;
        out.push(descend(p) ? walk(it, ti.elem, p) : it);
      }
      return out;
    }
    const out: JsonMap = {};
    for (const [k, val] of Object.entries(v as JsonMap)) {
      const p = [...path, fieldPE(k)];
      if (shouldRemove(p)) continue;
      out[k] = descend(p) ? walk(val, childNode(ti, k), p) : val;
    }
    return out;
  };
  return walk(obj, schema, []);
}
