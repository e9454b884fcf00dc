/**
 * ServiceAccount (upstream plugin/pkg/admission/serviceaccount), the image pull secret part: a
 * new pod that names no `imagePullSecrets` gets those of its service account
 * (`spec.serviceAccountName`, `default` when unset) copied in, by name. Mirror pods are left
 * alone, as upstream. A service account that does not exist (yet) adds nothing; the pod is not
 * refused (upstream refuses it; Skiff's token volume works without the object).
 */
import type { LocalObjectReference, PodSpec, ServiceAccount } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';

export const NAME = 'ServiceAccount';
export const DEFAULT_SERVICE_ACCOUNT = 'default';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type PodLike = KubeObject & { spec?: PodSpec };

export function createServiceAccountPlugin(deps: AdmissionDeps): AdmissionPlugin {
  return {
    name: NAME,
    async mutate(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.subresource !== '' || attrs.resource.group !== '' || attrs.resource.resource !== 'pods') return;
      const pod = attrs.object as PodLike;
      if (!pod.spec || pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
      if ((pod.spec.imagePullSecrets ?? []).length > 0) return;
      const reg = deps.registryFor('', 'serviceaccounts');
      const kv = reg ? await reg.getKv(attrs.namespace, pod.spec.serviceAccountName || DEFAULT_SERVICE_ACCOUNT) : undefined;
      if (!kv || !reg) return;
      const sa = reg.decode(kv) as ServiceAccount;
      const secrets: LocalObjectReference[] = (sa.imagePullSecrets ?? []).map((r) => ({ name: r.name ?? '' }));
      if (secrets.length) pod.spec.imagePullSecrets = secrets;
    },
  };
}
