/** PersistentVolumes (upstream pkg/registry/core/persistentvolume/strategy.go). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import { tryParseQuantity } from '../../../apimachinery/quantity.js';
import { deepEqual, index, invalidField, notSupported, required, forbidden, child, validateImmutableField } from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { asObj, ensureObj, setDefault, str, keepSpec, keepStatus, canonicalizeResourceList } from '../util.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs',
  'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

export function validateAccessModes(modes: unknown, field: string): FieldError[] {
  const list = Array.isArray(modes) ? modes.map(str) : [];
  if (list.length === 0) return [required(field)];
  const errs: FieldError[] = [];
  list.forEach((m) => { if (!ACCESS_MODES.includes(m)) errs.push(notSupported(field, m, ACCESS_MODES)); });
  if (list.includes('ReadWriteOncePod') && list.length > 1) {
    errs.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errs;
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

function validatePV(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec) ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  const capacity = asObj(spec.capacity) ?? {};
  if (Object.keys(capacity).length === 0) errs.push(required('spec.capacity'));
  else if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(notSupported('spec.capacity', capacity, ['storage']));
  else {
    const q = tryParseQuantity(capacity.storage as string);
    if (!q || q.sign() <= 0) errs.push(invalidField('spec.capacity[storage]', capacity.storage, 'must be greater than zero'));
  }
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(child('spec', extra), 'may not specify more than 1 volume type'));
  const rp = str(spec.persistentVolumeReclaimPolicy);
  if (rp && !RECLAIM_POLICIES.includes(rp)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', rp, RECLAIM_POLICIES));
  const vm = spec.volumeMode;
  if (vm !== undefined && vm !== 'Filesystem' && vm !== 'Block') errs.push(notSupported('spec.volumeMode', vm, ['Block', 'Filesystem']));
  const hostPath = asObj(spec.hostPath);
  if (hostPath && !str(hostPath.path)) errs.push(required('spec.hostPath.path'));
  const local = asObj(spec.local);
  if (local && !str(local.path)) errs.push(required('spec.local.path'));
  if (local && !spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  (Array.isArray(spec.mountOptions) ? spec.mountOptions : []).forEach((m: unknown, i: number) => {
    if (!str(m)) errs.push(required(index('spec.mountOptions', i)));
  });
  return errs;
}

export const persistentVolumeStrategy: Strategy = {
  defaults(obj) {
    const spec = ensureObj(obj, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    canonicalizeResourceList(spec.capacity);
  },
  prepareForCreate(obj, ctx) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: timestamp(ctx.now) };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
  },
  prepareForStatusUpdate(obj, old, ctx) {
    keepSpec(obj, old);
    const status = ensureObj(obj, 'status');
    const oldPhase = asObj(old.status)?.phase;
    if (status.phase !== oldPhase && status.lastPhaseTransitionTime === asObj(old.status)?.lastPhaseTransitionTime) {
      status.lastPhaseTransitionTime = timestamp(ctx.now);
    }
  },
  validate: validatePV,
  validateUpdate(obj, old) {
    const errs = validatePV(obj);
    const spec = asObj(obj.spec) ?? {};
    const oldSpec = asObj(old.spec) ?? {};
    const sourceOf = (sp: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(PV_SOURCES.filter((k) => sp[k] !== undefined).map((k) => [k, sp[k]]));
    if (!deepEqual(sourceOf(spec), sourceOf(oldSpec))) {
      errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation\n'));
    }
    errs.push(...validateImmutableField(spec.volumeMode, oldSpec.volumeMode, 'volumeMode'));
    return errs;
  },
  selectableFields(obj) {
    return { name: obj.metadata.name ?? '' };
  },
  generationFields: [],
};
