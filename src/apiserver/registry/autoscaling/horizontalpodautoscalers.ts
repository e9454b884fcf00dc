/** HorizontalPodAutoscalers (autoscaling/v2 defaults; v1 objects get minReplicas only). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { invalidField, required } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, num, setDefault, str } from '../util.js';
import { statusSubresource } from '../status.js';

export const DEFAULT_CPU_UTILIZATION = 80;

function scalingRules(rules: unknown, up: boolean): Obj {
  const r: Obj = asObj(rules) ? { ...(rules as Obj) } : {};
  if (up) setDefault(r, 'stabilizationWindowSeconds', 0);
  setDefault(r, 'selectPolicy', 'Max');
  if (!Array.isArray(r.policies)) {
    r.policies = up
      ? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
  return r;
}

function validateHPA(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const ref = asObj(spec.scaleTargetRef) ?? {};
  if (!str(ref.kind)) errs.push(required('spec.scaleTargetRef.kind'));
  if (!str(ref.name)) errs.push(required('spec.scaleTargetRef.name'));
  const min = num(spec.minReplicas);
  const max = num(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1) errs.push(invalidField('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalidField('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(invalidField('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

export const horizontalPodAutoscalerStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    setDefault(spec, 'minReplicas', 1);
    if (obj.apiVersion === 'autoscaling/v1' || spec.targetCPUUtilizationPercentage !== undefined) return;
    if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
    }
    const behavior = asObj(spec.behavior);
    if (behavior) {
      behavior.scaleUp = scalingRules(behavior.scaleUp, true);
      behavior.scaleDown = scalingRules(behavior.scaleDown, false);
    }
  },
  ...statusSubresource({ desiredReplicas: 0 }),
  validate: validateHPA,
  validateUpdate: validateHPA,
};
