/**
 * Field ownership (`metadata.managedFields`) and server-side apply, after kube-apiserver's
 * field manager: one entry per manager + operation + subresource (+ apiVersion for updates),
 * conflicts as 409s with upstream's message, prune of fields an applier stopped applying.
 */
import { StatusError, badRequest } from '../errors.js';
import { deepCopy, isPlainObject } from '../object.js';
import type { KubeObject, ManagedFieldsEntry } from '../object.js';
import type { SchemaNode } from '../schema.js';
import { FieldSet, fieldPE, fromFieldsV1, pathString, toFieldsV1 } from './field-set.js';
import type { FieldPath } from './field-set.js';
import { TypedError, collectFieldSet, compare, mergeApply, removePaths } from './typed.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';
export const CLIENT_SIDE_APPLY_MANAGER = 'kubectl-client-side-apply';
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';
/** Upstream keeps at most this many Update entries; older ones merge into "ancient-changes". */
export const MAX_UPDATE_MANAGERS = 10;

/** Paths never owned by anyone (upstream's strip set). */
const STRIPPED: FieldPath[] = [
  ['f:apiVersion'], ['f:kind'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields',
    'resourceVersion', 'generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds']
    .map((f) => ['f:metadata', fieldPE(f)]),
];

/** Top-level fields a write through the main resource (or a subresource) does not own. */
function resetFields(subresource: string | undefined): FieldPath[] {
  if (!subresource) return [['f:status']];
  if (subresource === 'status') return [['f:spec']];
  return [];
}

function filterSet(set: FieldSet, subresource: string | undefined): FieldSet {
  const s = set.removeSubtrees([...STRIPPED, ...resetFields(subresource)]);
  // `metadata` itself is never a member; its owned children stay.
  const meta = s.child([]);
  meta?.members.delete('f:metadata');
  return s;
}

