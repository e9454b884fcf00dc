/**
 * ResourceList arithmetic for quota (upstream pkg/quota/v1 helpers): lists map a resource name
 * (`pods`, `requests.cpu`, `count/deployments.apps`) to an exact Quantity.
 */
import { Quantity, tryParseQuantity } from '../quantity.js';

export type ResourceList = Map<string, Quantity>;

/** Parses a `{name: "1Gi"}` record; unparseable values are skipped. */
export function parseResourceList(rec: Readonly<Record<string, unknown>> | undefined | null): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of Object.entries(rec ?? {})) {
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
    if (q) out.set(k, q);
  }
  return out;
}

/** Canonical strings, keys sorted (the shape stored in `status.used`). */
export function formatResourceList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = list.get(k)!.toString();
  return out;
}

export function count(n: number): Quantity {
  return Quantity.fromNumber(n);
}

export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    out.set(k, cur ? cur.add(v) : v);
  }
  return out;
}

/** a - b for keys of a; keys only in b are ignored. Negative results are clamped to zero. */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const other = b.get(k);
    const d = other ? v.sub(other) : v;
    out.set(k, d.sign() < 0 ? Quantity.fromNumber(0) : d);
  }
  return out;
}

/** Keys of `list` also in `names`. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const v = list.get(n);
    if (v) out.set(n, v);
  }
  return out;
}

export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of list) if (!v.isZero()) out.set(k, v);
  return out;
}

export function negativeNames(list: ResourceList): string[] {
  return [...list].filter(([, v]) => v.sign() < 0).map(([k]) => k).sort();
}

/** Whether every key of `a` present in `b` is <= b's value; `exceeded` lists the others. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit && v.cmp(limit) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

export function equals(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || !o.equals(v)) return false;
  }
  return true;
}

/** `name=qty,...` sorted by name, as upstream's quota messages print lists. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${list.get(k)!.toString()}`).join(',');
}
