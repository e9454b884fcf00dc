/**
 * VolumeBinding (upstream plugins/volumebinding): claims must exist; bound claims pass; unbound
 * claims of a WaitForFirstConsumer class pass and the chosen node is recorded at Reserve; PreBind
 * hands it to the API (the `volume.kubernetes.io/selected-node` annotation) and then waits, as
 * upstream's BindPodVolumes, until the PersistentVolume controller has bound every such claim
 * (`spec.volumeName` and `pv.kubernetes.io/bind-completed`), failing when the annotation is
 * removed again (provisioning gave up) or after the bind timeout (600 s). Unbound claims with
 * Immediate binding make the pod wait.
 * Still to come with storage: PV node affinity and matching static PVs in Filter, capacity.
 */
import type { PersistentVolumeClaim, Pod } from '../../apimachinery/generated/types.js';
import { StateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, Handle, PreBindPlugin, PreFilterPlugin, ReservePlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'VolumeBinding';
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const claimNotFound = (name: string): string => `persistentvolumeclaim "${name}" not found`;
export const claimBeingDeleted = (name: string): string => `persistentvolumeclaim "${name}" is being deleted`;
export const ANNOTATION_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANNOTATION_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** Upstream's default bindTimeoutSeconds. */
export const DEFAULT_BIND_TIMEOUT_MS = 600_000;
const BIND_POLL_MS = 100;

interface State {
  /** Claims waiting for this pod's node (WaitForFirstConsumer). */
  delayed: string[];
  nodeName?: string;
}

const stateKey = new StateKey<State>(`PreFilter${NAME}`);

/** Claim names the pod uses, generic ephemeral volumes included (`<pod>-<volume>`). */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata?.name ?? ''}-${v.name}`);
  }
  return out;
}

/** Recorded node of the current cycle (for tests and later storage work). */
export function selectedNode(state: { read<T>(k: StateKey<T>): T | undefined }): string | undefined {
  return state.read(stateKey)?.nodeName;
}

/** True once the claim is bound by the PV controller; throws when waiting cannot succeed. */
export function claimFullyBound(pvc: PersistentVolumeClaim | undefined, name: string, node: string, seenSelected: boolean): boolean {
  if (!pvc) throw new Error(claimNotFound(name));
  if (pvc.spec?.volumeName && pvc.metadata?.annotations?.[ANNOTATION_BIND_COMPLETED] !== undefined) return true;
  const selected = pvc.metadata?.annotations?.[ANNOTATION_SELECTED_NODE];
  if (seenSelected && selected !== node) throw new Error(`selectedNode annotation reset for PVC "${name}"`);
  return false;
}

export interface VolumeBindingOptions {
  /** How long PreBind waits for the claims to be bound; default 600 s. */
  bindTimeoutMs?: number;
}

export function create(handle: Pick<Handle, 'volumes' | 'api'>, opts: VolumeBindingOptions = {}) {
  const bindTimeoutMs = opts.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS;
  return {
    name: NAME,
    events: ['PersistentVolumeClaim/Add', 'PersistentVolumeClaim/Update', 'PersistentVolume/Add', 'StorageClass/Add', 'Node/Add'],
    preFilter(state, pod) {
      const claims = podClaimNames(pod);
      const lister = handle.volumes;
      if (claims.length === 0 || !lister) return Status.skip();
      const ns = pod.metadata?.namespace ?? 'default';
      const delayed: string[] = [];
      let immediateUnbound = false;
      for (const name of claims) {
        const pvc = lister.getClaim(ns, name);
        if (!pvc) return Status.unresolvable(claimNotFound(name));
        if (pvc.metadata?.deletionTimestamp) return Status.unresolvable(claimBeingDeleted(name));
        if (pvc.spec?.volumeName) continue;
        const cls = pvc.spec?.storageClassName ? lister.getStorageClass(pvc.spec.storageClassName) : undefined;
        if (cls?.volumeBindingMode === 'WaitForFirstConsumer') delayed.push(name);
        else immediateUnbound = true;
      }
      if (immediateUnbound) return Status.unresolvable(ERR_REASON_UNBOUND_IMMEDIATE);
      state.write(stateKey, { delayed });
      return Status.SUCCESS;
    },
    filter() {
      return Status.SUCCESS;
    },
    reserve(state, _pod, nodeName) {
      const s = state.read(stateKey);
      if (s) s.nodeName = nodeName;
      return Status.SUCCESS;
    },
    unreserve(state) {
      const s = state.read(stateKey);
      if (s) s.nodeName = undefined;
    },
    async preBind(state, pod, nodeName) {
      const s = state.read(stateKey);
      if (!s || s.delayed.length === 0 || !handle.api.setSelectedNode) return Status.SUCCESS;
      const ns = pod.metadata?.namespace ?? 'default';
      try {
        for (const claim of s.delayed) await handle.api.setSelectedNode(ns, claim, nodeName);
        const lister = handle.volumes;
        if (!lister) return Status.SUCCESS;
        const seen = new Set<string>();
        const deadline = Date.now() + bindTimeoutMs;
        for (;;) {
          let all = true;
          for (const claim of s.delayed) {
            const pvc = lister.getClaim(ns, claim);
            if (pvc?.metadata?.annotations?.[ANNOTATION_SELECTED_NODE] === nodeName) seen.add(claim);
            if (!claimFullyBound(pvc, claim, nodeName, seen.has(claim))) all = false;
          }
          if (all) return Status.SUCCESS;
          if (Date.now() >= deadline) return Status.error(new Error('binding volumes: context deadline exceeded'));
          await new Promise((r) => setTimeout(r, BIND_POLL_MS));
        }
      } catch (e) {
        return Status.error(e);
      }
    },
  } satisfies PreFilterPlugin & FilterPlugin & ReservePlugin & PreBindPlugin;
}
