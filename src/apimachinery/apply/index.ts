/** Server-side apply and managed fields. */
export {
  FieldSet, union, difference, intersection, isEmpty, toFieldsV1, fromFieldsV1, pathString, pathElementString,
  fieldPE, keyPE, valuePE, indexPE,
} from './field-set.js';
export type { FieldPath, PathElement } from './field-set.js';
export {
  fieldSetOf, serverSideApply, updateManagedFields, applyConflictError, roundTime,
  LAST_APPLIED_ANNOTATION, BEFORE_FIRST_APPLY_MANAGER, CLIENT_SIDE_APPLY_MANAGER, ANCIENT_CHANGES_MANAGER, MAX_UPDATE_MANAGERS,
} from './managed-fields.js';
export type { ServerSideApplyOptions, UpdateManagedFieldsOptions } from './managed-fields.js';
export { compare, mergeApply, typeInfo } from './typed.js';
export type { Comparison, TypeInfo } from './typed.js';
