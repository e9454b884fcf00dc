/** storage.k8s.io: storageclasses, csidrivers, csinodes, volumeattachments, csistoragecapacities, volumeattributesclasses. */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import { ageCell, ageColumn, column, nameCell, nameColumn } from './columns.js';
import { NONE, UNSET, at, bool, list, optBool, quantity, rec, str } from './format.js';


const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
const DEFAULT_VAC = 'volumeattributesclass.kubernetes.io/is-default-class';

export function isDefaultStorageClass(o: KubeObject): boolean {
  const ann = o.metadata.annotations ?? {};
  return ann[DEFAULT_CLASS] === 'true' || ann[BETA_DEFAULT_CLASS] === 'true';
}

export const storageClassTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells(o, now) {
    return [
      isDefaultStorageClass(o) ? `${nameCell(o)} (default)` : nameCell(o),
      str(o.provisioner),
      str(o.reclaimPolicy) || 'Delete',
      str(o.volumeBindingMode) || 'Immediate',
      bool(o.allowVolumeExpansion),
      ageCell(o, now),
    ];
  },
};

export const volumeAttributesClassTable: TableConvertor = {
  columns: [nameColumn(), column('DriverName', 'string', 'Name of the CSI driver'), ageColumn()],
  cells(o, now) {
    const isDefault = (o.metadata.annotations ?? {})[DEFAULT_VAC] === 'true';
    return [isDefault ? `${nameCell(o)} (default)` : nameCell(o), str(o.driverName), ageCell(o, now)];
  },
};

export const csiDriverTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('AttachRequired', 'boolean', 'attachRequired indicates this CSI volume driver requires an attach operation.'),
    column('PodInfoOnMount', 'boolean', 'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.'),
    column('StorageCapacity', 'boolean', 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.'),
    column('TokenRequests', 'string', 'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for.'),
    column('RequiresRepublish', 'boolean', 'requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.'),
    column('Modes', 'string', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
    ageColumn(),
  ],
  cells(o, now) {
    const spec = rec(o.spec);
    const modes = list(spec.volumeLifecycleModes).map(str).join(',') || NONE;
    const tokenRequests = Array.isArray(spec.tokenRequests)
      ? spec.tokenRequests.map((t) => str(rec(t).audience)).join(',')
      : UNSET;
    return [
      nameCell(o),
      optBool(spec.attachRequired) ?? true,
      bool(spec.podInfoOnMount),
      bool(spec.storageCapacity),
      tokenRequests,
      bool(spec.requiresRepublish),
      modes,
      ageCell(o, now),
    ];
  },
};

export const csiNodeTable: TableConvertor = {
  columns: [nameColumn(), column('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn()],
  cells: (o, now) => [nameCell(o), list(at(o, 'spec', 'drivers')).length, ageCell(o, now)],
};

export const volumeAttachmentTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Attacher', 'string', 'attacher indicates the name of the volume driver that MUST handle this request.', { format: 'name' }),
    column('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.'),
    column('Node', 'string', 'nodeName represents the node that the volume should be attached to.'),
    column('Attached', 'boolean', 'attached indicates the volume is successfully attached.'),
    ageColumn(),
  ],
  cells(o, now) {
    return [
      nameCell(o),
      str(at(o, 'spec', 'attacher')),
      str(at(o, 'spec', 'source', 'persistentVolumeName')),
      str(at(o, 'spec', 'nodeName')),
      bool(at(o, 'status', 'attached')),
      ageCell(o, now),
    ];
  },
};

export const csiStorageCapacityTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('StorageClassName', 'string', 'storageClassName represents the name of the StorageClass that the reported capacity applies to.'),
    column('Capacity', 'string', 'capacity is the value reported by the CSI driver in its GetCapacityResponse.'),
  ],
  cells(o) {
    const capacity = o.capacity;
    return [nameCell(o), str(o.storageClassName), typeof capacity === 'string' || typeof capacity === 'number' ? quantity(capacity) : UNSET];
  },
};
