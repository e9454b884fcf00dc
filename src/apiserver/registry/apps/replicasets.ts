/** ReplicaSets (upstream SetDefaults_ReplicaSet + ValidateReplicaSet). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { invalidField, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, setDefault, keepStatus } from '../util.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import { validateSelectorAndTemplate, validateSelectorImmutable } from '../workload.js';
import { validateWorkloadStatus } from './deployments.js';

function validateReplicaSet(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  return [
    ...validateNonnegativeField(num(spec.replicas), 'spec.replicas'),
    ...validateNonnegativeField(num(spec.minReadySeconds), 'spec.minReadySeconds'),
    ...validateSelectorAndTemplate(spec, 'spec', {
      kindWord: 'deployment', restartPolicies: ['Always'], forbidActiveDeadline: 'activeDeadlineSeconds in ReplicaSet is not Supported',
    }),
  ];
}

export const replicaSetStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
  },
  prepareForStatusUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  validate: validateReplicaSet,
  validateUpdate(obj, old) {
    return [...validateReplicaSet(obj), ...validateSelectorImmutable(obj, old)];
  },
  validateStatusUpdate(obj) {
    const errs = validateWorkloadStatus(obj, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']);
    const status = asObj(obj.status) ?? {};
    for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) {
      if ((num(status[f]) ?? 0) > (num(status.replicas) ?? 0)) errs.push(invalidField(`status.${f}`, status[f], 'cannot be greater than status.replicas'));
    }
    return errs;
  },
  selectableFields(obj) {
    return { 'status.replicas': String(num(asObj(obj.status)?.replicas) ?? 0) };
  },
};
