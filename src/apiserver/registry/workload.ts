/** Helpers shared by workload strategies (selectors vs template labels, int-or-percent). */
import type { FieldError } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { labelSelectorFromObject } from '../../apimachinery/labels.js';
import type { LabelSelectorObject } from '../../apimachinery/labels.js';
import {
  child, deepEqual, forbidden, invalidField, notSupported, required, validateLabelSelector, validateNonnegativeField,
} from '../../apimachinery/validation/index.js';
import { validatePodTemplateSpec } from './core/pod-spec.js';
import type { PodSpecValidationOptions } from './core/pod-spec.js';
import { asObj, strMap } from './util.js';

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/**
 * Selector required and non-empty, valid, and matching the template's labels; then the template.
 * `kindWord` completes upstream's "empty selector is invalid for <kind>".
 */
export function validateSelectorAndTemplate(
  spec: Record<string, unknown>, field: string,
  opts: { kindWord: string; requireSelector?: boolean; restartPolicies?: readonly string[]; forbidActiveDeadline?: string } & PodSpecValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  const sel = asObj(spec.selector);
  if (!sel) {
    if (opts.requireSelector !== false) errs.push(required(child(field, 'selector')));
  } else {
    errs.push(...validateLabelSelector(sel, child(field, 'selector')));
    const n = Object.keys(asObj(sel.matchLabels) ?? {}).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0);
    if (n === 0) errs.push(invalidField(child(field, 'selector'), sel, `empty selector is invalid for ${opts.kindWord}`));
  }
  const template = asObj(spec.template);
  if (!template) {
    errs.push(required(child(field, 'template')));
    return errs;
  }
  const labels = strMap(asObj(template.metadata)?.labels);
  let matches = true;
  try {
    const s = labelSelectorFromObject(sel as LabelSelectorObject | undefined);
    matches = !sel || s.empty || s.matches(labels);
  } catch {
    errs.push(invalidField(child(field, 'selector'), sel, 'invalid label selector'));
  }
  if (!matches) errs.push(invalidField(child(field, 'template', 'metadata', 'labels'), labels, SELECTOR_MISMATCH));
  errs.push(...validatePodTemplateSpec(template, child(field, 'template'), { allowedRestartPolicies: opts.restartPolicies }));
  const ads = asObj(template.spec)?.activeDeadlineSeconds;
  if (opts.forbidActiveDeadline && ads !== undefined && ads !== null) {
    errs.push(forbidden(child(field, 'template', 'spec', 'activeDeadlineSeconds'), opts.forbidActiveDeadline));
  }
  return errs;
}

const PERCENT_RE = /^[0-9]+%$/;
export const PERCENT_FORMAT_ERROR = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** Upstream ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, field: string): FieldError[] {
  if (typeof v === 'string') return PERCENT_RE.test(v) ? [] : [invalidField(field, v, PERCENT_FORMAT_ERROR)];
  if (typeof v === 'number') return validateNonnegativeField(v, field);
  return [];
}

/** Integer value of an int-or-percent for "is it zero / over 100%" checks (percent as its number). */
export function intOrPercentValue(v: unknown): { value: number; percent: boolean } {
  if (typeof v === 'number') return { value: v, percent: false };
  if (typeof v === 'string' && PERCENT_RE.test(v)) return { value: Number(v.slice(0, -1)), percent: true };
  return { value: 0, percent: false };
}

export function isNotMoreThan100Percent(v: unknown, field: string): FieldError[] {
  const { value, percent } = intOrPercentValue(v);
  return percent && value > 100 ? [invalidField(field, v, 'must not be greater than 100%')] : [];
}

export function validateEnum(v: unknown, field: string, valid: readonly string[]): FieldError[] {
  if (v === undefined || v === '') return [required(field)];
  return valid.includes(String(v)) ? [] : [notSupported(field, v, valid)];
}

/** `spec.selector` may not change after creation (apps/v1, batch). */
export function validateSelectorImmutable(obj: KubeObject, old: KubeObject): FieldError[] {
  const sel = asObj(obj.spec)?.selector;
  const oldSel = asObj(old.spec)?.selector;
  if (deepEqual(sel, oldSel)) return [];
  const selObj = asObj(sel);
  if (!selObj) return [invalidField('spec.selector', sel ?? null, 'field is immutable')];
  // Upstream prints the selector with Go's %#v; the value is pre-rendered into the detail.
  return [{ type: 'FieldValueInvalid', field: 'spec.selector', detail: `${goLabelSelector(selObj)}: field is immutable` }];
}

/** A label selector as Go's `%#v` prints a `v1.LabelSelector` (the famous "field is immutable" text). */
export function goLabelSelector(sel: Record<string, unknown>): string {
  const q = (s: unknown): string => JSON.stringify(String(s));
  const strings = (v: unknown): string => (Array.isArray(v) ? `[]string{${v.map(q).join(', ')}}` : '[]string(nil)');
  const labels = asObj(sel.matchLabels);
  const matchLabels = labels
    ? `map[string]string{${Object.keys(labels).sort().map((k) => `${q(k)}:${q(labels[k])}`).join(', ')}}`
    : 'map[string]string(nil)';
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions.map((e) => {
      const r = asObj(e) ?? {};
      return `v1.LabelSelectorRequirement{Key:${q(r.key ?? '')}, Operator:${q(r.operator ?? '')}, Values:${strings(r.values)}}`;
    }).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${matchLabels}, MatchExpressions:${exprs}}`;
}

/** Deployments also bump generation on annotation changes (annotations are copied to ReplicaSets). */
export function bumpGenerationOnAnnotations(obj: KubeObject, old: KubeObject): void {
  if (deepEqual(obj.spec, old.spec) && !deepEqual(obj.metadata.annotations ?? {}, old.metadata.annotations ?? {})) {
    obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
  }
}
