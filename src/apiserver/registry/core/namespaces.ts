/** Namespaces (upstream pkg/registry/core/namespace/strategy.go). */
import type { FieldError } from '../../../apimachinery/errors.js';
import { index, invalidEach, invalidField, isQualifiedName } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, keepFields, str } from '../util.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const STANDARD_FINALIZERS = ['kubernetes'];

function validateFinalizers(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(list) ? list : []).forEach((f: unknown, i: number) => {
    const name = str(f);
    const p = index(field, i);
    if (name.includes('/')) errs.push(...invalidEach(p, name, isQualifiedName(name)));
    else if (!STANDARD_FINALIZERS.includes(name)) errs.push(invalidField(p, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  });
  return errs;
}

export const namespaceStrategy: Strategy = {
  defaults(obj) {
    if (obj.metadata.name) {
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: obj.metadata.name };
    }
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    const spec = ensureObj(obj, 'spec');
    const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.map(str) : [];
    if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
    spec.finalizers = finalizers;
  },
  prepareForUpdate(obj, old) {
    const spec = ensureObj(obj, 'spec');
    const oldFinalizers = asObj(old.spec)?.finalizers;
    if (oldFinalizers === undefined) delete spec.finalizers;
    else spec.finalizers = oldFinalizers;
    keepFields(obj, old, ['status']);
  },
  prepareForStatusUpdate(obj, old) {
    keepFields(obj, old, ['spec']);
  },
  validate(obj) {
    return validateFinalizers(asObj(obj.spec)?.finalizers, 'spec.finalizers');
  },
  validateUpdate(obj) {
    return validateFinalizers(asObj(obj.spec)?.finalizers, 'spec.finalizers');
  },
  validateStatusUpdate(obj, old) {
    const errs: FieldError[] = [];
    const phase = str(asObj(obj.status)?.phase);
    if (!old.metadata.deletionTimestamp && phase && phase !== 'Active') {
      errs.push(invalidField('status.Phase', phase, 'may only be \'Active\' if `deletionTimestamp` is empty'));
    }
    if (old.metadata.deletionTimestamp && phase && phase !== 'Terminating') {
      errs.push(invalidField('status.Phase', phase, 'may only be in terminating status if `deletionTimestamp` is not empty'));
    }
    return errs;
  },
  selectableFields(obj) {
    return { 'status.phase': str(asObj(obj.status)?.phase) };
  },
  nameValidation: 'label',
  generationFields: [],
};
