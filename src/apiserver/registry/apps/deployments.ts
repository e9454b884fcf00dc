/** Deployments (upstream pkg/apis/apps/v1/defaults.go, pkg/registry/apps/deployment/strategy.go). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { child, forbidden, invalidField, notSupported, required, validateNonnegativeField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, keepSpec, num, setDefault } from '../util.js';
import { validateNotAboveReplicas, validateStatusCounts } from '../status.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import {
  bumpGenerationOnAnnotations, intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent,
  validateSelectorAndTemplate, validateSelectorImmutable,
} from '../workload.js';

export function defaultDeployment(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = ensureObj(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

function validateStrategy(strategy: Record<string, unknown>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        errs.push(forbidden(child(field, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      const ru = asObj(strategy.rollingUpdate);
      if (!ru) {
        errs.push(required(child(field, 'rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const p = child(field, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(invalidField(child(p, 'maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      break;
    }
    default:
      errs.push(notSupported(field, strategy, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeployment(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateNonnegativeField(num(spec.replicas), 'spec.replicas'));
  errs.push(...validateSelectorAndTemplate(spec, 'spec', {
    kindWord: 'deployment', restartPolicies: ['Always'], forbidActiveDeadline: 'activeDeadlineSeconds in ReplicaSet is not Supported',
  }));
  errs.push(...validateStrategy(asObj(spec.strategy) ?? {}, 'spec.strategy'));
  const minReady = num(spec.minReadySeconds) ?? 0;
  errs.push(...validateNonnegativeField(minReady, 'spec.minReadySeconds'));
  errs.push(...validateNonnegativeField(num(spec.revisionHistoryLimit), 'spec.revisionHistoryLimit'));
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...validateNonnegativeField(pds, 'spec.progressDeadlineSeconds'));
    if (pds <= minReady) errs.push(invalidField('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export const deploymentStrategy: Strategy = {
  defaults: defaultDeployment,
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = deepCopy(old.status);
    if (obj.status === undefined) delete obj.status;
    bumpGenerationOnAnnotations(obj, old);
  },
  prepareForStatusUpdate(obj, old) {
    keepSpec(obj, old);
    obj.metadata.labels = old.metadata.labels;
    if (obj.metadata.labels === undefined) delete obj.metadata.labels;
  },
  validate: validateDeployment,
  validateUpdate(obj, old) {
    return [...validateDeployment(obj), ...validateSelectorImmutable(obj, old)];
  },
  validateStatusUpdate(obj) {
    return [
      ...validateStatusCounts(obj, [
        'observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount',
      ]),
      ...validateNotAboveReplicas(obj, ['availableReplicas', 'readyReplicas']),
    ];
  },
};
