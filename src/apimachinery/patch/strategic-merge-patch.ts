/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) driven by the OpenAPI
 * patch metadata (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`).
 *
 * Supported: merge lists keyed by the merge key, primitive merge lists (union), replace for every
 * other list, `null` deletes, the `$patch` directive (replace/delete on maps and list items),
 * `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`. This is what
 * `kubectl apply` (client side), `kubectl patch` and `kubectl edit` send.
 *
 * Errors map as kube-apiserver maps them: malformed directives are 400, lists of lists 422, and
 * the remaining failures of the merge (a list item without its merge key, an unknown `$patch`
 * value) surface as 500 with the raw message.
 */
import { StatusError, badRequest } from '../errors.js';
import { deepCopy, isPlainObject } from '../object.js';
import { resolve } from '../schema.js';
import type { SchemaNode } from '../schema.js';
import { unprocessable } from './json-patch.js';

type JsonMap = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

export const ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = 'invalid patch format of primitive list';
export const ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = 'invalid patch format of retainKeys';
export const ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
export const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';

/** Errors that upstream does not translate reach the client as a 500 carrying the raw text. */
function serverError(message: string): StatusError {
  return new StatusError(500, '', message);
}

/** Renders a value roughly as Go's `%v` does, for error texts clients may show. */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  if (isPlainObject(v)) {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goValueString(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

function noMergeKey(m: JsonMap, key: string): StatusError {
  return serverError(`map: ${goValueString(m)} does not contain declared merge key: ${key}`);
}

interface FieldMeta {
  /** Schema of the field's value (refs resolved); for lists, the list node itself. */
  node: SchemaNode | undefined;
  strategy: string;
  mergeKey: string;
}

function fieldMeta(parent: SchemaNode | undefined, key: string): FieldMeta {
  const r = resolve(parent);
  let prop: SchemaNode | undefined = r?.properties?.[key];
  if (!prop && r && isPlainObject(r.additionalProperties)) prop = r.additionalProperties as SchemaNode;
  const resolved = resolve(prop);
  const rawStrategy = prop?.['x-kubernetes-patch-strategy'] ?? resolved?.['x-kubernetes-patch-strategy'] ?? '';
  const strategies = rawStrategy.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const others = strategies.filter((s) => s !== 'retainKeys');
  if (others.length > 1) throw serverError(`unexpected patch strategy: [${strategies.join(' ')}]`);
  return {
    node: resolved,
    strategy: others[0] ?? '',
    mergeKey: prop?.['x-kubernetes-patch-merge-key'] ?? resolved?.['x-kubernetes-patch-merge-key'] ?? '',
  };
}

function itemSchema(list: SchemaNode | undefined): SchemaNode | undefined {
  return resolve(resolve(list)?.items);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Drops `$patch` maps and other directive keys, and null values in maps, from a value taken whole. */
function cleanValue(v: unknown): { value: unknown; keep: boolean } {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const c = cleanValue(item);
      if (c.keep) out.push(c.value);
    }
    return { value: out, keep: true };
  }
  if (isPlainObject(v)) {
    if (DIRECTIVE in v) return { value: undefined, keep: false };
    const out: JsonMap = {};
    for (const [k, val] of Object.entries(v)) {
      if (val === null || k === RETAIN_KEYS || k.startsWith(SET_ELEMENT_ORDER + '/')
        || k.startsWith(DELETE_FROM_PRIMITIVE_LIST + '/')) continue;
      const c = cleanValue(val);
      if (c.keep) out[k] = c.value;
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

function extractKey(key: string, prefix: string, error: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix || slash === key.length - 1) throw badRequest(error);
  return key.slice(slash + 1);
}

/** Looks up the position of `item` in `list`, by merge key for maps and by value otherwise. */
function indexIn(list: unknown[], item: unknown, mergeKey: string, isMap: boolean): number {
  const val = (x: unknown): unknown => (isMap ? (isPlainObject(x) ? x[mergeKey] : undefined) : x);
  const want = val(item);
  return list.findIndex((x) => val(x) === want);
}

function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, isMap: boolean): unknown[] {
  const keep: unknown[] = [];
  const deletes: unknown[] = [];
  for (const it of items) {
    if (isMap && isPlainObject(it) && it[DIRECTIVE] === 'delete') deletes.push(it);
    else keep.push(it);
  }
  const pos = (x: unknown): number => {
    const i = indexIn(order, x, mergeKey, isMap);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...keep.map((x, i) => ({ x, i, p: pos(x) }))
    .sort((a, b) => a.p - b.p || a.i - b.i).map((e) => e.x), ...deletes];
}

/**
 * Interleaves server-only items (`left`) into patch items (`right`) keeping each side's relative
 * order; where both are in the live list, the live order decides.
 */
function mergeSorted(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, isMap: boolean): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) { out.push(right[j++]); continue; }
    if (j >= right.length) { out.push(left[i++]); continue; }
    const li = indexIn(serverOrder, left[i], mergeKey, isMap);
    const ri = indexIn(serverOrder, right[j], mergeKey, isMap);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  return out;
}

function normalizeOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[],
  mergeKey: string, isMap: boolean): unknown[] {
  if (isMap) {
    for (const l of [patchItems, patchOrder]) {
      for (const it of l) if (isPlainObject(it) && !(mergeKey in it)) throw noMergeKey(it, mergeKey);
    }
  }
  const p = sortByOrder(patchItems, patchOrder, mergeKey, isMap);
  const s = sortByOrder(serverOnly, serverOrder, mergeKey, isMap);
  return mergeSorted(s, p, serverOrder, mergeKey, isMap);
}

function partition(merged: unknown[], by: unknown[], mergeKey: string, isMap: boolean): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const it of merged) {
    if (isMap && (!isPlainObject(it) || !(mergeKey in it))) {
      throw isPlainObject(it) ? noMergeKey(it, mergeKey) : serverError(`expected a map, but received a ${kindOf(it)}`);
    }
    (indexIn(by, it, mergeKey, isMap) >= 0 ? inPatch : serverOnly).push(it);
  }
  return [inPatch, serverOnly];
}

/** The common element kind of the lists: 'object' for lists of maps, else a scalar kind. */
function elementKind(...lists: unknown[][]): string | undefined {
  let kind: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'array') throw unprocessable(ERR_NO_LIST_OF_LISTS);
        kind = k;
      } else if (k !== kind) {
        throw serverError(`list element types are not identical: ${goValueString(lists)}`);
      }
    }
  }
  return kind;
}

function mergeList(original: unknown[], patch: unknown[], schema: SchemaNode | undefined, mergeKey: string,
  isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const isMap = kind === 'object';
  let merged: unknown[];
  let orig = original;
  let pat = patch;
  if (!isMap) {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.includes(v)) merged.push(v);
  } else {
    if (mergeKey === '') throw serverError('cannot merge lists without merge key for ' + (schema ? 'type' : 'unknown type'));
    const plain: unknown[] = [];
    let replace = false;
    for (const v of patch) {
      const item = v as JsonMap;
      if (!(DIRECTIVE in item)) { plain.push(item); continue; }
      const d = item[DIRECTIVE];
      if (d === 'delete') {
        if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
        orig = orig.filter((o) => !(isPlainObject(o) && o[mergeKey] === item[mergeKey]));
      } else if (d === 'replace') {
        replace = true;
      } else if (d === 'merge') {
        throw serverError('merging lists cannot yet be specified in the patch');
      } else {
        throw serverError(`unknown patch type: ${goValueString(d)} in map: ${goValueString(item)}`);
      }
    }
    if (replace) {
      orig = plain.map((v) => cleanValue(v).value);
      pat = [];
    } else {
      pat = plain;
    }
    merged = [...orig];
    for (const v of pat) {
      const item = v as JsonMap;
      if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
      const at = merged.findIndex((o) => isPlainObject(o) && o[mergeKey] === item[mergeKey]);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonMap, item, schema);
      else merged.push(mergeMap({}, item, schema));
    }
  }
  const [patchItems, serverOnly] = partition(merged, pat, mergeKey, isMap);
  return normalizeOrder(patchItems, serverOnly, pat, orig, mergeKey, isMap);
}

function mergeListField(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean): unknown[] {
  if (meta.strategy === 'merge' || isDeleteList) {
    return mergeList(original, patch, itemSchema(meta.node), meta.mergeKey, isDeleteList);
  }
  return cleanValue(patch).value as unknown[];
}

/** A patch value for a key the original lacks (or holds with another type). */
function takePatchValue(patchV: unknown, meta: FieldMeta): { value: unknown; keep: boolean } {
  if (isPlainObject(patchV)) {
    if (patchV[DIRECTIVE] === 'delete') return { value: undefined, keep: false };
    if (meta.strategy === 'replace') return cleanValue(patchV);
    return { value: mergeMap({}, patchV, meta.node), keep: true };
  }
  if (Array.isArray(patchV)) return { value: mergeListField([], patchV, meta, false), keep: true };
  return { value: patchV, keep: true };
}

function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST + '/') || k.startsWith(SET_ELEMENT_ORDER + '/')) continue;
    if (!keep.has(k)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function validateSetOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey
    ? patchList.filter((v) => !(isPlainObject(v) && v[DIRECTIVE] === 'delete'))
    : patchList;
  let pi = 0;
  let oi = 0;
  while (pi < nonDelete.length && oi < order.length) {
    const p = nonDelete[pi];
    if (isPlainObject(p) && DIRECTIVE in p) { pi++; continue; }
    let equal: boolean;
    if (mergeKey) {
      const o = order[oi];
      if (!isPlainObject(p)) throw serverError(`expected a map, but received a ${kindOf(p)}`);
      if (!isPlainObject(o)) throw serverError(`expected a map, but received a ${kindOf(o)}`);
      if (!(mergeKey in p)) throw noMergeKey(p, mergeKey);
      if (!(mergeKey in o)) throw noMergeKey(o, mergeKey);
      equal = p[mergeKey] === o[mergeKey];
    } else {
      equal = p === order[oi];
    }
    if (equal) pi++;
    oi++;
  }
  if (pi < nonDelete.length && oi >= order.length) {
    throw serverError(`The order in patch list:\n${goValueString(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValueString(order)}\n`);
  }
}

function applySetElementOrder(original: JsonMap, patch: JsonMap, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    const field = extractKey(key, SET_ELEMENT_ORDER, ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER);
    if (!Array.isArray(order)) throw badRequest(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER);
    const hasOrig = field in original;
    const hasPatch = field in patch;
    const origList = original[field];
    const patchList = patch[field];
    if (hasOrig && !Array.isArray(origList)) throw serverError(`expected a slice, but received a ${kindOf(origList)}`);
    if (hasPatch && !Array.isArray(patchList)) throw serverError(`expected a slice, but received a ${kindOf(patchList)}`);
    const o = (hasOrig ? origList : []) as unknown[];
    const p = (hasPatch ? patchList : []) as unknown[];
    const meta = fieldMeta(schema, field);
    validateSetOrder(p, order, meta.mergeKey);
    let merged: unknown[];
    if (hasOrig && hasPatch) merged = mergeListField(o, p, meta, false);
    else if (hasPatch) merged = mergeListField([], p, meta, false);
    else if (hasOrig) merged = o;
    else continue;
    const isMap = elementKind(o, p) === 'object';
    const mk = meta.mergeKey;
    const [inOrder, serverOnly] = partition(merged, order, mk, mk !== '' && isMap);
    original[field] = normalizeOrder(inOrder, serverOnly, order, o, mk, mk !== '' && isMap);
    delete patch[field];
  }
}

/** Merges `patch` into `original`; both are private copies and may be modified. */
function mergeMap(original: JsonMap, patch: JsonMap, schema: SchemaNode | undefined): JsonMap {
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      delete patch[DIRECTIVE];
      return cleanValue(patch).value as JsonMap;
    }
    if (d === 'delete') return {};
    if (d !== 'merge') throw serverError(`unknown patch type: ${goValueString(d)} in map: ${goValueString(patch)}`);
    delete patch[DIRECTIVE];
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST)),
  ];
  for (const rawKey of ordered) {
    const patchV = patch[rawKey];
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST, ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete original[k];
      continue;
    }
    const meta = fieldMeta(schema, k);
    const origV = original[k];
    if (!(k in original) || kindOf(origV) !== kindOf(patchV)) {
      if (isDeleteList) continue;
      const taken = takePatchValue(patchV, meta);
      if (taken.keep) original[k] = taken.value;
      else delete original[k];
      continue;
    }
    if (isPlainObject(origV) && isPlainObject(patchV)) {
      original[k] = meta.strategy === 'replace' ? cleanValue(patchV).value : mergeMap(origV, patchV, meta.node);
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      original[k] = mergeListField(origV, patchV, meta, isDeleteList);
    } else {
      original[k] = patchV;
    }
  }
  return original;
}

/**
 * Applies a strategic merge patch to `doc` using the schema of the document's kind (from
 * `definitionForKind`). Without a schema every map merges and every list is replaced, which is
 * merge-patch semantics. Neither argument is modified.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (!isPlainObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${kindOf(patch) === 'null' ? 'null' : kindOf(patch) === 'array' ? 'array' : kindOf(patch)} into Go value of type map[string]interface {}`);
  }
  if (doc !== undefined && doc !== null && !isPlainObject(doc)) throw badRequest('invalid JSON document');
  const original = isPlainObject(doc) ? deepCopy(doc) : {};
  return mergeMap(original, deepCopy(patch), schema);
}
