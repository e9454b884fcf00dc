/**
 * Pure helpers of the PersistentVolume binder (upstream pkg/controller/volume/persistentvolume
 * index.go and util.go): the typed objects, annotation names, claim/volume matching (class,
 * capacity, access modes, selector, volume mode, node affinity) and the shape of a volume the
 * built-in `skiff.io/local-path` provisioner creates. Inputs are never modified.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type {
  NodeSelectorRequirement, NodeSelectorTerm, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus,
  PersistentVolumeSpec, PersistentVolumeStatus,
} from '../../apimachinery/generated/types.js';
import type { GroupVersionResource } from '../../client/rest-client.js';
import { labelSelectorFromObject } from '../../apimachinery/labels.js';
import { compareQuantities, tryParseQuantity } from '../../apimachinery/quantity.js';

export type PersistentVolumeObject = KubeObject & { spec?: PersistentVolumeSpec; status?: PersistentVolumeStatus };
export type ClaimObject = KubeObject & { spec?: PersistentVolumeClaimSpec; status?: PersistentVolumeClaimStatus };
export type StorageClassObject = KubeObject & {
  provisioner?: string; reclaimPolicy?: string; volumeBindingMode?: string; mountOptions?: string[]; parameters?: Record<string, string>;
};
export type NodeObject = KubeObject;

export const PERSISTENT_VOLUMES: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumes' };
export const PERSISTENT_VOLUME_CLAIMS: GroupVersionResource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
export const STORAGE_CLASSES: GroupVersionResource = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };
export const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
export const ANN_YES = 'yes';

export const LOCAL_PATH_PROVISIONER = 'skiff.io/local-path';
export const DEFAULT_LOCAL_PATH_PREFIX = '/var/lib/skiff/storage';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export const MSG_WAIT_FOR_FIRST_CONSUMER = 'waiting for first consumer to be created before binding';
export const MSG_NO_VOLUME_NO_CLASS = 'no persistent volumes available for this claim and no storage class is set';

export const ANN_IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_IS_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

/** The default class (annotated `is-default-class: "true"`): the newest, ties by name. */
export function pickDefaultClass(classes: readonly StorageClassObject[]): StorageClassObject | undefined {
  let best: StorageClassObject | undefined;
  let bestTime = 0;
  for (const sc of classes) {
    const a = sc.metadata.annotations ?? {};
    if (a[ANN_IS_DEFAULT_CLASS] !== 'true' && a[ANN_BETA_IS_DEFAULT_CLASS] !== 'true') continue;
    const t = Date.parse(sc.metadata.creationTimestamp ?? '') || 0;
    if (!best || t > bestTime || (t === bestTime && (sc.metadata.name ?? '') < (best.metadata.name ?? ''))) {
      best = sc;
      bestTime = t;
    }
  }
  return best;
}

/** The claim's class: spec.storageClassName, else the beta annotation, else "". */
export function claimClass(claim: ClaimObject): string {
  return claim.spec?.storageClassName ?? claim.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] ?? '';
}

export function volumeClass(pv: PersistentVolumeObject): string {
  return pv.spec?.storageClassName ?? pv.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] ?? '';
}

export function claimRequest(claim: ClaimObject): string {
  return String(claim.spec?.resources?.requests?.storage ?? '0');
}

function volumeCapacity(pv: PersistentVolumeObject): string {
  return String(pv.spec?.capacity?.storage ?? '0');
}

function quantityAtLeast(have: string, want: string): boolean {
  if (!tryParseQuantity(have) || !tryParseQuantity(want)) return false;
  return compareQuantities(have, want) >= 0;
}

/** Every access mode the claim asks for is offered by the volume. */
export function accessModesSatisfied(pv: PersistentVolumeObject, claim: ClaimObject): boolean {
  const offered = new Set(pv.spec?.accessModes ?? []);
  return (claim.spec?.accessModes ?? []).every((m) => offered.has(m));
}

export function volumeModeMismatch(pv: PersistentVolumeObject, claim: ClaimObject): boolean {
  return (pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem');
}

/** The volume's claimRef points at this claim (by namespace/name and, when set, uid). */
export function isVolumeBoundToClaim(pv: PersistentVolumeObject, claim: ClaimObject): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? '')) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? '')) return false;
      return r.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default: return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: NodeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((r) => requirementMatches(r, labels[r.key]))
    && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name));
}

