/** NetworkPolicies (upstream SetDefaults_NetworkPolicy + basic validation). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { index, notSupported, validateLabelSelector } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, objArray, setDefault } from '../util.js';

function validateNetworkPolicy(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  (Array.isArray(spec.policyTypes) ? spec.policyTypes : []).forEach((t: unknown, i: number) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(index('spec.policyTypes', i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

export const networkPolicyStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    ensureObj(spec, 'podSelector');
    for (const dir of ['ingress', 'egress']) {
      for (const rule of objArray(spec[dir])) for (const p of objArray(rule.ports)) setDefault(p, 'protocol', 'TCP');
    }
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = objArray(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
    }
  },
  validate: validateNetworkPolicy,
  validateUpdate: validateNetworkPolicy,
};
