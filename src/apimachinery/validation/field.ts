/** Builders for FieldError values (upstream k8s.io/apimachinery/pkg/util/validation/field). */
import type { FieldError } from '../errors.js';

export const FIELD_IMMUTABLE = 'field is immutable';

export function required(field: string, detail = ''): FieldError {
  return detail ? { type: 'FieldValueRequired', field, detail } : { type: 'FieldValueRequired', field };
}

export function invalidField(field: string, value: unknown, detail = ''): FieldError {
  return detail ? { type: 'FieldValueInvalid', field, value, detail } : { type: 'FieldValueInvalid', field, value };
}

export function forbidden(field: string, detail = ''): FieldError {
  return detail ? { type: 'FieldValueForbidden', field, detail } : { type: 'FieldValueForbidden', field };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value };
}

export function notFoundField(field: string, value: unknown, detail = ''): FieldError {
  return detail ? { type: 'FieldValueNotFound', field, value, detail } : { type: 'FieldValueNotFound', field, value };
}

/** Upstream NotSupported: detail lists the quoted valid values. */
export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return detail ? { type: 'FieldValueNotSupported', field, value, detail } : { type: 'FieldValueNotSupported', field, value };
}

/** Upstream TooLong (the value is never echoed). */
export function tooLong(field: string, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long' };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, detail: `must have at most ${max} items`, value: actual };
}

/** Field path helpers: `child('spec', 'x')` → `spec.x`, `index('a', 0)` → `a[0]`, `key('a', 'k')` → `a[k]`. */
export function child(path: string, ...names: string[]): string {
  return [path, ...names].filter((p) => p !== '').join('.');
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Structural equality of JSON values (treats missing and undefined alike). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** Semantic equality that also treats empty objects/arrays/strings like absent (Go zero values). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return deepEqual(pruneEmpty(a), pruneEmpty(b));
}

function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) {
    const arr = v.map(pruneEmpty);
    return arr.length ? arr : undefined;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pruneEmpty(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === '' || v === null || v === false || v === 0) return undefined;
  return v;
}

export function validateImmutableField(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [invalidField(field, newVal ?? null, FIELD_IMMUTABLE)];
}

export function validateNonnegativeField(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalidField(field, value, 'must be greater than or equal to 0')] : [];
}

export function validatePositiveField(value: number | undefined, field: string): FieldError[] {
  return value !== undefined && value <= 0 ? [invalidField(field, value, 'must be greater than zero')] : [];
}

/** One Invalid error per message (upstream's common `for _, msg := range ...` loop). */
export function invalidEach(field: string, value: unknown, msgs: string[]): FieldError[] {
  return msgs.map((m) => invalidField(field, value, m));
}
