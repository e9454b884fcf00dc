/** DaemonSets (upstream SetDefaults_DaemonSet + ValidateDaemonSet). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField, notSupported, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, setDefault } from '../util.js';
import { statusSubresource, validateStatusCounts } from '../status.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import {
  intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent, validateSelectorAndTemplate, validateSelectorImmutable,
} from '../workload.js';

export function defaultDaemonSet(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  const us = ensureObj(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensureObj(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

function validateDaemonSet(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs = validateSelectorAndTemplate(spec, 'spec', { kindWord: 'daemonset', restartPolicies: ['Always'] });
  const ads = asObj(asObj(spec.template)?.spec)?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    errs.push(invalidField('spec.template.spec.activeDeadlineSeconds', ads, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds), 'spec.minReadySeconds'));
  errs.push(...validateNonnegativeField(num(spec.revisionHistoryLimit), 'spec.revisionHistoryLimit'));
  const us = asObj(spec.updateStrategy) ?? {};
  if (us.type === 'RollingUpdate') {
    const ru = asObj(us.rollingUpdate) ?? {};
    const p = 'spec.updateStrategy.rollingUpdate';
    errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
    errs.push(...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
    const mu = intOrPercentValue(ru.maxUnavailable).value;
    const ms = intOrPercentValue(ru.maxSurge).value;
    if (mu === 0 && ms === 0) errs.push(invalidField(`${p}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    if (mu !== 0 && ms !== 0) errs.push(invalidField(`${p}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
    errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
    errs.push(...isNotMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`));
  } else if (us.type !== 'OnDelete') {
    errs.push(notSupported('spec.updateStrategy.type', us.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  return errs;
}

export const daemonSetStrategy: Strategy = {
  defaults: defaultDaemonSet,
  ...statusSubresource({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  validate: validateDaemonSet,
  validateUpdate(obj, old) {
    return [...validateDaemonSet(obj), ...validateSelectorImmutable(obj, old)];
  },
  validateStatusUpdate(obj) {
    return validateStatusCounts(obj, ['numberMisscheduled', 'currentNumberScheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']);
  },
};
