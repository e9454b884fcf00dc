/** Nodes (upstream pkg/registry/core/node/strategy.go). Status may be set on create. */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { index, child, invalidEach, isValidCIDR, notSupported, required, invalidField, isQualifiedName, validateImmutableField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, objArray, str, keepSpec, keepStatus, canonicalizeResourceList } from '../util.js';

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

function validateNode(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec) ?? {};
  const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs.map(str) : [];
  cidrs.forEach((c, i) => errs.push(...invalidEach(index('spec.podCIDRs', i), c, isValidCIDR(c))));
  if (spec.podCIDR !== undefined && str(spec.podCIDR)) errs.push(...invalidEach('spec.podCIDR', spec.podCIDR, isValidCIDR(str(spec.podCIDR))));
  objArray(spec.taints).forEach((t, i) => {
    const p = index('spec.taints', i);
    errs.push(...invalidEach(child(p, 'key'), str(t.key), isQualifiedName(str(t.key))));
    const effect = str(t.effect);
    if (!effect) errs.push(required(child(p, 'effect')));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
  });
  return errs;
}

export const nodeStrategy: Strategy = {
  defaults(obj) {
    const status = asObj(obj.status);
    canonicalizeResourceList(status?.capacity);
    canonicalizeResourceList(status?.allocatable);
    if (status && status.allocatable === undefined && asObj(status.capacity)) status.allocatable = deepCopy(status.capacity);
  },
  prepareForCreate(obj) {
    ensureObj(obj, 'spec');
  },
  prepareForUpdate: keepStatus,
  prepareForStatusUpdate: keepSpec,
  validate: validateNode,
  validateUpdate(obj, old) {
    const errs = validateNode(obj);
    const spec = asObj(obj.spec) ?? {};
    const oldSpec = asObj(old.spec) ?? {};
    // podCIDR(s) may be set once.
    if (str(oldSpec.podCIDR) && spec.podCIDR !== oldSpec.podCIDR) {
      errs.push(invalidField('spec.podCIDRs', spec.podCIDRs ?? [], 'node updates may not change podCIDR except from "" to valid'));
    }
    if (str(oldSpec.providerID) && spec.providerID !== oldSpec.providerID) {
      errs.push(...validateImmutableField(spec.providerID, oldSpec.providerID, 'spec.providerID'));
    }
    return errs;
  },
  selectableFields(obj) {
    return { 'spec.unschedulable': String(asObj(obj.spec)?.unschedulable === true) };
  },
  generationFields: [],
};
