/** Drops fields the schema does not know (what decoding into typed structs does upstream). */
import { isPlainObject } from '../../apimachinery/object.js';
import type { SchemaNode } from '../../apimachinery/schema.js';
import { isIntOrString, resolve } from '../../apimachinery/schema.js';

const preserve = new Set([
  '#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension',
  '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
]);

export function pruneFields(value: unknown, schema: SchemaNode | undefined): void {
  if (!schema || isIntOrString(schema) || (schema.$ref && preserve.has(schema.$ref))) return;
  const s = resolve(schema);
  if (!s) return;
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) pruneFields(v, s.items);
    return;
  }
  if (!isPlainObject(value)) return;
  if (s.properties) {
    for (const key of Object.keys(value)) {
      if (key === 'apiVersion' || key === 'kind') continue;
      const p = s.properties[key];
      if (!p) delete value[key];
      else pruneFields(value[key], p);
    }
  } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    for (const key of Object.keys(value)) pruneFields(value[key], s.additionalProperties);
  }
}
