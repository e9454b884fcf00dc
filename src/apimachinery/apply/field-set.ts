/**
 * Sets of field paths, as structured-merge-diff keeps them for managedFields.
 *
 * A path is a list of path elements in their FieldsV1 spelling: `f:<field>`,
 * `k:{"name":"x"}` (list-map item by its keys, keys sorted), `v:"value"` (set item),
 * `i:<index>`. A set is a tree: each node holds the elements that are members (the path itself is
 * in the set) and children (paths below it are in the set).
 */

export type PathElement = string;
export type FieldPath = readonly PathElement[];

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  insert(path: FieldPath): this {
    if (path.length === 0) return this;
    let node: FieldSet = this;
    for (const pe of path.slice(0, -1)) {
      let c = node.children.get(pe);
      if (!c) { c = new FieldSet(); node.children.set(pe, c); }
      node = c;
    }
    node.members.add(path[path.length - 1]);
    return this;
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    const parent = this.child(path.slice(0, -1));
    return parent !== undefined && parent.members.has(path[path.length - 1]);
  }

  /** The subtree below `path`, if any. */
  child(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return undefined;
    }
    return node;
  }

  /** True when `path` is a member or some member lies below it. */
  ownsOrContains(path: FieldPath): boolean {
    if (this.has(path)) return true;
    const c = this.child(path);
    return c !== undefined && !c.isEmpty();
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  clone(): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) s.members.add(m);
    for (const [k, c] of this.children) s.children.set(k, c.clone());
    return s;
  }

  union(other: FieldSet): FieldSet {
    const s = this.clone();
    for (const m of other.members) s.members.add(m);
    for (const [k, c] of other.children) {
      const mine = s.children.get(k);
      s.children.set(k, mine ? mine.union(c) : c.clone());
    }
    return s;
  }

  difference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) s.members.add(m);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      const d = o ? c.difference(o) : c.clone();
      if (!d.isEmpty()) s.children.set(k, d);
    }
    return s;
  }

  intersection(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) s.members.add(m);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) s.children.set(k, i);
    }
    return s;
  }

  /** Removes `path` and everything below it. */
  removeSubtree(path: FieldPath): FieldSet {
    return this.removeSubtrees([path]);
  }

  /** Removes each of `paths` and everything below them (one copy for all). */
  removeSubtrees(paths: readonly FieldPath[]): FieldSet {
    if (paths.some((p) => p.length === 0)) return new FieldSet();
    const s = this.clone();
    for (const path of paths) {
      const parent = s.child(path.slice(0, -1));
      if (parent) {
        parent.members.delete(path[path.length - 1]);
        parent.children.delete(path[path.length - 1]);
      }
    }
    return s;
  }

  /** Every member path, in FieldsV1 order. */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = [];
    const keys = sortElements([...new Set([...this.members, ...this.children.keys()])]);
    for (const k of keys) {
      if (this.members.has(k)) out.push([...prefix, k]);
      const c = this.children.get(k);
      if (c) out.push(...c.paths([...prefix, k]));
    }
    return out;
  }
}

export function union(a: FieldSet, b: FieldSet): FieldSet { return a.union(b); }
export function difference(a: FieldSet, b: FieldSet): FieldSet { return a.difference(b); }
export function intersection(a: FieldSet, b: FieldSet): FieldSet { return a.intersection(b); }
export function isEmpty(a: FieldSet): boolean { return a.isEmpty(); }

const rank: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function sortElements(pes: PathElement[]): PathElement[] {
  return pes.sort((a, b) => {
    const ra = rank[a[0]] ?? 9;
    const rb = rank[b[0]] ?? 9;
    if (ra !== rb) return ra - rb;
    if (a[0] === 'i' && b[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Serializes to the FieldsV1 JSON form stored in `metadata.managedFields[].fieldsV1`. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  return nonEmptyFieldsV1(set) ?? {};
}

/** FieldsV1 of a set, or undefined when no member lies anywhere in it. */
function nonEmptyFieldsV1(set: FieldSet): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  const keys = set.children.size === 0 ? [...set.members] : [...new Set([...set.members, ...set.children.keys()])];
  for (const k of sortElements(keys)) {
    const c = set.children.get(k);
    const member = set.members.has(k);
    // A node with no members below it (e.g. `metadata` once name/namespace are stripped) is not part of the set.
    const sub = c ? nonEmptyFieldsV1(c) : undefined;
    if (!member && !sub) continue;
    out ??= {};
    out[k] = member && sub ? { '.': {}, ...sub } : sub ?? {};
  }
  return out;
}

/** Parses FieldsV1 JSON; unknown shapes are ignored rather than failing the request. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set = new FieldSet();
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return set;
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    if (k === '.') continue;
    const obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {};
    const keys = Object.keys(obj);
    if (keys.length === 0 || '.' in obj) set.members.add(k);
    if (keys.some((x) => x !== '.')) set.children.set(k, fromFieldsV1(obj));
  }
  return set;
}

function scalarString(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(scalarString).join(',')}]`;
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${scalarString(x)}`).join('');
  }
  return String(v);
}

/** One path element as structured-merge-diff prints it: `.spec`, `[name="x"]`, `[="v"]`, `[0]`. */
export function pathElementString(pe: PathElement): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f': return '.' + body;
    case 'k': {
      let keys: Record<string, unknown> = {};
      try { keys = JSON.parse(body) as Record<string, unknown>; } catch { /* keep empty */ }
      return '[' + Object.keys(keys).sort().map((k) => `${k}=${scalarString(keys[k])}`).join(',') + ']';
    }
    case 'v': {
      let v: unknown = body;
      try { v = JSON.parse(body); } catch { /* keep raw */ }
      return `[=${scalarString(v)}]`;
    }
    case 'i': return `[${body}]`;
    default: return '{{invalid path element}}';
  }
}

/** A whole path as printed in conflict messages: `.spec.containers[name="app"].image`. */
export function pathString(path: FieldPath): string {
  return path.map(pathElementString).join('');
}

export function fieldPE(name: string): PathElement { return 'f:' + name; }

/** `k:` element for a list-map item: key fields sorted by name. */
export function keyPE(keys: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(keys).sort()) sorted[k] = keys[k];
  return 'k:' + JSON.stringify(sorted);
}

export function valuePE(v: unknown): PathElement { return 'v:' + JSON.stringify(v); }
export function indexPE(i: number): PathElement { return 'i:' + String(i); }
