/**
 * Taint and condition rules of the node lifecycle controller (upstream pkg/controller/nodelifecycle
 * and pkg/controller/tainteviction), as pure functions.
 */
import type { Node, NodeCondition, Taint, Toleration } from '../../apimachinery/generated/types.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** Condition (type, status) → the NoSchedule taint it implies (upstream nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: readonly { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: TAINT_MEMORY_PRESSURE },
  { type: 'DiskPressure', status: 'True', key: TAINT_DISK_PRESSURE },
  { type: 'NetworkUnavailable', status: 'True', key: TAINT_NETWORK_UNAVAILABLE },
  { type: 'PIDPressure', status: 'True', key: TAINT_PID_PRESSURE },
];
const NO_SCHEDULE_KEYS = new Set([...CONDITION_TAINTS.map((c) => c.key), TAINT_UNSCHEDULABLE]);

export function condition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** The NoExecute taint the Ready condition calls for (undefined when Ready is True). */
export function wantedNoExecuteKey(ready: NodeCondition | undefined): string | undefined {
  if (!ready) return undefined;
  if (ready.status === 'False') return TAINT_NOT_READY;
  if (ready.status === 'Unknown') return TAINT_UNREACHABLE;
  return undefined;
}

/**
 * The node's taints after the controller's passes: NoSchedule taints follow the conditions and
 * `spec.unschedulable`; the not-ready / unreachable NoExecute taint follows Ready, unless
 * `allowNoExecute` is false (a fully disrupted zone), which adds none but keeps what is there
 * (`removeNoExecute` clears them, as when every zone is disrupted). Other taints are untouched.
 * Returns the same array when nothing changes.
 */
export function desiredTaints(node: Node, opts: { now: string; allowNoExecute: boolean; removeNoExecute?: boolean }): Taint[] {
  const current = node.spec?.taints ?? [];
  const wantNoSchedule = new Set<string>();
  for (const c of node.status?.conditions ?? []) {
    for (const rule of CONDITION_TAINTS) if (rule.type === c.type && rule.status === c.status) wantNoSchedule.add(rule.key);
  }
  if (node.spec?.unschedulable) wantNoSchedule.add(TAINT_UNSCHEDULABLE);
  const readyKey = wantedNoExecuteKey(condition(node, 'Ready'));
  const noExecuteKeys = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

  const hadNoExecute = current.some((t) => t.effect === 'NoExecute' && noExecuteKeys.has(t.key));
  const out: Taint[] = [];
  let changed = false;
  for (const t of current) {
    if (t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key)) {
      if (!wantNoSchedule.has(t.key)) {
        changed = true;
        continue;
      }
      wantNoSchedule.delete(t.key);
    } else if (t.effect === 'NoExecute' && noExecuteKeys.has(t.key)) {
      if (opts.removeNoExecute || t.key !== readyKey) {
        changed = true;
        continue;
      }
    }
    out.push(t);
  }
  for (const key of wantNoSchedule) {
    out.push({ key, effect: 'NoSchedule' });
    changed = true;
  }
  // A new NoExecute taint needs an undisrupted zone; swapping not-ready <-> unreachable does not.
  const mayAdd = opts.allowNoExecute || hadNoExecute;
  if (readyKey && mayAdd && !opts.removeNoExecute && !out.some((t) => t.key === readyKey && t.effect === 'NoExecute')) {
    out.push({ key: readyKey, effect: 'NoExecute', timeAdded: opts.now });
    changed = true;
  }
  return changed ? out : current;
}

export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal':
    case '': return (tol.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export type EvictionDecision =
  | { action: 'none' }
  | { action: 'now' }
  /** Evict `seconds` after the eviction was first scheduled. */
  | { action: 'after'; seconds: number };

/**
 * What the NoExecute taint manager does with a pod on a node with these taints: nothing when
 * every NoExecute taint is tolerated forever, at once when one is not tolerated, else after the
 * smallest tolerationSeconds among the tolerations in use.
 */
export function evictionDecision(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): EvictionDecision {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return { action: 'none' };
  const used: Toleration[] = [];
  for (const t of noExecute) {
    const matching = (tolerations ?? []).filter((tol) => toleratesTaint(tol, t));
    if (matching.length === 0) return { action: 'now' };
    used.push(...matching);
  }
  let min: number | undefined;
  for (const tol of used) {
    if (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null) continue;
    const s = Math.max(0, tol.tolerationSeconds);
    if (min === undefined || s < min) min = s;
  }
  return min === undefined ? { action: 'none' } : { action: 'after', seconds: min };
}
