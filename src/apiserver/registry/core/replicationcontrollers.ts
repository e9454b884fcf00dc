/** ReplicationControllers (upstream SetDefaults_ReplicationController + ValidateReplicationController). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { selectorFromSet } from '../../../apimachinery/labels.js';
import { invalidField, required, validateLabels, validateNonnegativeField, child } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, setDefault, strMap } from '../util.js';
import { statusSubresource, validateStatusCounts } from '../status.js';
import { defaultPodTemplate, validatePodTemplateSpec } from './pod-spec.js';
import { SELECTOR_MISMATCH } from '../workload.js';

function validateRC(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec) ?? {};
  errs.push(...validateNonnegativeField(num(spec.replicas), 'spec.replicas'));
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds), 'spec.minReadySeconds'));
  const selector = strMap(spec.selector);
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  else errs.push(...validateLabels(selector, 'spec.selector'));
  const template = asObj(spec.template);
  if (!template) {
    errs.push(required('spec.template'));
  } else {
    const labels = strMap(asObj(template.metadata)?.labels);
    if (Object.keys(selector).length && !selectorFromSet(selector).matches(labels)) {
      errs.push(invalidField('spec.template.metadata.labels', labels, SELECTOR_MISMATCH));
    }
    errs.push(...validatePodTemplateSpec(template, 'spec.template', { allowedRestartPolicies: ['Always'] }));
    const ads = asObj(template.spec)?.activeDeadlineSeconds;
    if (ads !== undefined) errs.push(invalidField(child('spec.template.spec', 'activeDeadlineSeconds'), ads, 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

export const replicationControllerStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    const template = asObj(spec.template);
    const labels = strMap(asObj(template?.metadata)?.labels);
    if (Object.keys(labels).length) {
      if (!spec.selector || Object.keys(strMap(spec.selector)).length === 0) spec.selector = { ...labels };
      if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0) obj.metadata.labels = { ...labels };
    }
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },
  ...statusSubresource({ replicas: 0 }),
  validate: validateRC,
  validateUpdate: validateRC,
  validateStatusUpdate(obj) {
    return validateStatusCounts(obj, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']);
  },
  selectableFields(obj) {
    return { 'status.replicas': String(num(asObj(obj.status)?.replicas) ?? 0) };
  },
};
