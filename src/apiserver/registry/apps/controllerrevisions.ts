/** ControllerRevisions (upstream ValidateControllerRevision / ...Update). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { required, validateImmutableField, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { num } from '../util.js';

function validateRevision(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data'));
  errs.push(...validateNonnegativeField(num(obj.revision), 'revision'));
  return errs;
}

export const controllerRevisionStrategy: Strategy = {
  validate: validateRevision,
  validateUpdate(obj, old) {
    return [...validateRevision(obj), ...validateImmutableField(obj.data, old.data, 'data')];
  },
  generationFields: [],
};
