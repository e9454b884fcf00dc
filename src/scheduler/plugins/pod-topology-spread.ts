/**
 * PodTopologySpread (upstream plugins/podtopologyspread). Filter: for each DoNotSchedule
 * constraint, matching pods in the node's domain + the pod itself - the global minimum must
 * not exceed maxSkew. Score: ScheduleAnyway constraints (or, for pods without constraints, the
 * system defaults: hostname maxSkew 3 and zone maxSkew 5 over the selector of the services and
 * controllers owning the pod) prefer domains with fewer matching pods.
 */
import type { Node, Pod, TopologySpreadConstraint } from '../../apimachinery/generated/types.js';
import type { LabelSelector } from '../../apimachinery/labels.js';
import { labelSelectorFromObject, nothing } from '../../apimachinery/labels.js';
import { StateKey } from '../framework/cycle-state.js';
import { findUntoleratedTaint, podMatchesNodeSelectorAndAffinity } from '../framework/helpers.js';
import type { FilterPlugin, Handle, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** Upstream's system default constraints (applied when a pod has none). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export interface Args {
  /** 'System' (default) uses SYSTEM_DEFAULT_CONSTRAINTS; 'List' uses `defaultConstraints`. */
  defaultingType?: 'System' | 'List';
  defaultConstraints?: TopologySpreadConstraint[];
}

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

function labelOf(node: Node, key: string): string | undefined {
  const l = node.metadata?.labels;
  return l && Object.prototype.hasOwnProperty.call(l, key) ? l[key] : undefined;
}

function toConstraint(pod: Pod, c: TopologySpreadConstraint, selector?: LabelSelector): Constraint {
  let sel: LabelSelector;
  if (selector) {
    sel = selector;
  } else {
    const obj = { matchLabels: { ...(c.labelSelector?.matchLabels ?? {}) }, matchExpressions: [...(c.labelSelector?.matchExpressions ?? [])] };
    const labels = pod.metadata?.labels ?? {};
    for (const k of c.matchLabelKeys ?? []) if (k in labels) obj.matchLabels[k] = labels[k]!;
    try {
      sel = c.labelSelector || (c.matchLabelKeys ?? []).length > 0 ? labelSelectorFromObject(obj) : nothing();
    } catch {
      sel = nothing();
    }
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector: sel,
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  };
}

function nodeIncluded(c: Constraint, pod: Pod, node: Node): boolean {
  if (c.honorNodeAffinity && !podMatchesNodeSelectorAndAffinity(pod, node)) return false;
  if (c.honorNodeTaints) {
    const isHard = (t: { effect: string }) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
    if (findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, isHard)) return false;
  }
  return true;
}

function hasAllKeys(node: Node, constraints: readonly Constraint[]): boolean {
  return constraints.every((c) => labelOf(node, c.topologyKey) !== undefined);
}

/** Pods of `namespace` on the node matching the selector, terminating ones excluded. */
export function countPodsMatchSelector(pods: readonly PodInfo[], selector: LabelSelector, namespace: string): number {
  let n = 0;
  for (const p of pods) {
    if (p.pod.metadata?.deletionTimestamp || p.namespace !== namespace) continue;
    if (selector.matches(p.pod.metadata?.labels ?? {})) n++;
  }
  return n;
}

