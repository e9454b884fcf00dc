/** Generic ObjectMeta validation (upstream apimachinery/pkg/api/validation/objectmeta.go). */
import type { FieldError } from '../errors.js';
import type { KubeObject, ObjectMeta, OwnerReference } from '../object.js';
import { isPlainObject } from '../object.js';
import {
  invalidEach, invalidField, forbidden, required, tooLong, validateImmutableField,
  validateNonnegativeField, child, index,
} from './field.js';
import { isQualifiedName, isValidLabelValue, isDNS1123Label, nameValidatorFor } from './names.js';
import type { NameValidator } from './names.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

export function validateLabelName(name: string, field: string): FieldError[] {
  return invalidEach(field, name, isQualifiedName(name));
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, field));
    errs.push(...invalidEach(field, v, isValidLabelValue(typeof v === 'string' ? v : String(v))));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...invalidEach(field, k, isQualifiedName(k.toLowerCase())));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

/** Metadata names of objects that may not be owners. */
const bannedOwners = new Set(['v1/Event', 'events.k8s.io/v1/Event']);

function validateOwnerReference(ref: OwnerReference, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!version) errs.push(invalidField(child(field, 'apiVersion'), apiVersion, 'version must not be empty'));
  if (!ref.kind) errs.push(invalidField(child(field, 'kind'), ref.kind ?? '', 'kind must not be empty'));
  if (!ref.name) errs.push(invalidField(child(field, 'name'), ref.name ?? '', 'name must not be empty'));
  if (!ref.uid) errs.push(invalidField(child(field, 'uid'), ref.uid ?? '', 'uid must not be empty'));
  if (bannedOwners.has(`${apiVersion}/${ref.kind}`)) {
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    errs.push(invalidField(field, ref, `${group}/${version}, Kind=${ref.kind} is disallowed from being an owner`));
  }
  return errs;
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let controllerName = '';
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, field));
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (controllerName) {
        errs.push(invalidField(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllerName} and ${cur}`));
      } else {
        controllerName = cur;
      }
    }
  }
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let orphan = false;
  let foreground = false;
  for (const f of finalizers ?? []) {
    errs.push(...invalidEach(field, f, isQualifiedName(f)));
    if (f === FINALIZER_ORPHAN_DEPENDENTS) orphan = true;
    if (f === FINALIZER_DELETE_DEPENDENTS) foreground = true;
  }
  if (orphan && foreground) {
    errs.push(invalidField(field, finalizers, `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`));
  }
  return errs;
}

function goStringSlice(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

export function validateNoNewFinalizers(newF: string[] | undefined, oldF: string[] | undefined, field: string): FieldError[] {
  const old = new Set(oldF ?? []);
  const extra = [...new Set((newF ?? []).filter((f) => !old.has(f)))].sort();
  return extra.length
    ? [forbidden(field, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`)]
    : [];
}

function validateManagedFields(entries: ObjectMeta['managedFields'], field: string): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = index(field, i);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push({ type: 'FieldValueNotSupported', field: child(p, 'operation'), value: e.operation ?? '', detail: 'supported values: "Apply", "Update"' });
    }
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') {
      errs.push({ type: 'FieldValueNotSupported', field: child(p, 'fieldsType'), value: e.fieldsType, detail: 'supported values: "FieldsV1"' });
    }
    if (e.subresource !== undefined && e.subresource.length > 256) {
      errs.push(tooLong(child(p, 'subresource'), 256));
    }
  });
  return errs;
}

export interface ObjectMetaOptions {
  namespaced: boolean;
  /** Name format rule (strategy.nameValidation), or a custom validator. */
  nameValidation?: 'subdomain' | 'label' | 'path-segment' | 'dns1035' | NameValidator;
}

function metaOf(obj: KubeObject): ObjectMeta {
  return isPlainObject(obj.metadata) ? obj.metadata : {};
}

/** Validation of metadata on create (upstream ValidateObjectMetaAccessor). */
export function validateObjectMeta(obj: KubeObject, opts: ObjectMetaOptions): FieldError[] {
  const meta = metaOf(obj);
  const fld = 'metadata';
  const nameFn = typeof opts.nameValidation === 'function' ? opts.nameValidation : nameValidatorFor(opts.nameValidation);
  const errs: FieldError[] = [];
  if (meta.generateName) {
    errs.push(...invalidEach(child(fld, 'generateName'), meta.generateName, nameFn(meta.generateName, true)));
  }
  if (!meta.name) {
    errs.push(required(child(fld, 'name'), 'name or generateName is required'));
  } else {
    errs.push(...invalidEach(child(fld, 'name'), meta.name, nameFn(meta.name, false)));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(required(child(fld, 'namespace')));
    else errs.push(...invalidEach(child(fld, 'namespace'), meta.namespace, isDNS1123Label(meta.namespace)));
  } else if (meta.namespace) {
    errs.push(forbidden(child(fld, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(meta.generation, child(fld, 'generation')));
  errs.push(...validateLabels(meta.labels, child(fld, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(fld, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(fld, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(fld, 'finalizers')));
  errs.push(...validateManagedFields(meta.managedFields, child(fld, 'managedFields')));
  return errs;
}

export interface ObjectMetaUpdateOptions {
  /**
   * Upstream rejects an update without resourceVersion; the API server fills it in from the
   * stored object for unconditional updates before validating. Set false to skip the check.
   */
  requireResourceVersion?: boolean;
}

/** Validation of metadata on update (upstream ValidateObjectMetaAccessorUpdate). */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject, opts: ObjectMetaUpdateOptions = {}): FieldError[] {
  const meta = metaOf(obj);
  const oldMeta = metaOf(old);
  const fld = 'metadata';
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    errs.push(...validateNoNewFinalizers(meta.finalizers, oldMeta.finalizers, child(fld, 'finalizers')));
  }
  if ((opts.requireResourceVersion ?? true) && !meta.resourceVersion) {
    errs.push(invalidField(child(fld, 'resourceVersion'), meta.resourceVersion ?? '', 'must be specified for an update'));
  }
  if ((meta.generation ?? 0) < (oldMeta.generation ?? 0)) {
    errs.push(invalidField(child(fld, 'generation'), meta.generation ?? 0, 'must not be decremented'));
  }
  errs.push(...validateImmutableField(meta.name ?? '', oldMeta.name ?? '', child(fld, 'name')));
  errs.push(...validateImmutableField(meta.namespace ?? '', oldMeta.namespace ?? '', child(fld, 'namespace')));
  errs.push(...validateImmutableField(meta.uid ?? '', oldMeta.uid ?? '', child(fld, 'uid')));
  errs.push(...validateImmutableField(meta.creationTimestamp ?? null, oldMeta.creationTimestamp ?? null, child(fld, 'creationTimestamp')));
  errs.push(...validateImmutableField(meta.deletionTimestamp ?? null, oldMeta.deletionTimestamp ?? null, child(fld, 'deletionTimestamp')));
  errs.push(...validateImmutableField(meta.deletionGracePeriodSeconds ?? null, oldMeta.deletionGracePeriodSeconds ?? null, child(fld, 'deletionGracePeriodSeconds')));
  errs.push(...validateLabels(meta.labels, child(fld, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(fld, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(fld, 'ownerReferences')));
  errs.push(...validateManagedFields(meta.managedFields, child(fld, 'managedFields')));
  return errs;
}
