/** PersistentVolumeClaims (upstream pkg/registry/core/persistentvolumeclaim/strategy.go). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { tryParseQuantity } from '../../../apimachinery/quantity.js';
import { deepEqual, forbidden, invalidField, key, notSupported, required, validateLabelSelector } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, setDefault, str, canonicalizeResourceList } from '../util.js';
import { statusSubresource } from '../status.js';
import { validateAccessModes } from './persistentvolumes.js';

export const PVC_SPEC_IMMUTABLE = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

function storageRequest(spec: Obj): unknown {
  return asObj(asObj(spec.resources)?.requests)?.storage;
}

function validatePVC(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec) ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const storage = storageRequest(spec);
  if (storage === undefined) errs.push(required(key('spec.resources', 'storage')));
  else {
    const q = tryParseQuantity(storage as string);
    if (!q || q.sign() <= 0) errs.push(invalidField(key('spec.resources.requests', 'storage'), storage, 'must be greater than zero'));
  }
  const vm = spec.volumeMode;
  if (vm !== undefined && vm !== 'Filesystem' && vm !== 'Block') errs.push(notSupported('spec.volumeMode', vm, ['Block', 'Filesystem']));
  return errs;
}

function validatePVCUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePVC(obj);
  const spec = deepCopy(asObj(obj.spec) ?? {});
  const oldSpec = deepCopy(asObj(old.spec) ?? {});
  // volumeName may be set once (binding).
  if (!str(oldSpec.volumeName)) {
    if (spec.volumeName === undefined) delete oldSpec.volumeName;
    else oldSpec.volumeName = spec.volumeName;
  }
  // Older objects may have had the class in the beta annotation.
  if (oldSpec.storageClassName === undefined && spec.storageClassName !== undefined
    && old.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] === spec.storageClassName) {
    oldSpec.storageClassName = spec.storageClassName;
  }
  if (oldSpec.storageClassName === undefined && spec.storageClassName !== undefined && !str(oldSpec.volumeName)) {
    // The DefaultStorageClass admission may set the class on unbound claims later (retroactive default).
    oldSpec.storageClassName = spec.storageClassName;
  }
  const bound = asObj(old.status)?.phase === 'Bound';
  if (bound) {
    // Expansion: the storage request may change (grow only); volumeAttributesClassName may change.
    const newReq = storageRequest(spec);
    const oldReq = storageRequest(oldSpec);
    const nq = tryParseQuantity(newReq as string);
    const oq = tryParseQuantity(oldReq as string);
    if (nq && oq && nq.cmp(oq) < 0) {
      errs.push(forbidden(key('spec.resources.requests', 'storage'), 'field can not be less than status.capacity'));
    }
    ensureObj(ensureObj(spec, 'resources'), 'requests').storage = oldReq;
    spec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
    if (spec.volumeAttributesClassName === undefined) delete spec.volumeAttributesClassName;
  }
  if (!deepEqual(spec, oldSpec)) errs.push(forbidden('spec', `${PVC_SPEC_IMMUTABLE}\n`));
  return errs;
}

export const persistentVolumeClaimStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    setDefault(spec, 'volumeMode', 'Filesystem');
    const res = asObj(spec.resources);
    canonicalizeResourceList(res?.requests);
    canonicalizeResourceList(res?.limits);
  },
  ...statusSubresource({ phase: 'Pending' }),
  validate: validatePVC,
  validateUpdate: validatePVCUpdate,
  generationFields: [],
};
