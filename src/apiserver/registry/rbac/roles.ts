/** RBAC Roles, ClusterRoles, RoleBindings, ClusterRoleBindings (upstream pkg/apis/rbac/validation). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { child, deepEqual, index, invalidField, notSupported, required, validateLabelSelector } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, objArray, str } from '../util.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str) : [];
}

function validateRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  objArray(obj.rules).forEach((r, i) => {
    const p = index('rules', i);
    if (list(r.verbs).length === 0) errs.push(required(child(p, 'verbs'), 'verbs must contain at least one value'));
    const urls = list(r.nonResourceURLs);
    if (urls.length) {
      if (namespaced) errs.push(invalidField(child(p, 'nonResourceURLs'), urls, 'namespaced rules cannot apply to non-resource URLs'));
      if (list(r.apiGroups).length || list(r.resources).length || list(r.resourceNames).length) {
        errs.push(invalidField(child(p, 'nonResourceURLs'), urls, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (list(r.apiGroups).length === 0) errs.push(required(child(p, 'apiGroups'), 'resource rules must supply at least one api group'));
    if (list(r.resources).length === 0) errs.push(required(child(p, 'resources'), 'resource rules must supply at least one resource'));
  });
  const agg = asObj(obj.aggregationRule);
  if (agg) {
    const sels = objArray(agg.clusterRoleSelectors);
    if (sels.length === 0) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i))));
  }
  return errs;
}

function defaultSubjects(obj: KubeObject): void {
  for (const s of objArray(obj.subjects)) {
    if (s.apiGroup === undefined || s.apiGroup === '') {
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
      else if (s.kind === 'ServiceAccount') s.apiGroup = '';
    }
  }
  const ref = asObj(obj.roleRef);
  if (ref && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
}

function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = asObj(obj.roleRef) ?? {};
  if (str(ref.apiGroup) !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!str(ref.name)) errs.push(required('roleRef.name'));
  objArray(obj.subjects).forEach((s, i) => {
    const p = index('subjects', i);
    if (!str(s.name)) errs.push(required(child(p, 'name')));
    switch (s.kind) {
      case 'ServiceAccount':
        if (str(s.apiGroup)) errs.push(notSupported(child(p, 'apiGroup'), s.apiGroup, ['']));
        if (!namespaced && !str(s.namespace)) errs.push(required(child(p, 'namespace')));
        break;
      case 'User': case 'Group':
        if (str(s.apiGroup) !== RBAC_GROUP) errs.push(notSupported(child(p, 'apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
        break;
      default:
        errs.push(notSupported(child(p, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

function roleRefImmutable(obj: KubeObject, old: KubeObject): FieldError[] {
  return deepEqual(obj.roleRef, old.roleRef) ? [] : [invalidField('roleRef', obj.roleRef ?? null, 'cannot change roleRef')];
}

export const roleStrategy: Strategy = {
  validate: (obj) => validateRules(obj, true),
  validateUpdate: (obj) => validateRules(obj, true),
  nameValidation: 'path-segment',
  generationFields: [],
};

export const clusterRoleStrategy: Strategy = {
  validate: (obj) => validateRules(obj, false),
  validateUpdate: (obj) => validateRules(obj, false),
  nameValidation: 'path-segment',
  generationFields: [],
};

export const roleBindingStrategy: Strategy = {
  defaults: defaultSubjects,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => [...validateBinding(obj, true), ...roleRefImmutable(obj, old)],
  nameValidation: 'path-segment',
  generationFields: [],
};

export const clusterRoleBindingStrategy: Strategy = {
  defaults: defaultSubjects,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => [...validateBinding(obj, false), ...roleRefImmutable(obj, old)],
  nameValidation: 'path-segment',
  generationFields: [],
};

