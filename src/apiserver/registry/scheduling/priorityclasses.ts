/** PriorityClasses (scheduling.k8s.io/v1, upstream ValidatePriorityClass / ...Update). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { forbidden, notSupported } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { num } from '../util.js';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

function validatePriorityClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const value = num(obj.value) ?? 0;
  if (name in SYSTEM_PRIORITY_CLASSES) {
    if (SYSTEM_PRIORITY_CLASSES[name] !== value) {
      errs.push(forbidden('metadata.name', `${name} is a system priority class and must have value ${SYSTEM_PRIORITY_CLASSES[name]}`));
    }
  } else if (name.startsWith('system-')) {
    errs.push(forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const pp = obj.preemptionPolicy;
  if (pp !== undefined && pp !== 'PreemptLowerPriority' && pp !== 'Never') {
    errs.push(notSupported('preemptionPolicy', pp, ['Never', 'PreemptLowerPriority']));
  }
  return errs;
}

export const priorityClassStrategy: Strategy = {
  defaults(obj) {
    if (!obj.preemptionPolicy) obj.preemptionPolicy = 'PreemptLowerPriority';
  },
  validate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = validatePriorityClass(obj);
    if (obj.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if (obj.preemptionPolicy !== old.preemptionPolicy) errs.push(forbidden('preemptionPolicy', 'may not be changed in an update.'));
    return errs;
  },
  generationFields: [],
};