class PreFilterState {
  constructor(
    readonly constraints: Constraint[],
    /** "key\0value" → matching pods. */
    readonly pairCounts: Map<string, number>,
    /** per constraint: number of domains and the minimum count. */
    readonly domains: number[],
    readonly minCounts: number[],
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.constraints, new Map(this.pairCounts), [...this.domains], [...this.minCounts]);
  }

  recomputeMin(i: number): void {
    const prefix = `${this.constraints[i]!.topologyKey}\u0000`;
    let min = Infinity;
    for (const [k, v] of this.pairCounts) if (k.startsWith(prefix)) min = Math.min(min, v);
    this.minCounts[i] = min === Infinity ? 0 : min;
  }

  update(pod: Pod, existing: PodInfo, node: Node, delta: number): void {
    if (existing.namespace !== (pod.metadata?.namespace ?? 'default') || !hasAllKeys(node, this.constraints)) return;
    this.constraints.forEach((c, i) => {
      if (!nodeIncluded(c, pod, node) || !c.selector.matches(existing.pod.metadata?.labels ?? {})) return;
      const k = `${c.topologyKey}\u0000${labelOf(node, c.topologyKey)}`;
      if (!this.pairCounts.has(k)) return;
      this.pairCounts.set(k, this.pairCounts.get(k)! + delta);
      this.recomputeMin(i);
    });
  }
}

interface PreScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  pairCounts: Map<string, number>;
  weights: number[];
}

const preFilterKey = new StateKey<PreFilterState>(`PreFilter${NAME}`);
const preScoreKey = new StateKey<PreScoreState>(`PreScore${NAME}`);

