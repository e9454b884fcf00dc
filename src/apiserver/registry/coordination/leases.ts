/** Leases (coordination.k8s.io/v1, upstream ValidateLease). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, num } from '../util.js';

function validateLease(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const d = num(spec.leaseDurationSeconds);
  if (d !== undefined && d <= 0) errs.push(invalidField('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  errs.push(...validateNonnegativeField(num(spec.leaseTransitions), 'spec.leaseTransitions'));
  return errs;
}

export const leaseStrategy: Strategy = {
  validate: validateLease,
  validateUpdate: validateLease,
  generationFields: [],
};
