/** StatefulSets (upstream SetDefaults_StatefulSet + ValidateStatefulSet / ValidateStatefulSetUpdate). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { deepCopy } from '../../../apimachinery/object.js';
import { child, deepEqual, forbidden, index, invalidField, validateNonnegativeField, required } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, num, objArray, setDefault, str, canonicalizeResourceList } from '../util.js';
import { statusSubresource, validateStatusCounts } from '../status.js';
import { defaultPodTemplate } from '../core/pod-spec.js';
import { validateSelectorAndTemplate } from '../workload.js';

export const STATEFULSET_SPEC_FORBIDDEN = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export function defaultStatefulSet(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensureObj(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    ensureObj(us, 'rollingUpdate');
  }
  const ru = asObj(us.rollingUpdate);
  if (us.type === 'RollingUpdate' && ru) setDefault(ru, 'partition', 0);
  const retention = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
  for (const pvc of objArray(spec.volumeClaimTemplates)) {
    const pvcSpec = ensureObj(pvc, 'spec');
    setDefault(pvcSpec, 'volumeMode', 'Filesystem');
    canonicalizeResourceList(asObj(pvcSpec.resources)?.requests);
    canonicalizeResourceList(asObj(pvcSpec.resources)?.limits);
    const status = ensureObj(pvc, 'status');
    setDefault(status, 'phase', 'Pending');
  }
}

/** A copy of the spec whose pod template also has a volume per volumeClaimTemplate. */
function withClaimVolumes(spec: Record<string, unknown>): Record<string, unknown> {
  const copy = deepCopy(spec);
  const podSpec = asObj(asObj(copy.template)?.spec);
  if (!podSpec) return copy;
  const volumes = Array.isArray(podSpec.volumes) ? podSpec.volumes : [];
  const names = new Set(objArray(podSpec.volumes).map((v) => str(v.name)));
  for (const pvc of objArray(spec.volumeClaimTemplates)) {
    const name = str(asObj(pvc.metadata)?.name);
    if (name && !names.has(name)) volumes.push({ name, persistentVolumeClaim: { claimName: name } });
  }
  if (volumes.length > 0) podSpec.volumes = volumes;
  return copy;
}

function validateStatefulSet(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec) ?? {};
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(invalidField('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = asObj(spec.updateStrategy) ?? {};
  switch (us.type) {
    case 'OnDelete':
      if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) {
        errs.push(invalidField('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      }
      break;
    case 'RollingUpdate': {
      const ru = asObj(us.rollingUpdate);
      if (ru) errs.push(...validateNonnegativeField(num(ru.partition), 'spec.updateStrategy.rollingUpdate.partition'));
      break;
    }
    default:
      errs.push(invalidField('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = asObj(spec.persistentVolumeClaimRetentionPolicy) ?? {};
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = str(retention[f]);
    if (v !== 'Retain' && v !== 'Delete') {
      errs.push({ type: 'FieldValueNotSupported', field: `spec.persistentVolumeClaimRetentionPolicy.${f}`, value: v, detail: 'supported values: "Retain", "Delete"' });
    }
  }
  errs.push(...validateNonnegativeField(num(spec.replicas), 'spec.replicas'));
  errs.push(...validateNonnegativeField(num(spec.minReadySeconds), 'spec.minReadySeconds'));
  const ordinals = asObj(spec.ordinals);
  if (ordinals) errs.push(...validateNonnegativeField(num(ordinals.start), 'spec.ordinals.start'));
  // Upstream leaves a statefulset's pod spec unchecked because its volumeMounts may name
  // volumeClaimTemplates; check it with those claims present as volumes.
  errs.push(...validateSelectorAndTemplate(withClaimVolumes(spec), 'spec', {
    kindWord: 'statefulset', restartPolicies: ['Always'], forbidActiveDeadline: 'activeDeadlineSeconds in StatefulSet is not Supported',
  }));
  objArray(spec.volumeClaimTemplates).forEach((pvc, i) => {
    const p = index('spec.volumeClaimTemplates', i);
    const modes = asObj(pvc.spec)?.accessModes;
    if (!Array.isArray(modes) || modes.length === 0) errs.push(required(child(p, 'spec', 'accessModes')));
    if (!str(asObj(pvc.metadata)?.name)) errs.push(required(child(p, 'metadata', 'name')));
  });
  return errs;
}

function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateStatefulSet(obj);
  const clone = deepCopy(asObj(obj.spec) ?? {});
  const oldSpec = asObj(old.spec) ?? {};
  for (const f of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy']) {
    if (oldSpec[f] === undefined) delete clone[f];
    else clone[f] = oldSpec[f];
  }
  if (!deepEqual(clone, oldSpec)) errs.push(forbidden('spec', STATEFULSET_SPEC_FORBIDDEN));
  return errs;
}

export const statefulSetStrategy: Strategy = {
  defaults: defaultStatefulSet,
  ...statusSubresource({ replicas: 0, availableReplicas: 0 }),
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  validateStatusUpdate(obj) {
    return validateStatusCounts(obj, ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount']);
  },
  nameValidation: 'label',
};
