/**
 * Field validation for `fieldValidation=Strict|Warn`: unknown fields (walked against the
 * OpenAPI schema), duplicate keys (read from the raw JSON text) and JSON type mismatches.
 * Paths are printed as upstream's strict decoder prints them: `spec.containers[0].image`.
 */
import { isPlainObject } from './object.js';
import { resolve } from './schema.js';
import type { SchemaNode } from './schema.js';

const ANY_REFS = new Set([
  '#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension',
  '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);
const SCALAR_REFS = new Set([
  '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity',
]);

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** True when anything is accepted below this node (RawExtension, JSON, preserve-unknown-fields). */
function acceptsAnything(node: SchemaNode): boolean {
  if (node.$ref && ANY_REFS.has(node.$ref)) return true;
  if ((node as Record<string, unknown>)['x-kubernetes-preserve-unknown-fields'] === true) return true;
  const r = resolve(node);
  if (!r) return true;
  if ((r as Record<string, unknown>)['x-kubernetes-preserve-unknown-fields'] === true) return true;
  return !r.type && !r.properties && !r.items && !r.additionalProperties && !r.$ref;
}

/** Paths of fields the schema does not declare, e.g. `spec.containers[0].imagePullPolicyX`. */
export function findUnknownFields(obj: unknown, schema: SchemaNode | undefined): string[] {
  const out: string[] = [];
  const walk = (v: unknown, node: SchemaNode | undefined, path: string): void => {
    if (!node || acceptsAnything(node)) return;
    if (node.$ref && SCALAR_REFS.has(node.$ref)) return;
    const r = resolve(node);
    if (!r) return;
    if (Array.isArray(v)) {
      if (r.items) v.forEach((item, i) => walk(item, r.items, `${path}[${i}]`));
      return;
    }
    if (!isPlainObject(v)) return;
    if (r.properties) {
      for (const [k, val] of Object.entries(v)) {
        const p = r.properties[k];
        if (!p) out.push(join(path, k));
        else walk(val, p, join(path, k));
      }
      return;
    }
    if (isPlainObject(r.additionalProperties)) {
      const elem = r.additionalProperties as SchemaNode;
      for (const [k, val] of Object.entries(v)) walk(val, elem, join(path, k));
    }
  };
  walk(obj, schema, '');
  return out;
}

/** Paths of keys that appear twice in the same JSON object, in document order. */
export function findDuplicateFields(rawJson: string): string[] {
  const out: string[] = [];
  const s = rawJson;
  let i = 0;
  const ws = (): void => { while (i < s.length && ' \t\n\r'.includes(s[i])) i++; };
  const str = (): string => {
    let j = i + 1;
    let res = '';
    while (j < s.length && s[j] !== '"') {
      if (s[j] === '\\') {
        const c = s[j + 1];
        if (c === 'u') { res += String.fromCharCode(parseInt(s.slice(j + 2, j + 6), 16)); j += 6; continue; }
        res += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[c] ?? c;
        j += 2;
        continue;
      }
      res += s[j++];
    }
    i = j + 1;
    return res;
  };
  const value = (path: string): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (s[i] === '}') { i++; return; }
      while (i < s.length) {
        ws();
        if (s[i] !== '"') return;
        const key = str();
        const p = join(path, key);
        if (seen.has(key)) out.push(p);
        seen.add(key);
        ws();
        if (s[i] !== ':') return;
        i++;
        value(p);
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') { i++; return; }
        return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') { i++; return; }
      let n = 0;
      while (i < s.length) {
        value(`${path}[${n++}]`);
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ']') { i++; return; }
        return;
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < s.length && !',}] \t\n\r'.includes(s[i])) i++;
    }
  };
  value('');
  return out;
}

/** The message upstream puts in a 400 (or warnings) for strict decoding failures. */
export function strictDecodingMessage(unknown: string[], duplicates: string[]): string {
  const parts = [...unknown.map((f) => `unknown field "${f}"`), ...duplicates.map((f) => `duplicate field "${f}"`)];
  return `strict decoding error: ${parts.join(', ')}`;
}

export interface TypeMismatch {
  field: string;
  expected: string;
  got: string;
}

function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/** Values whose JSON type does not fit the schema (null is accepted everywhere, as Go does). */
export function validateValueTypes(obj: unknown, schema: SchemaNode | undefined): TypeMismatch[] {
  const out: TypeMismatch[] = [];
  const walk = (v: unknown, node: SchemaNode | undefined, path: string): void => {
    if (!node || v === null || v === undefined || acceptsAnything(node)) return;
    const got = jsonTypeName(v);
    if (node.$ref && SCALAR_REFS.has(node.$ref)) {
      if (got !== 'string' && got !== 'number') out.push({ field: path, expected: 'string or number', got });
      return;
    }
    const r = resolve(node);
    if (!r) return;
    if (r.format === 'int-or-string') {
      if (got !== 'string' && got !== 'number') out.push({ field: path, expected: 'string or number', got });
      return;
    }
    const type = r.type ?? (r.properties || r.additionalProperties ? 'object' : r.items ? 'array' : undefined);
    switch (type) {
      case 'string':
        if (got !== 'string') out.push({ field: path, expected: 'string', got });
        return;
      case 'integer':
        if (got !== 'number' || !Number.isInteger(v)) out.push({ field: path, expected: 'integer', got });
        return;
      case 'number':
        if (got !== 'number') out.push({ field: path, expected: 'number', got });
        return;
      case 'boolean':
        if (got !== 'boolean') out.push({ field: path, expected: 'boolean', got });
        return;
      case 'array':
        if (!Array.isArray(v)) { out.push({ field: path, expected: 'array', got }); return; }
        v.forEach((item, i) => walk(item, r.items, `${path}[${i}]`));
        return;
      case 'object':
        if (!isPlainObject(v)) { out.push({ field: path, expected: 'object', got }); return; }
        for (const [k, val] of Object.entries(v)) {
          const p = r.properties?.[k] ?? (isPlainObject(r.additionalProperties) ? r.additionalProperties as SchemaNode : undefined);
          walk(val, p, join(path, k));
        }
        return;
      default:
        return;
    }
  };
  walk(obj, schema, '');
  return out;
}

/** A short decoding error text for a type mismatch, in the spirit of Go's json errors. */
export function typeMismatchMessage(m: TypeMismatch): string {
  return `json: cannot unmarshal ${m.got} into Go struct field .${m.field} of type ${m.expected}`;
}
