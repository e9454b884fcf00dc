/**
 * DefaultStorageClass (upstream plugin/pkg/admission/storage/storageclass/setdefault): a
 * PersistentVolumeClaim created without `spec.storageClassName` gets the default StorageClass.
 * An explicit "" means "no class" and is left alone. Among several default classes the newest
 * wins (ties: the name first in order), as upstream.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';
import { matchEverything } from '../rest/resource-registry.js';

export const NAME = 'DefaultStorageClass';
export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
export const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

export function isDefaultClass(sc: KubeObject): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default class among `classes`: newest creationTimestamp, then smallest name. */
export function pickDefaultClass(classes: readonly KubeObject[]): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const sc of classes) {
    if (!isDefaultClass(sc)) continue;
    if (!best) {
      best = sc;
      continue;
    }
    const t = Date.parse(sc.metadata.creationTimestamp ?? '') || 0;
    const bt = Date.parse(best.metadata.creationTimestamp ?? '') || 0;
    if (t > bt || (t === bt && (sc.metadata.name ?? '') < (best.metadata.name ?? ''))) best = sc;
  }
  return best;
}

export function createDefaultStorageClassPlugin(deps: AdmissionDeps): AdmissionPlugin {
  return {
    name: NAME,
    async mutate(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.subresource !== '') return;
      if (attrs.resource.group !== '' || attrs.resource.resource !== 'persistentvolumeclaims') return;
      const spec = (attrs.object as KubeObject & { spec?: { storageClassName?: string | null } }).spec;
      if (!spec || (spec.storageClassName !== undefined && spec.storageClassName !== null)) return;
      // The beta annotation also names a class.
      if (attrs.object.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
      const registry = deps.registryFor('storage.k8s.io', 'storageclasses');
      if (!registry) return;
      const list = await registry.list('', { resourceVersion: '', resourceVersionMatch: '', limit: 0, continueToken: '', filter: matchEverything });
      const def = pickDefaultClass(list.items);
      if (def?.metadata.name) spec.storageClassName = def.metadata.name;
    },
  };
}
