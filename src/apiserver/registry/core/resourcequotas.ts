/** ResourceQuotas (upstream ValidateResourceQuota: quantities and scopes). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { tryParseQuantity } from '../../../apimachinery/quantity.js';
import { index, invalidEach, invalidField, isQualifiedName, key, notSupported } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, canonicalizeResourceList } from '../util.js';
import { statusSubresource } from '../status.js';

const SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];

/** Validates a ResourceList (`hard`, `used`, `limits`, ...). */
export function validateResourceList(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, v] of Object.entries(asObj(list) ?? {})) {
    const p = key(field, name);
    errs.push(...invalidEach(p, name, isQualifiedName(name)));
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
    if (!q) errs.push(invalidField(p, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    else if (q.sign() < 0) errs.push(invalidField(p, q.toString(), 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateQuota(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs = validateResourceList(spec.hard, 'spec.hard');
  (Array.isArray(spec.scopes) ? spec.scopes : []).forEach((s: unknown, i: number) => {
    if (!SCOPES.includes(String(s))) errs.push(notSupported(index('spec.scopes', i), s, SCOPES));
  });
  return errs;
}

export const resourceQuotaStrategy: Strategy = {
  defaults(obj) {
    canonicalizeResourceList(asObj(obj.spec)?.hard);
    const status = asObj(obj.status);
    canonicalizeResourceList(status?.hard);
    canonicalizeResourceList(status?.used);
  },
  ...statusSubresource({}),
  validate: validateQuota,
  validateUpdate: validateQuota,
  validateStatusUpdate(obj) {
    const status = asObj(obj.status) ?? {};
    return [...validateResourceList(status.hard, 'status.hard'), ...validateResourceList(status.used, 'status.used')];
  },
  generationFields: [],
};
