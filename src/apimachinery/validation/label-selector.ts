/** Validation of metav1.LabelSelector values embedded in objects. */
import type { FieldError } from '../errors.js';
import { isPlainObject } from '../object.js';
import { child, forbidden, index, invalidEach, invalidField, required } from './field.js';
import { isValidLabelValue } from './names.js';
import { validateLabelName, validateLabels } from './object-meta.js';

export interface LabelSelectorValidationOptions {
  allowInvalidLabelValueInSelector?: boolean;
}

export function validateLabelSelector(sel: unknown, field: string, opts: LabelSelectorValidationOptions = {}): FieldError[] {
  if (!isPlainObject(sel)) return [];
  const errs: FieldError[] = [];
  if (isPlainObject(sel.matchLabels)) errs.push(...validateLabels(sel.matchLabels as Record<string, string>, child(field, 'matchLabels')));
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((raw: unknown, i: number) => {
    const p = index(child(field, 'matchExpressions'), i);
    const e = isPlainObject(raw) ? raw : {};
    const values = Array.isArray(e.values) ? (e.values as string[]) : [];
    switch (e.operator) {
      case 'In': case 'NotIn':
        if (values.length === 0) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists': case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalidField(child(p, 'operator'), e.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(typeof e.key === 'string' ? e.key : '', child(p, 'key')));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => errs.push(...invalidEach(index(child(p, 'values'), j), v, isValidLabelValue(String(v)))));
    }
  });
  return errs;
}