/** The volume may be used on `node` (no required node affinity, or one term matches). */
export function volumeFitsNode(pv: PersistentVolumeObject, node: NodeObject): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => termMatches(t, node));
}

/**
 * Why a volume named by the claim (`spec.volumeName`) cannot serve it, or undefined when it can
 * (upstream checkVolumeSatisfyClaim, same messages).
 */
export function volumeSatisfiesClaim(pv: PersistentVolumeObject, claim: ClaimObject): string | undefined {
  if (!quantityAtLeast(volumeCapacity(pv), claimRequest(claim))) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(claim)) return 'storageClassName does not match';
  if (volumeModeMismatch(pv, claim)) return 'incompatible volumeMode';
  if (!accessModesSatisfied(pv, claim)) return 'incompatible accessMode';
  return undefined;
}

export interface MatchOptions {
  /** The claim's class binds late (WaitForFirstConsumer). */
  delayBinding: boolean;
  /** The node chosen for the claim's first consumer (restricts volumes by node affinity). */
  node?: NodeObject;
}

/**
 * The best volume for an unbound claim (upstream findMatchingVolume): a volume pre-bound to the
 * claim wins; otherwise the smallest Available volume of the claim's class whose capacity, access
 * modes, selector and volume mode fit. Late-binding claims match unbound volumes only once a node
 * was chosen.
 */
export function findBestMatchForClaim(claim: ClaimObject, volumes: readonly PersistentVolumeObject[], opts: MatchOptions): PersistentVolumeObject | undefined {
  const request = claimRequest(claim);
  const cls = claimClass(claim);
  let selector: ReturnType<typeof labelSelectorFromObject> | undefined;
  try {
    selector = claim.spec?.selector ? labelSelectorFromObject(claim.spec.selector) : undefined;
  } catch {
    return undefined;
  }
  let best: PersistentVolumeObject | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    if (!quantityAtLeast(volumeCapacity(pv), request)) continue;
    if (volumeModeMismatch(pv, claim)) continue;
    if (!accessModesSatisfied(pv, claim)) continue;
    if (opts.node && !volumeFitsNode(pv, opts.node)) continue;
    if (isVolumeBoundToClaim(pv, claim)) return pv;
    if (opts.delayBinding && !opts.node) continue;
    if (pv.spec?.claimRef) continue;
    const phase = pv.status?.phase;
    if (phase === 'Released' || phase === 'Failed') continue;
    if (selector && !selector.matches(pv.metadata.labels ?? {})) continue;
    if (volumeClass(pv) !== cls) continue;
    if (!best || compareQuantities(volumeCapacity(best), volumeCapacity(pv)) > 0) best = pv;
  }
  return best;
}

/** `<prefix>/pvc-<uid>_<namespace>_<name>`, the directory local-path gives a claim. */
export function localPathFor(claim: ClaimObject, volumeName: string, prefix = DEFAULT_LOCAL_PATH_PREFIX): string {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return `${base}/${volumeName}_${claim.metadata.namespace ?? ''}_${claim.metadata.name ?? ''}`;
}

/** The name a provisioned volume gets: `pvc-<claim uid>`. */
export function provisionedVolumeName(claim: ClaimObject): string {
  return `pvc-${claim.metadata.uid ?? ''}`;
}

/** The volume local-path provisions for `claim` on `node` (pre-bound to the claim). */
export function newLocalPathVolume(claim: ClaimObject, sc: StorageClassObject, node: string, prefix?: string): PersistentVolumeObject {
  const name = provisionedVolumeName(claim);
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: sc.provisioner ?? LOCAL_PATH_PROVISIONER } },
    spec: {
      accessModes: [...(claim.spec?.accessModes ?? ['ReadWriteOnce'])],
      capacity: { storage: claimRequest(claim) },
      claimRef: {
        kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name,
        uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion,
      },
      hostPath: { path: localPathFor(claim, name, prefix), type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } },
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      ...(sc.mountOptions ? { mountOptions: [...sc.mountOptions] } : {}),
    },
  };
}
