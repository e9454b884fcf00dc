/**
 * Pure parts of the disruption controller (upstream pkg/controller/disruption): scaled
 * int-or-percent values, the healthy count, the expiry of `disruptedPods` entries and the status
 * a budget should carry. Inputs are never modified.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from '../../apimachinery/generated/types.js';
import type { GroupVersionResource } from '../../client/rest-client.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { isPodReady } from '../replicaset/controller-utils.js';

export type PdbObject = KubeObject & { spec?: PodDisruptionBudgetSpec; status?: PodDisruptionBudgetStatus };

export const PODDISRUPTIONBUDGETS: GroupVersionResource = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' };

/** An eviction not yet seen as a deletion is forgotten after this long (upstream DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export const REASON_SUFFICIENT_PODS = 'SufficientPods';
export const REASON_INSUFFICIENT_PODS = 'InsufficientPods';
export const REASON_SYNC_FAILED = 'SyncFailed';
export const CONDITION_DISRUPTION_ALLOWED = 'DisruptionAllowed';

export function isPercent(v: number | string | undefined): v is string {
  return typeof v === 'string' && v.endsWith('%');
}

/** An int, or a percent of `total` rounded up or down (upstream GetScaledValueFromIntOrPercent). */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (!isPercent(v)) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  }
  const pct = Number(v.slice(0, -1));
  if (!Number.isFinite(pct)) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** Budgets whose numbers need the owning controllers' scale (upstream: maxUnavailable or a percent). */
export function needsScale(spec: PodDisruptionBudgetSpec | undefined): boolean {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) return true;
  return isPercent(spec?.minAvailable);
}

/** expectedCount and desiredHealthy from the spec (`expectedScale` only used when needed). */
export function expectedAndDesired(spec: PodDisruptionBudgetSpec | undefined, podCount: number, expectedScale: number): { expected: number; desired: number } {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedScale, true);
    return { expected: expectedScale, desired: Math.max(0, expectedScale - maxUnavailable) };
  }
  const min = spec?.minAvailable;
  if (min === undefined || min === null) return { expected: 0, desired: 0 };
  if (isPercent(min)) return { expected: expectedScale, desired: scaledValue(min, expectedScale, true) };
  return { expected: podCount, desired: scaledValue(min, podCount, true) };
}

/**
 * Entries of `disruptedPods` still pending: the pod exists, is not yet being deleted and the
 * eviction is younger than the timeout. Also returns when the next entry expires.
 */
export function pruneDisruptedPods(disrupted: Record<string, string> | undefined, pods: readonly PodObject[], now: number): {
  kept: Record<string, string>; recheckAt?: number;
} {
  const kept: Record<string, string> = {};
  let recheckAt: number | undefined;
  if (!disrupted) return { kept };
  const byName = new Map(pods.map((p) => [p.metadata.name ?? '', p]));
  for (const [name, at] of Object.entries(disrupted)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const t = Date.parse(at);
    if (Number.isNaN(t)) continue;
    const expires = t + DELETION_TIMEOUT_MS;
    if (expires <= now) continue;
    kept[name] = at;
    if (recheckAt === undefined || expires < recheckAt) recheckAt = expires;
  }
  return { kept, recheckAt };
}

/** Ready pods that are neither being deleted nor recently evicted. */
export function countHealthy(pods: readonly PodObject[], disrupted: Record<string, string>): number {
  let n = 0;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (disrupted[p.metadata.name ?? ''] !== undefined) continue;
    if (isPodReady(p)) n++;
  }
  return n;
}

export function disruptionsAllowed(currentHealthy: number, desiredHealthy: number, expected: number): number {
  if (expected <= 0) return 0;
  return Math.max(0, currentHealthy - desiredHealthy);
}