/** Removes managedFields from a copy of an object before walking it. */
function withoutManagedFields(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  const c = deepCopy(obj);
  if (isPlainObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

/**
 * A view of an object without managedFields for read-only walks: only the top level and
 * metadata are copied, everything else is shared with `obj`.
 */
function viewWithoutManagedFields(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  if (!isPlainObject(obj.metadata) || obj.metadata.managedFields === undefined) return obj;
  const { managedFields: _omitted, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** The field set of an object under its schema (structured-merge-diff's ToFieldSet). */
export function fieldSetOf(obj: unknown, schema: SchemaNode | undefined): FieldSet {
  return collectFieldSet(obj, schema);
}

interface Manager {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

/** Identity of an entry: apply entries ignore apiVersion so re-applying at any version is one entry. */
function managerKey(e: ManagedFieldsEntry): string {
  return `${e.manager ?? ''}\u0000${e.operation ?? ''}\u0000${e.operation === 'Apply' ? '' : e.apiVersion ?? ''}\u0000${e.subresource ?? ''}`;
}

function decodeManagers(entries: ManagedFieldsEntry[] | undefined): Map<string, Manager> {
  const m = new Map<string, Manager>();
  for (const e of entries ?? []) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') continue;
    const key = managerKey(e);
    const set = fromFieldsV1(e.fieldsV1);
    const prev = m.get(key);
    m.set(key, { entry: { ...e }, set: prev ? prev.set.union(set) : set });
  }
  return m;
}

function encodeManagers(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const { entry, set } of managers.values()) {
    if (set.isEmpty()) continue;
    const e: ManagedFieldsEntry = { manager: entry.manager ?? '', operation: entry.operation };
    if (entry.apiVersion !== undefined) e.apiVersion = entry.apiVersion;
    if (entry.time !== undefined) e.time = entry.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = toFieldsV1(set);
    if (entry.subresource) e.subresource = entry.subresource;
    out.push(e);
  }
  const secs = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((p, q) => cmp(p.operation ?? '', q.operation ?? '') || secs(p.time) - secs(q.time)
    || cmp(p.manager ?? '', q.manager ?? '') || cmp(p.apiVersion ?? '', q.apiVersion ?? '')
    || cmp(p.subresource ?? '', q.subresource ?? ''));
}

/** Folds the oldest Update entries into "ancient-changes" once there are too many. */
function capManagers(managers: Map<string, Manager>, apiVersion: string, now: string): void {
  const updates = [...managers.entries()].filter(([, m]) => m.entry.operation === 'Update' && !m.set.isEmpty());
  if (updates.length <= MAX_UPDATE_MANAGERS) return;
  updates.sort(([, a], [, b]) => Date.parse(a.entry.time ?? '') - Date.parse(b.entry.time ?? ''));
  const ancientKey = managerKey({ manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion });
  let ancient = managers.get(ancientKey) ?? { entry: { manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion, time: now }, set: new FieldSet() };
  for (const [key, m] of updates.slice(0, updates.length - MAX_UPDATE_MANAGERS + 1)) {
    if (key === ancientKey) continue;
    ancient = { entry: ancient.entry, set: ancient.set.union(m.set) };
    managers.delete(key);
  }
  managers.set(ancientKey, ancient);
}

let lastRounded = { input: '', output: '' };

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function roundTime(now: string): string {
  // Writes within one second pass the same timestamp: remember the last answer.
  if (now === lastRounded.input) return lastRounded.output;
  const t = Date.parse(now);
  if (Number.isNaN(t)) return now;
  const output = new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  lastRounded = { input: now, output };
  return output;
}

function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

interface Conflict { manager: ManagedFieldsEntry; path: FieldPath }

/** The 409 upstream returns for apply conflicts. */
export function applyConflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    type: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, { printed: string; paths: string[] }>();
    for (const c of conflicts) {
      const key = managerKey(c.manager);
      const g = byManager.get(key) ?? { printed: printManager(c.manager), paths: [] };
      g.paths.push(pathString(c.path));
      byManager.set(key, g);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      const g = byManager.get(key);
      if (!g) continue;
      lines.push(`conflicts with ${g.printed}:`);
      for (const p of g.paths) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Updates other managers for a change from `oldObj` to `newObj` made by `self`: fields the
 * change added or modified conflict with (or, forced, are taken from) their owners; removed
 * fields are dropped from every owner.
 */
function updateOthers(oldObj: unknown, newObj: unknown, schema: SchemaNode | undefined, managers: Map<string, Manager>,
  self: string, force: boolean, allowConflict?: (c: Conflict[]) => boolean): { added: FieldSet; modified: FieldSet; removed: FieldSet } {
  const cmp = compare(oldObj ?? {}, newObj, schema);
  const changed = cmp.added.union(cmp.modified);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === self) continue;
    const c = m.set.intersection(changed);
    if (!c.isEmpty()) {
      taken.set(key, c);
      for (const p of c.paths()) conflicts.push({ manager: m.entry, path: p });
    }
  }
  if (!force && conflicts.length > 0 && !(allowConflict?.(conflicts))) throw applyConflictError(conflicts);
  for (const [key, m] of managers) {
    if (key === self) continue;
    let s = m.set;
    const t = taken.get(key);
    if (t) s = s.difference(t);
    s = s.difference(cmp.removed);
    if (s.isEmpty()) managers.delete(key);
    else managers.set(key, { entry: m.entry, set: s });
  }
  return cmp;
}

function typedFailure(kind: string, apiVersion: string, err: unknown): StatusError {
  const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError(500, '', `failed to create typed patch object (${gv}, Kind=${kind}): ${msg}`, undefined, { cause: err });
}

function lastAppliedSet(live: KubeObject | undefined, schema: SchemaNode | undefined): FieldSet | undefined {
  const raw = live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!raw) return undefined;
  try {
    return collectFieldSet(JSON.parse(raw), schema);
  } catch {
    return undefined;
  }
}

function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortedJson(v[k]);
    return out;
  }
  return v;
}

export interface ServerSideApplyOptions {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  schema: SchemaNode | undefined;
  /** group/version of the request, e.g. `apps/v1` or `v1`. */
  apiVersion: string;
  now: string;
  subresource?: string;
}

/**
 * Server-side apply of `applied` onto `live` (undefined on create). Returns the new object with
 * `metadata.managedFields` updated. Pure: inputs are not modified. Throws 409 Conflict when the
 * configuration changes fields other managers own and `force` is false.
 */
