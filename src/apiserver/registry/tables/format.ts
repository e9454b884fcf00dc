/**
 * Cell formatting shared by every table convertor: ages, label selectors, placeholders and safe
 * readers for untyped JSON objects. All functions are pure; none mutates its input.
 */

import { canonicalQuantity } from '../../../apimachinery/quantity.js';

export const NONE = '<none>';
export const UNKNOWN = '<unknown>';
export const UNSET = '<unset>';

export type JsonRecord = Record<string, unknown>;

/** Reads a nested field of untyped JSON (`undefined` as soon as a step is missing). */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as JsonRecord)[key];
  }
  return cur;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A string, or `undefined` when the field is absent (Go's `*string`). */
export function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function optNum(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(v: unknown, fallback = false): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

export function optBool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function rec(v: unknown): JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : {};
}

export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) {
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}

/** Go's `int(x)`: truncation toward zero. */
function trunc(x: number): number {
  return Math.trunc(x);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * A succinct duration with about two significant figures, as upstream's HumanDuration prints
 * ages: `59s`, `119s`, `2m`, `2m5s`, `10m`, `179m`, `3h`, `3h5m`, `8h`, `47h`, `2d`, `2d5h`,
 * `8d`, `729d`, `2y`, `2y1d`, `8y`. Up to one second in the future reads `0s`; further is
 * `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const d = trunc(hours / 24);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const y = trunc(hours / 24 / 365);
    const dy = trunc(hours / 24) % 365;
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${trunc(hours / 24 / 365)}y`;
}

const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** Milliseconds since the epoch, or `undefined` for a missing / zero / unparsable timestamp. */
export function parseTime(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return undefined;
  // Go's zero time (0001-01-01T00:00:00Z) counts as unset.
  if (t === GO_ZERO_TIME) return undefined;
  return t;
}

/** The age of `ts` at `now` (`<unknown>` when unset), as the AGE column shows it. */
export function translateTimestampSince(ts: unknown, now: Date): string {
  const t = parseTime(ts);
  if (t === undefined) return UNKNOWN;
  return humanDuration(now.getTime() - t);
}

/** `k1=v1,k2=v2` with sorted keys, `<none>` when empty (labels.FormatLabels). */
export function formatLabels(labels: unknown): string {
  const m = strMap(labels);
  const keys = Object.keys(m).sort(compareStrings);
  if (keys.length === 0) return NONE;
  return keys.map((k) => `${k}=${m[k]}`).join(',');
}

/** Byte-wise string order, like Go's `sort.Strings`. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

/**
 * The selector string of a metav1.LabelSelector: requirements sorted by key, `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`. `null`/`undefined` selects nothing and `{}` everything; both print
 * as the empty string. Throws SelectorError for an operator or value list upstream rejects.
 */
export function labelSelectorString(selector: unknown): string {
  if (selector === null || selector === undefined) return '';
  const sel = rec(selector);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(strMap(sel.matchLabels))) {
    reqs.push({ key: k, text: `${k}=${v}` });
  }
  for (const raw of list(sel.matchExpressions)) {
    const expr = rec(raw);
    const key = str(expr.key);
    const values = list(expr.values).filter((x): x is string => typeof x === 'string');
    const op = str(expr.operator);
    switch (op) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) throw new SelectorError(`values: must be specified when operator is ${op}`);
        const word = op === 'In' ? 'in' : 'notin';
        reqs.push({ key, text: `${key} ${word} (${[...values].sort(compareStrings).join(',')})` });
        break;
      }
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new SelectorError(`values: may not be specified when operator is ${op}`);
        reqs.push({ key, text: op === 'Exists' ? key : `!${key}` });
        break;
      default:
        throw new SelectorError(`${op} is not a valid label selector operator`);
    }
  }
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: unknown): string {
  let s: string;
  try {
    s = labelSelectorString(selector);
  } catch {
    return '<error>';
  }
  return s === '' ? NONE : s;
}

/** Container names and images, each comma-joined (the CONTAINERS / IMAGES wide columns). */
export function layoutContainerCells(containers: unknown): [string, string] {
  const cs = list(containers).map(rec);
  return [cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(',')];
}

/** `True` / `False`, or `<unset>` for a missing pointer. */
export function printBoolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return UNSET;
  return v ? 'True' : 'False';
}

/** host:port with IPv6 hosts bracketed (net.JoinHostPort). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `a,b,c + N more...` when over `max`, `<unset>` when empty. */
export function listWithMore(items: string[], more: boolean, count: number, max: number): string {
  const ret = items.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? UNSET : ret;
}

/** An IntOrString as text (PDB minAvailable etc.). */
export function intOrString(v: unknown): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  return str(v);
}

/**
 * A resource quantity in canonical form (`1.5Gi` prints `1536Mi`), as Quantity.String() does;
 * absent quantities print `0` like a zero Quantity, unparsable ones as stored.
 */
export function quantity(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '0';
  if (v === '') return '0';
  return canonicalQuantity(v) ?? String(v);
}
