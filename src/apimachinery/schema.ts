/**
 * Lookups into the generated OpenAPI definitions: resolve `$ref`s, find the definition for a
 * group/version/kind, and read the per-field metadata (patch strategy, merge key, list type).
 */
import { createRequire } from 'node:module';

export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  $ref?: string;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  enum?: unknown[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-unions'?: unknown[];
}

const require = createRequire(import.meta.url);
const definitions = require('./generated/definitions.json') as Record<string, SchemaNode>;

export function allDefinitions(): Readonly<Record<string, SchemaNode>> {
  return definitions;
}

export function getDefinition(name: string): SchemaNode | undefined {
  return definitions[name];
}

/** Follows `$ref` (possibly repeatedly) to the referenced definition. */
export function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let i = 0; n && n.$ref && i < 10; i++) {
    n = definitions[n.$ref.replace('#/definitions/', '')];
  }
  return n;
}

const byGvk = new Map<string, string>();
for (const [name, def] of Object.entries(definitions)) {
  for (const g of def['x-kubernetes-group-version-kind'] ?? []) {
    const key = `${g.group}/${g.version}/${g.kind}`;
    // Prefer the definition under io.k8s.api.* over meta types reused across groups.
    if (!byGvk.has(key) || name.startsWith('io.k8s.api.')) byGvk.set(key, name);
  }
}

export function definitionNameForKind(group: string, version: string, kind: string): string | undefined {
  return byGvk.get(`${group}/${version}/${kind}`);
}

export function definitionForKind(group: string, version: string, kind: string): SchemaNode | undefined {
  const n = definitionNameForKind(group, version, kind);
  return n ? definitions[n] : undefined;
}

/** Schema of a named property of an object schema (refs resolved). */
export function propertySchema(node: SchemaNode | undefined, prop: string): SchemaNode | undefined {
  const r = resolve(node);
  if (!r) return undefined;
  const p = r.properties?.[prop];
  if (p) return p;
  if (r.additionalProperties && typeof r.additionalProperties === 'object') return r.additionalProperties;
  return undefined;
}

/** True when the node is IntOrString / Quantity style (string or number accepted). */
export function isIntOrString(node: SchemaNode | undefined): boolean {
  return node?.format === 'int-or-string' || node?.$ref === '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString'
    || node?.$ref === '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity';
}
