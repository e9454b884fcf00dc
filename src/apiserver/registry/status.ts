/** The status subresource: prepare hooks and the checks shared by status validations. */
import type { FieldError } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import { invalidField, validateNonnegativeField } from '../../apimachinery/validation/index.js';
import type { Strategy } from './strategy.js';
import type { Obj } from './util.js';
import { asObj, keepSpec, keepStatus, num } from './util.js';

/**
 * The prepare hooks of a resource with a status subresource: a create starts from a fresh copy of
 * `initialStatus`, a main-resource update keeps the old status, a status update keeps the old spec.
 * Spread into a strategy; a strategy that needs more in one hook writes that hook itself.
 */
export function statusSubresource(
  initialStatus: Obj,
): Required<Pick<Strategy, 'prepareForCreate' | 'prepareForUpdate' | 'prepareForStatusUpdate'>> {
  return {
    prepareForCreate(obj) {
      obj.status = deepCopy(initialStatus);
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
  };
}

/** Each named `status` counter, when set, is not negative (in the order given). */
export function validateStatusCounts(obj: KubeObject, fields: readonly string[]): FieldError[] {
  const status = asObj(obj.status) ?? {};
  const errs: FieldError[] = [];
  for (const f of fields) errs.push(...validateNonnegativeField(num(status[f]), `status.${f}`));
  return errs;
}

/** Each named `status` counter is at most `status.replicas` (unset counts as 0). */
export function validateNotAboveReplicas(obj: KubeObject, fields: readonly string[]): FieldError[] {
  const status = asObj(obj.status) ?? {};
  const replicas = num(status.replicas) ?? 0;
  const errs: FieldError[] = [];
  for (const f of fields) {
    if ((num(status[f]) ?? 0) > replicas) errs.push(invalidField(`status.${f}`, status[f], 'cannot be greater than status.replicas'));
  }
  return errs;
}
