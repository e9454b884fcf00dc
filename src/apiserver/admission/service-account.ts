/**
 * ServiceAccount (upstream plugin/pkg/admission/serviceaccount). On pod CREATE (mirror pods are
 * left alone):
 * - `spec.serviceAccountName` defaults to `default` (the deprecated `spec.serviceAccount` follows);
 * - unless automounting is turned off (the pod's `automountServiceAccountToken` wins, then the
 *   service account's; on by default), every container and init container that mounts nothing at
 *   `/var/run/secrets/kubernetes.io/serviceaccount` gets the projected `kube-api-access-xxxxx`
 *   volume mounted there read-only (a bound token, the cluster CA from `kube-root-ca.crt`, the
 *   namespace), and the volume is added when at least one container took it;
 * - a pod that names no `imagePullSecrets` gets those of its service account copied in.
 * A service account that does not exist (yet) counts as one with no preferences and no secrets;
 * the pod is not refused (upstream refuses it; Skiff's token volume works without the object).
 */
import { randomInt } from 'node:crypto';
import type { Container, LocalObjectReference, PodSpec, ProjectedVolumeSource, ServiceAccount, VolumeMount } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { AdmissionPlugin } from './admission.js';
import type { AdmissionDeps } from './index.js';

export const NAME = 'ServiceAccount';
export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
/** Upstream's bound token lifetime for the automounted volume (1 h + 7 s, flagged "warn only"). */
export const TOKEN_EXPIRATION_SECONDS = 3607;
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** The alphabet of upstream's generated name suffixes (no vowels, no look-alikes). */
const NAME_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

type PodLike = KubeObject & { spec?: PodSpec };

/** `kube-api-access-` and five random characters. */
export function generateTokenVolumeName(random: (n: number) => number = randomInt): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_SUFFIX_CHARS[random(NAME_SUFFIX_CHARS.length)];
  return SERVICE_ACCOUNT_VOLUME_PREFIX + suffix;
}

/** The projected source of the automounted volume (a fresh object each call). */
export function tokenVolumeSource(): ProjectedVolumeSource {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIG_MAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

function shouldAutomount(spec: PodSpec, sa: ServiceAccount | undefined): boolean {
  return spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
}

function mountToken(spec: PodSpec): void {
  const volumeName = generateTokenVolumeName();
  let needed = false;
  const give = (containers: Container[] | undefined): void => {
    for (const c of containers ?? []) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      const mount: VolumeMount = { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
      c.volumeMounts = [...(c.volumeMounts ?? []), mount];
      needed = true;
    }
  };
  give(spec.initContainers);
  give(spec.containers);
  if (needed) spec.volumes = [...(spec.volumes ?? []), { name: volumeName, projected: tokenVolumeSource() }];
}

export function createServiceAccountPlugin(deps: AdmissionDeps): AdmissionPlugin {
  return {
    name: NAME,
    async mutate(attrs) {
      if (attrs.operation !== 'CREATE' || attrs.subresource !== '' || attrs.resource.group !== '' || attrs.resource.resource !== 'pods') return;
      const pod = attrs.object as PodLike;
      if (!pod.spec || pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
      const spec = pod.spec;
      // The deprecated field only fills in for an empty serviceAccountName (as v1's conversion does).
      if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
      spec.serviceAccount = spec.serviceAccountName;
      const reg = deps.registryFor('', 'serviceaccounts');
      const kv = reg ? await reg.getKv(attrs.namespace, spec.serviceAccountName) : undefined;
      const sa = kv && reg ? reg.decode(kv) as ServiceAccount : undefined;
      if (shouldAutomount(spec, sa)) mountToken(spec);
      if ((spec.imagePullSecrets ?? []).length > 0 || !sa) return;
      const secrets: LocalObjectReference[] = (sa.imagePullSecrets ?? []).map((r) => ({ name: r.name ?? '' }));
      if (secrets.length) spec.imagePullSecrets = secrets;
    },
  };
}
