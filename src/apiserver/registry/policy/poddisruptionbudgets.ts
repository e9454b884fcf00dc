/** PodDisruptionBudgets (policy/v1, upstream ValidatePodDisruptionBudget). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField, notSupported, validateLabelSelector } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj } from '../util.js';
import { statusSubresource, validateStatusCounts } from '../status.js';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from '../workload.js';

function validatePDB(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const hasMin = spec.minAvailable !== undefined && spec.minAvailable !== null;
  const hasMax = spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
  if (hasMin && hasMax) errs.push(invalidField('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  if (hasMin) {
    errs.push(...validatePositiveIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
    errs.push(...isNotMoreThan100Percent(spec.minAvailable, 'spec.minAvailable'));
  }
  if (hasMax) {
    errs.push(...validatePositiveIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
    errs.push(...isNotMoreThan100Percent(spec.maxUnavailable, 'spec.maxUnavailable'));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector', { allowInvalidLabelValueInSelector: true }));
  const uhp = spec.unhealthyPodEvictionPolicy;
  if (uhp !== undefined && uhp !== null && uhp !== 'IfHealthyBudget' && uhp !== 'AlwaysAllow') {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', uhp, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export const podDisruptionBudgetStrategy: Strategy = {
  ...statusSubresource({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  validate: validatePDB,
  validateUpdate: validatePDB,
  validateStatusUpdate(obj) {
    return validateStatusCounts(obj, ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']);
  },
};
