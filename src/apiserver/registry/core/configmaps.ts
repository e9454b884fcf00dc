/** ConfigMaps (upstream ValidateConfigMap / ValidateConfigMapUpdate). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepEqual, forbidden, invalidEach, invalidField, isConfigMapKey, key, tooLong } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, str } from '../util.js';

/** Upstream core.MaxSecretSize, shared by ConfigMaps and Secrets. */
export const MAX_SECRET_SIZE = 1024 * 1024;
export const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

/** An empty map is the same as no map (Go decodes both to an empty map). */
export function normalizedMap(v: unknown): Record<string, unknown> | undefined {
  const o = asObj(v);
  return o && Object.keys(o).length ? o : undefined;
}

/** Data/binaryData frozen once `immutable: true`; `immutable` itself cannot be unset. */
export function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
  for (const f of fields) {
    if (!deepEqual(normalizedMap(obj[f]), normalizedMap(old[f]))) errs.push(forbidden(f, IMMUTABLE_WHEN_SET));
  }
  return errs;
}

function validateConfigMap(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = asObj(obj.data) ?? {};
  const binary = asObj(obj.binaryData) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...invalidEach(key('data', k), k, isConfigMapKey(k)));
    if (k in binary) errs.push(invalidField(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...invalidEach(key('binaryData', k), k, isConfigMapKey(k)));
    if (k in data) errs.push(invalidField(key('binaryData', k), k, 'duplicate of key present in data'));
    total += Buffer.from(str(v), 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export const configMapStrategy: Strategy = {
  validate: validateConfigMap,
  validateUpdate(obj, old) {
    return [...validateImmutableData(obj, old, ['data', 'binaryData']), ...validateConfigMap(obj)];
  },
  generationFields: [],
};
