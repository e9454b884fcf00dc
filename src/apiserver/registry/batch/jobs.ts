/** Jobs (upstream SetDefaults_Job, pkg/registry/batch/job/strategy.go, ValidateJob). */
import { randomUUID } from 'node:crypto';
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { labelSelectorFromObject } from '../../../apimachinery/labels.js';
import type { LabelSelectorObject } from '../../../apimachinery/labels.js';
import {
  child, deepEqual, invalidField, key, notSupported, required, validateImmutableField, validateLabelSelector,
  validateNonnegativeField,
} from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, num, objArray, setDefault, strMap, keepSpec, keepStatus } from '../util.js';
import { validateStatusCounts } from '../status.js';
import { defaultPodTemplate, validatePodTemplateSpec } from '../core/pod-spec.js';
import { SELECTOR_MISMATCH } from '../workload.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** Defaults of a JobSpec shared with nothing else (CronJob templates are not defaulted this way). */
export function defaultJob(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  const templateLabels = asObj(asObj(asObj(spec.template)?.metadata)?.labels);
  if (templateLabels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  const pfp = asObj(spec.podFailurePolicy);
  for (const rule of objArray(pfp?.rules)) for (const pattern of objArray(rule.onPodConditions)) setDefault(pattern, 'status', 'True');
  setDefault(spec, 'podReplacementPolicy', pfp ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  defaultPodTemplate(spec.template);
}

/** Upstream generateSelector: labels on the template and a controller-uid selector. */
export function generateJobSelector(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  if (spec.manualSelector === true) return;
  const template = ensureObj(spec, 'template');
  const meta = ensureObj(template, 'metadata');
  const labels = ensureObj(meta, 'labels');
  const name = obj.metadata.name ?? '';
  const uid = obj.metadata.uid ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (labels[k] === undefined) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (labels[k] === undefined) labels[k] = uid;
  const selector = ensureObj(spec, 'selector');
  const matchLabels = ensureObj(selector, 'matchLabels');
  if (matchLabels[CONTROLLER_UID_LABEL] === undefined) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

function validateHasLabel(labels: Record<string, string>, field: string, k: string, expected: string): FieldError[] {
  if (!(k in labels)) return [required(key(field, k), expected)];
  return labels[k] !== expected ? [invalidField(key(field, k), labels, `must be '${expected}'`)] : [];
}

function validateGeneratedSelector(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  if (spec.manualSelector === true) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata.uid ?? '';
  if (!uid) errs.push(required('metadata.uid'));
  const labels = strMap(asObj(asObj(spec.template)?.metadata)?.labels);
  const p = 'spec.template.metadata.labels';
  errs.push(...validateHasLabel(labels, p, LEGACY_CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(labels, p, LEGACY_JOB_NAME_LABEL, obj.metadata.name ?? ''));
  errs.push(...validateHasLabel(labels, p, CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(labels, p, JOB_NAME_LABEL, obj.metadata.name ?? ''));
  const sel = asObj(spec.selector);
  if (!deepEqual(sel, { matchLabels: { [CONTROLLER_UID_LABEL]: uid } })) {
    errs.push(invalidField('spec.selector', sel ?? null, '`selector` not auto-generated'));
  }
  return errs;
}

/** Upstream validateJobSpec (also used for CronJob job templates with `requireSelector` false). */
export function validateJobSpec(spec: Obj, field: string, opts: { requireSelector: boolean }): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...validateNonnegativeField(num(spec[f]), child(field, f)));
  }
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && ads <= 0) errs.push(invalidField(child(field, 'activeDeadlineSeconds'), ads, 'must be greater than zero'));
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(notSupported(child(field, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed') {
    if (spec.completions === undefined || spec.completions === null) errs.push(required(child(field, 'completions'), 'when completion mode is Indexed'));
    else if ((num(spec.completions) ?? 0) > 100000) errs.push(invalidField(child(field, 'completions'), spec.completions, 'must be less than or equal to 100000 when completion mode is Indexed'));
  }
  const prp = spec.podReplacementPolicy;
  if (prp !== undefined && prp !== 'TerminatingOrFailed' && prp !== 'Failed') {
    errs.push(notSupported(child(field, 'podReplacementPolicy'), prp, ['TerminatingOrFailed', 'Failed']));
  }
  const sel = asObj(spec.selector);
  if (!sel) {
    if (opts.requireSelector) errs.push(required(child(field, 'selector')));
  } else {
    errs.push(...validateLabelSelector(sel, child(field, 'selector')));
  }
  const template = asObj(spec.template);
  if (!template) {
    errs.push(required(child(field, 'template')));
    return errs;
  }
  const labels = strMap(asObj(template.metadata)?.labels);
  if (sel) {
    try {
      const s = labelSelectorFromObject(sel as LabelSelectorObject);
      if (!s.empty && !s.matches(labels)) errs.push(invalidField(child(field, 'template', 'metadata', 'labels'), labels, SELECTOR_MISMATCH));
    } catch {
      errs.push(invalidField(child(field, 'selector'), sel, 'invalid label selector'));
    }
  }
  errs.push(...validatePodTemplateSpec(template, child(field, 'template'), { allowedRestartPolicies: ['OnFailure', 'Never'] }));
  return errs;
}

function validateJob(obj: KubeObject): FieldError[] {
  return [...validateGeneratedSelector(obj), ...validateJobSpec(asObj(obj.spec) ?? {}, 'spec', { requireSelector: true })];
}

const SUSPENDED_MUTABLE_TEMPLATE_FIELDS = ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates'];

function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateJobSpec(asObj(obj.spec) ?? {}, 'spec', { requireSelector: true });
  const spec = asObj(obj.spec) ?? {};
  const oldSpec = asObj(old.spec) ?? {};
  const elastic = spec.completionMode === 'Indexed' && oldSpec.completionMode === 'Indexed'
    && spec.completions === spec.parallelism && oldSpec.completions === oldSpec.parallelism;
  if (!elastic) errs.push(...validateImmutableField(spec.completions, oldSpec.completions, 'spec.completions'));
  errs.push(...validateImmutableField(spec.selector, oldSpec.selector, 'spec.selector'));
  // The template is immutable, except scheduling directives and labels/annotations of a suspended job that never started.
  const template = deepCopy(asObj(spec.template) ?? {});
  const oldTemplate = asObj(oldSpec.template) ?? {};
  const neverStarted = oldSpec.suspend === true && !asObj(old.status)?.startTime;
  if (neverStarted) {
    const ts = ensureObj(template, 'spec');
    const os = asObj(oldTemplate.spec) ?? {};
    for (const f of SUSPENDED_MUTABLE_TEMPLATE_FIELDS) {
      if (os[f] === undefined) delete ts[f];
      else ts[f] = os[f];
    }
    const tm = ensureObj(template, 'metadata');
    const om = asObj(oldTemplate.metadata) ?? {};
    for (const f of ['labels', 'annotations']) {
      if (om[f] === undefined) delete tm[f];
      else tm[f] = om[f];
    }
    if (Object.keys(tm).length === 0 && oldTemplate.metadata === undefined) delete template.metadata;
  }
  if (!deepEqual(template, oldTemplate)) errs.push(invalidField('spec.template', spec.template, 'field is immutable'));
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...validateImmutableField(spec[f], oldSpec[f], `spec.${f}`));
  }
  return errs;
}

export const jobStrategy: Strategy = {
  defaults: defaultJob,
  prepareForCreate(obj) {
    // The API server assigns metadata.uid before prepareForCreate (as upstream); make sure it exists.
    if (!obj.metadata.uid) obj.metadata.uid = randomUUID();
    generateJobSelector(obj);
    obj.status = {};
  },
  prepareForUpdate: keepStatus,
  prepareForStatusUpdate: keepSpec,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  validateStatusUpdate(obj) {
    return validateStatusCounts(obj, ['active', 'succeeded', 'failed', 'ready', 'terminating']);
  },
  selectableFields(obj) {
    return { 'status.successful': String(num(asObj(obj.status)?.succeeded) ?? 0) };
  },
};

