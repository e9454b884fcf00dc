/** StorageClasses (upstream SetDefaults_StorageClass, ValidateStorageClass / ...Update). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepEqual, forbidden, invalidEach, isQualifiedName, notSupported, required, validateImmutableField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { str } from '../util.js';

function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const prov = str(obj.provisioner);
  if (!prov) errs.push(required('provisioner'));
  else errs.push(...invalidEach('provisioner', prov, isQualifiedName(prov.toLowerCase())));
  const rp = obj.reclaimPolicy;
  if (rp !== undefined && rp !== 'Delete' && rp !== 'Retain') errs.push(notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
  const vbm = obj.volumeBindingMode;
  if (vbm !== undefined && vbm !== 'Immediate' && vbm !== 'WaitForFirstConsumer') {
    errs.push(notSupported('volumeBindingMode', vbm, ['Immediate', 'WaitForFirstConsumer']));
  }
  return errs;
}

export const storageClassStrategy: Strategy = {
  defaults(obj) {
    if (!obj.reclaimPolicy) obj.reclaimPolicy = 'Delete';
    if (!obj.volumeBindingMode) obj.volumeBindingMode = 'Immediate';
  },
  validate: validateStorageClass,
  validateUpdate(obj, old) {
    const errs = validateStorageClass(obj);
    if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...validateImmutableField(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
    return errs;
  },
  generationFields: [],
};
