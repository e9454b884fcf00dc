/**
 * The first JSON type mismatch in a request body, worded as Go's encoding/json reports it when
 * the API server decodes into the Go type:
 *
 *   json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
 *
 * `<Struct>` is the innermost Go struct holding the field, the path lists the JSON names of the
 * struct fields from the root (map keys and list indexes are not part of it), and the type is the
 * Go type expected there. Types with their own JSON decoding (Time, Quantity, IntOrString,
 * RawExtension, ...) are not checked here: their errors read differently.
 */
import { isPlainObject } from './object.js';
import { getDefinition } from './schema.js';
import type { SchemaNode } from './schema.js';

const CUSTOM_DECODERS = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Duration',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
]);

const refNames = new Map<string, string>();

function refName(node: SchemaNode): string | undefined {
  const ref = node.$ref;
  if (ref === undefined) return undefined;
  let name = refNames.get(ref);
  if (name === undefined) {
    name = ref.replace('#/definitions/', '');
    refNames.set(ref, name);
  }
  return name;
}

/** `io.k8s.api.apps.v1.DeploymentSpec` → `DeploymentSpec`. */
function shortName(def: string): string {
  return def.slice(def.lastIndexOf('.') + 1);
}

/** `io.k8s.api.apps.v1.DeploymentSpec` → `v1.DeploymentSpec` (Go's package-qualified type name). */
function goTypeName(def: string): string {
  const parts = def.split('.');
  return parts.slice(-2).join('.');
}

function goType(node: SchemaNode | undefined): string {
  if (!node) return 'interface {}';
  const ref = refName(node);
  if (ref) return goTypeName(ref);
  switch (node.type) {
    case 'string': return node.format === 'byte' ? '[]uint8' : 'string';
    case 'integer': return node.format === 'int64' ? 'int64' : node.format === 'int32' ? 'int32' : 'int';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
    case 'array': return `[]${goType(node.items)}`;
    case 'object':
      return typeof node.additionalProperties === 'object' ? `map[string]${goType(node.additionalProperties)}` : 'map[string]interface {}';
    default: return 'interface {}';
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function message(got: string, struct: string, path: string, type: string): string {
  return `json: cannot unmarshal ${got} into Go struct field ${struct}.${path} of type ${type}`;
}

function walk(v: unknown, node: SchemaNode | undefined, struct: string, path: string): string | undefined {
  if (v === null || v === undefined || !node) return undefined;
  const ref = refName(node);
  if (ref) {
    if (CUSTOM_DECODERS.has(ref)) return undefined;
    const def = getDefinition(ref);
    if (!def) return undefined;
    if (def.properties) {
      if (!isPlainObject(v)) return message(jsonKind(v), struct, path, goTypeName(ref));
      return fields(v, def, shortName(ref), path);
    }
    return walk(v, def, struct, path);
  }
  switch (node.type) {
    case 'string':
      return typeof v === 'string' ? undefined : message(jsonKind(v), struct, path, goType(node));
    case 'integer':
      if (typeof v !== 'number') return message(jsonKind(v), struct, path, goType(node));
      return Number.isInteger(v) ? undefined : message(`number ${JSON.stringify(v)}`, struct, path, goType(node));
    case 'number':
    case 'boolean':
      return jsonKind(v) === (node.type === 'number' ? 'number' : 'bool') ? undefined : message(jsonKind(v), struct, path, goType(node));
    case 'array':
      if (!Array.isArray(v)) return message(jsonKind(v), struct, path, goType(node));
      for (const item of v) {
        const e = walk(item, node.items, struct, path);
        if (e) return e;
      }
      return undefined;
    case 'object':
      if (typeof node.additionalProperties !== 'object') return undefined;
      if (!isPlainObject(v)) return message(jsonKind(v), struct, path, goType(node));
      for (const val of Object.values(v)) {
        const e = walk(val, node.additionalProperties, struct, path);
        if (e) return e;
      }
      return undefined;
    default:
      return undefined;
  }
}

function fields(obj: Record<string, unknown>, def: SchemaNode, struct: string, path: string): string | undefined {
  for (const [k, val] of Object.entries(obj)) {
    const p = def.properties?.[k];
    if (!p) continue;
    const e = walk(val, p, struct, path ? `${path}.${k}` : k);
    if (e) return e;
  }
  return undefined;
}

/** Go's decoding error for the first mismatch of `obj` against definition `defName`, if any. */
export function goUnmarshalError(obj: Record<string, unknown>, defName: string | undefined): string | undefined {
  if (!defName) return undefined;
  const def = getDefinition(defName);
  if (!def?.properties) return undefined;
  return fields(obj, def, shortName(defName), '');
}