export function serverSideApply(opts: ServerSideApplyOptions): KubeObject {
  const { applied, schema, subresource } = opts;
  if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  if (applied.apiVersion !== undefined && applied.apiVersion !== opts.apiVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion}, expected: ${opts.apiVersion}`);
  }
  const now = roundTime(opts.now);
  const live = withoutManagedFields(opts.live);
  const managers = decodeManagers(opts.live?.metadata?.managedFields);
  if (live && managers.size === 0) {
    const e: ManagedFieldsEntry = { manager: BEFORE_FIRST_APPLY_MANAGER, operation: 'Update', apiVersion: opts.apiVersion, time: now };
    const set = filterSet(safeFieldSet(live, schema), subresource);
    managers.set(managerKey(e), { entry: e, set });
  }

  let configSet: FieldSet;
  let merged: unknown;
  try {
    configSet = filterSet(collectFieldSet(applied, schema, { rejectUnknown: true }), subresource);
    merged = mergeApply(live ?? {}, applied, schema);
  } catch (e) {
    if (e instanceof TypedError) throw typedFailure(String(applied.kind ?? opts.live?.kind ?? ''), opts.apiVersion, e);
    throw e;
  }

  const entry: ManagedFieldsEntry = { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, time: now };
  if (subresource) entry.subresource = subresource;
  const self = managerKey(entry);
  const lastSet = managers.get(self)?.set;
  managers.set(self, { entry, set: configSet });

  if (lastSet && !lastSet.isEmpty()) {
    let owned = new FieldSet();
    for (const m of managers.values()) owned = owned.union(m.set);
    const protectedPath = (p: FieldPath): boolean => p.length === 1 && (p[0] === 'f:metadata' || p[0] === 'f:apiVersion' || p[0] === 'f:kind');
    merged = removePaths(merged, schema,
      (p) => !protectedPath(p) && (lastSet.has(p) || (lastSet.child(p)?.isEmpty() === false)) && !owned.ownsOrContains(p),
      (p) => lastSet.child(p) !== undefined);
  }

  const allowFromLastApplied = (conflicts: Conflict[]): boolean => {
    if (opts.manager !== 'kubectl') return false;
    const last = lastAppliedSet(opts.live, schema);
    if (!last) return false;
    return conflicts.every((c) => c.manager.manager === CLIENT_SIDE_APPLY_MANAGER && last.has(c.path));
  };
  updateOthers(live, merged, schema, managers, self, opts.force, allowFromLastApplied);
  capManagers(managers, opts.apiVersion, now);

  const out = merged as KubeObject;
  if (!isPlainObject(out.metadata)) out.metadata = {};
  const lastApplied = opts.live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (lastApplied !== undefined && applied.metadata?.annotations?.[LAST_APPLIED_ANNOTATION] === undefined) {
    const cfg = deepCopy(applied);
    if (cfg.metadata?.annotations) {
      delete cfg.metadata.annotations[LAST_APPLIED_ANNOTATION];
      if (Object.keys(cfg.metadata.annotations).length === 0) delete cfg.metadata.annotations;
    }
    out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: JSON.stringify(sortedJson(cfg)) };
  }
  const encoded = encodeManagers(managers);
  if (encoded.length > 0) out.metadata.managedFields = encoded;
  else delete out.metadata.managedFields;
  return out;
}

function safeFieldSet(obj: unknown, schema: SchemaNode | undefined): FieldSet {
  try {
    return collectFieldSet(obj, schema);
  } catch {
    return new FieldSet();
  }
}

export interface UpdateManagedFieldsOptions {
  live: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  operation: 'Update';
  apiVersion: string;
  now: string;
  schema: SchemaNode | undefined;
  subresource?: string;
}

/**
 * Managed fields after a create/update/patch by `manager`: it takes the fields it added or
 * changed (all set fields on create) from their previous owners; removed fields leave every
 * owner; empty entries are dropped. The manager's entry time moves only when it took fields.
 * Returns [] when the objects cannot be walked (upstream then drops managed fields too).
 */
export function updateManagedFields(opts: UpdateManagedFieldsOptions): ManagedFieldsEntry[] {
  const { schema, subresource } = opts;
  const now = roundTime(opts.now);
  // compare() only reads, so views are enough here.
  const live = viewWithoutManagedFields(opts.live);
  const updated = viewWithoutManagedFields(opts.updated) as KubeObject;
  const managers = decodeManagers(opts.updated.metadata?.managedFields !== undefined && opts.live !== undefined
    && !sameEntries(opts.updated.metadata.managedFields, opts.live.metadata?.managedFields)
    ? opts.updated.metadata.managedFields
    : opts.live?.metadata?.managedFields ?? opts.updated.metadata?.managedFields);
  const entry: ManagedFieldsEntry = { manager: opts.manager, operation: 'Update', apiVersion: opts.apiVersion, time: now };
  if (subresource) entry.subresource = subresource;
  const self = managerKey(entry);
  const current = '\u0000current-operation';
  let cmp;
  try {
    cmp = updateOthers(live, updated, schema, managers, current, true);
  } catch (e) {
    if (e instanceof TypedError) return [];
    throw e;
  }
  const took = filterSet(cmp.added.union(cmp.modified), subresource);
  if (!took.isEmpty()) {
    const prev = managers.get(self);
    managers.set(self, { entry, set: prev ? prev.set.union(took) : took });
  }
  capManagers(managers, opts.apiVersion, now);
  return encodeManagers(managers);
}

function sameEntries(a: ManagedFieldsEntry[] | undefined, b: ManagedFieldsEntry[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
