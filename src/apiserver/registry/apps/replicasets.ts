/** ReplicaSets (upstream SetDefaults_ReplicaSet + ValidateReplicaSet). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, setDefault } from '../util.js';
import { statusSubresource, validateNotAboveReplicas, validateStatusCounts } from '../status.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import { validateSelectorAndTemplate, validateSelectorImmutable } from '../workload.js';

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
  ...statusSubresource({ replicas: 0 }),
  validate: validateReplicaSet,
  validateUpdate(obj, old) {
    return [...validateReplicaSet(obj), ...validateSelectorImmutable(obj, old)];
  },
  validateStatusUpdate(obj) {
    return [
      ...validateStatusCounts(obj, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']),
      ...validateNotAboveReplicas(obj, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']),
    ];
  },
  selectableFields(obj) {
    return { 'status.replicas': String(num(asObj(obj.status)?.replicas) ?? 0) };
  },
};