export function create(handle: Pick<Handle, 'snapshot' | 'defaultSpreadSelector'>, args: Args = {}) {
  const defaults = args.defaultingType === 'List' ? (args.defaultConstraints ?? []) : SYSTEM_DEFAULT_CONSTRAINTS;

  /** The pod's constraints of one kind, or the defaults when the pod has none at all. */
  function constraintsFor(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): { list: Constraint[]; systemDefaulted: boolean } {
    const own = pod.spec?.topologySpreadConstraints ?? [];
    if (own.length > 0) return { list: own.filter((c) => c.whenUnsatisfiable === when).map((c) => toConstraint(pod, c)), systemDefaulted: false };
    const wanted = defaults.filter((c) => c.whenUnsatisfiable === when);
    if (wanted.length === 0) return { list: [], systemDefaulted: false };
    const sel = handle.defaultSpreadSelector(pod);
    if (!sel || sel.empty) return { list: [], systemDefaulted: false };
    return { list: wanted.map((c) => toConstraint(pod, c, sel)), systemDefaulted: args.defaultingType !== 'List' };
  }

  return {
    name: NAME,
    events: ['AssignedPod/Add', 'AssignedPod/Update', 'AssignedPod/Delete', 'Node/Add', 'Node/UpdateLabel', 'Node/UpdateTaint', 'Node/Delete'],
    preFilter(state, pod, nodes) {
      const { list } = constraintsFor(pod, 'DoNotSchedule');
      if (list.length === 0) return Status.skip();
      const pairCounts = new Map<string, number>();
      const ns = pod.metadata?.namespace ?? 'default';
      for (const ni of nodes) {
        const node = ni.node;
        if (!node || !hasAllKeys(node, list)) continue;
        for (const c of list) {
          if (!nodeIncluded(c, pod, node)) continue;
          const k = `${c.topologyKey}\u0000${labelOf(node, c.topologyKey)}`;
          pairCounts.set(k, (pairCounts.get(k) ?? 0) + countPodsMatchSelector(ni.pods, c.selector, ns));
        }
      }
      const domains = list.map((c) => {
        const prefix = `${c.topologyKey}\u0000`;
        let n = 0;
        for (const k of pairCounts.keys()) if (k.startsWith(prefix)) n++;
        return n;
      });
      const s = new PreFilterState(list, pairCounts, domains, list.map(() => 0));
      list.forEach((_, i) => s.recomputeMin(i));
      state.write(preFilterKey, s);
      return Status.SUCCESS;
    },
    preFilterExtensions: {
      addPod(state, pod, podInfo, nodeInfo) {
        const s = state.read(preFilterKey);
        if (s && nodeInfo.node) s.update(pod, podInfo, nodeInfo.node, 1);
        return Status.SUCCESS;
      },
      removePod(state, pod, podInfo, nodeInfo) {
        const s = state.read(preFilterKey);
        if (s && nodeInfo.node) s.update(pod, podInfo, nodeInfo.node, -1);
        return Status.SUCCESS;
      },
    },
    filter(state, pod, nodeInfo) {
      const s = state.read(preFilterKey);
      if (!s) return Status.error(`reading "${preFilterKey.description}" from cycleState: not found`);
      const node = nodeInfo.node;
      if (!node) return Status.error('node not found');
      const labels = pod.metadata?.labels ?? {};
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]!;
        const v = labelOf(node, c.topologyKey);
        if (v === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const min = s.domains[i]! < c.minDomains ? 0 : s.minCounts[i]!;
        const self = c.selector.matches(labels) ? 1 : 0;
        const count = s.pairCounts.get(`${c.topologyKey}\u0000${v}`) ?? 0;
        if (count + self - min > c.maxSkew) return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return Status.SUCCESS;
    },
    preScore(state, pod, filtered) {
      const { list, systemDefaulted } = constraintsFor(pod, 'ScheduleAnyway');
      if (list.length === 0) return Status.skip();
      const requireAll = (pod.spec?.topologySpreadConstraints ?? []).length > 0 || !systemDefaulted;
      const ignored = new Set<string>();
      const pairCounts = new Map<string, number>();
      const sizes = list.map(() => 0);
      for (const ni of filtered) {
        const node = ni.node;
        if (!node) continue;
        if (requireAll && !hasAllKeys(node, list)) {
          ignored.add(ni.name);
          continue;
        }
        list.forEach((c, i) => {
          if (c.topologyKey === LABEL_HOSTNAME) return;
          const k = `${c.topologyKey}\u0000${labelOf(node, c.topologyKey) ?? ''}`;
          if (!pairCounts.has(k)) {
            pairCounts.set(k, 0);
            sizes[i]!++;
          }
        });
      }
      const weights = list.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : sizes[i]!) + 2));
      const ns = pod.metadata?.namespace ?? 'default';
      for (const ni of handle.snapshot().nodes()) {
        const node = ni.node;
        if (!node || !hasAllKeys(node, list)) continue;
        for (const c of list) {
          if (!nodeIncluded(c, pod, node) || c.topologyKey === LABEL_HOSTNAME) continue;
          const k = `${c.topologyKey}\u0000${labelOf(node, c.topologyKey)}`;
          const cur = pairCounts.get(k);
          if (cur === undefined) continue;
          pairCounts.set(k, cur + countPodsMatchSelector(ni.pods, c.selector, ns));
        }
      }
      state.write(preScoreKey, { constraints: list, ignored, pairCounts, weights });
      return Status.SUCCESS;
    },
    score(state, pod, nodeInfo: NodeInfo) {
      const s = state.read(preScoreKey);
      const node = nodeInfo.node;
      if (!s || !node || s.ignored.has(nodeInfo.name)) return 0;
      const ns = pod.metadata?.namespace ?? 'default';
      let score = 0;
      s.constraints.forEach((c, i) => {
        const v = labelOf(node, c.topologyKey);
        if (v === undefined) return;
        const cnt = c.topologyKey === LABEL_HOSTNAME ? countPodsMatchSelector(nodeInfo.pods, c.selector, ns) : (s.pairCounts.get(`${c.topologyKey}\u0000${v}`) ?? 0);
        score += cnt * s.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(state, _pod, scores) {
      const s = state.read(preScoreKey);
      if (!s) return Status.SUCCESS;
      let min = Infinity;
      let max = 0;
      for (const x of scores) {
        if (s.ignored.has(x.name)) continue;
        min = Math.min(min, x.score);
        max = Math.max(max, x.score);
      }
      for (const x of scores) {
        if (s.ignored.has(x.name)) x.score = 0;
        else if (max === 0) x.score = MAX_NODE_SCORE;
        else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
      }
      return Status.SUCCESS;
    },
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
}

