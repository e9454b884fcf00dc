/**
 * InterPodAffinity (upstream plugins/interpodaffinity). Filter: the pod's required affinity
 * terms must find matching pods in the node's topology domain (or the pod matches itself and
 * no pod matches anywhere yet), its required anti-affinity terms must find none, and no
 * existing pod's required anti-affinity may select it. Score: preferred terms of the pod and
 * of existing pods (existing pods' required affinity counting `hardPodAffinityWeight`),
 * min-max normalized.
 */
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import { StateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, Handle, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { AffinityTerm, NamespaceLabels, WeightedAffinityTerm } from '../framework/pod-info.js';
import { PodInfo, termMatches } from '../framework/pod-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1;

export interface Args {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

const pair = (key: string, value: string): string => `${key}\u0000${value}`;

/** Counts of matching pods per topology pair, zero entries removed. */
class TopologyCounts {
  readonly m = new Map<string, number>();

  add(key: string, value: string, delta: number): void {
    const k = pair(key, value);
    const n = (this.m.get(k) ?? 0) + delta;
    if (n === 0) this.m.delete(k);
    else this.m.set(k, n);
  }

  get(key: string, value: string): number {
    return this.m.get(pair(key, value)) ?? 0;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, v] of this.m) c.m.set(k, v);
    return c;
  }
}

function labelOf(node: Node, key: string): string | undefined {
  const l = node.metadata?.labels;
  return l && Object.prototype.hasOwnProperty.call(l, key) ? l[key] : undefined;
}

class PreFilterState {
  constructor(
    readonly podInfo: PodInfo,
    readonly nsLabels: NamespaceLabels,
    readonly existingAntiAffinityCounts = new TopologyCounts(),
    readonly affinityCounts = new TopologyCounts(),
    readonly antiAffinityCounts = new TopologyCounts(),
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.podInfo, this.nsLabels, this.existingAntiAffinityCounts.clone(), this.affinityCounts.clone(), this.antiAffinityCounts.clone());
  }

  /** Accounts (mult 1) or un-accounts (mult -1) an existing pod on `node`. */
  updateWithPod(existing: PodInfo, node: Node, mult: 1 | -1): void {
    const incoming = this.podInfo.pod;
    for (const t of existing.requiredAntiAffinityTerms) {
      const v = labelOf(node, t.topologyKey);
      if (v !== undefined && termMatches(t, incoming, this.nsLabels)) this.existingAntiAffinityCounts.add(t.topologyKey, v, mult);
    }
    const aff = this.podInfo.requiredAffinityTerms;
    if (aff.length > 0 && aff.every((t) => termMatches(t, existing.pod, this.nsLabels))) {
      for (const t of aff) {
        const v = labelOf(node, t.topologyKey);
        if (v !== undefined) this.affinityCounts.add(t.topologyKey, v, mult);
      }
    }
    for (const t of this.podInfo.requiredAntiAffinityTerms) {
      const v = labelOf(node, t.topologyKey);
      if (v !== undefined && termMatches(t, existing.pod, this.nsLabels)) this.antiAffinityCounts.add(t.topologyKey, v, mult);
    }
  }
}

const preFilterKey = new StateKey<PreFilterState>(`PreFilter${NAME}`);
const preScoreKey = new StateKey<Map<string, Map<string, number>>>(`PreScore${NAME}`);

export function satisfyPodAffinity(s: PreFilterState, node: Node): boolean {
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    const v = labelOf(node, t.topologyKey);
    if (v === undefined) return false;
    if (s.affinityCounts.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group that selects itself may go anywhere its terms' keys exist.
  return s.affinityCounts.m.size === 0 && s.podInfo.requiredAffinityTerms.every((t) => termMatches(t, s.podInfo.pod, s.nsLabels));
}

export function satisfyPodAntiAffinity(s: PreFilterState, node: Node): boolean {
  if (s.antiAffinityCounts.m.size === 0) return true;
  for (const t of s.podInfo.requiredAntiAffinityTerms) {
    const v = labelOf(node, t.topologyKey);
    if (v !== undefined && s.antiAffinityCounts.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

export function satisfyExistingPodsAntiAffinity(s: PreFilterState, node: Node): boolean {
  if (s.existingAntiAffinityCounts.m.size === 0) return true;
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (s.existingAntiAffinityCounts.get(k, v) > 0) return false;
  }
  return true;
}

function addScore(scores: Map<string, Map<string, number>>, term: AffinityTerm, weight: number, target: Pod, nsLabels: NamespaceLabels, node: Node): void {
  if (weight === 0) return;
  const v = labelOf(node, term.topologyKey);
  if (v === undefined || !termMatches(term, target, nsLabels)) return;
  let m = scores.get(term.topologyKey);
  if (!m) scores.set(term.topologyKey, (m = new Map()));
  m.set(v, (m.get(v) ?? 0) + weight);
}

function addTerms(scores: Map<string, Map<string, number>>, terms: readonly WeightedAffinityTerm[], target: Pod, nsLabels: NamespaceLabels, node: Node, mult: 1 | -1): void {
  for (const t of terms) addScore(scores, t, t.weight * mult, target, nsLabels, node);
}

export function create(handle: Pick<Handle, 'snapshot' | 'namespaceLabels'>, args: Args = {}) {
  const hardWeight = args.hardPodAffinityWeight ?? DEFAULT_HARD_POD_AFFINITY_WEIGHT;
  const nsLabels: NamespaceLabels = (ns) => handle.namespaceLabels(ns);
  return {
    name: NAME,
    events: ['AssignedPod/Add', 'AssignedPod/Update', 'AssignedPod/Delete', 'Node/Add', 'Node/UpdateLabel'],
    preFilter(state, pod, nodes) {
      const info = new PodInfo(pod);
      const withAnti = handle.snapshot().havePodsWithRequiredAntiAffinity();
      if (info.requiredAffinityTerms.length === 0 && info.requiredAntiAffinityTerms.length === 0 && withAnti.length === 0) {
        return Status.skip();
      }
      const s = new PreFilterState(info, nsLabels);
      const hasOwnTerms = info.requiredAffinityTerms.length > 0 || info.requiredAntiAffinityTerms.length > 0;
      for (const ni of hasOwnTerms ? nodes : withAnti) {
        if (!ni.node) continue;
        for (const existing of hasOwnTerms ? ni.pods : ni.podsWithRequiredAntiAffinity) s.updateWithPod(existing, ni.node, 1);
      }
      state.write(preFilterKey, s);
      return Status.SUCCESS;
    },
    preFilterExtensions: {
      addPod(state, _pod, podInfo, nodeInfo) {
        const s = state.read(preFilterKey);
        if (!s) return Status.error(`reading "${preFilterKey.description}" from cycleState: not found`);
        if (nodeInfo.node) s.updateWithPod(podInfo, nodeInfo.node, 1);
        return Status.SUCCESS;
      },
      removePod(state, _pod, podInfo, nodeInfo) {
        const s = state.read(preFilterKey);
        if (!s) return Status.error(`reading "${preFilterKey.description}" from cycleState: not found`);
        if (nodeInfo.node) s.updateWithPod(podInfo, nodeInfo.node, -1);
        return Status.SUCCESS;
      },
    },
    filter(state, _pod, nodeInfo) {
      const s = state.read(preFilterKey);
      if (!s) return Status.error(`reading "${preFilterKey.description}" from cycleState: not found`);
      const node = nodeInfo.node;
      if (!node) return Status.error('node not found');
      if (!satisfyPodAffinity(s, node)) return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      if (!satisfyPodAntiAffinity(s, node)) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
      if (!satisfyExistingPodsAntiAffinity(s, node)) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
      return Status.SUCCESS;
    },
    preScore(state, pod) {
      const info = new PodInfo(pod);
      const hasConstraints = info.preferredAffinityTerms.length > 0 || info.preferredAntiAffinityTerms.length > 0;
      if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return Status.skip();
      const snap = handle.snapshot();
      const nodes: readonly NodeInfo[] = hasConstraints ? snap.nodes() : snap.havePodsWithAffinity();
      const scores = new Map<string, Map<string, number>>();
      for (const ni of nodes) {
        const node = ni.node;
        if (!node || Object.keys(node.metadata?.labels ?? {}).length === 0) continue;
        for (const existing of hasConstraints ? ni.pods : ni.podsWithAffinity) {
          addTerms(scores, info.preferredAffinityTerms, existing.pod, nsLabels, node, 1);
          addTerms(scores, info.preferredAntiAffinityTerms, existing.pod, nsLabels, node, -1);
          if (hardWeight > 0) for (const t of existing.requiredAffinityTerms) addScore(scores, t, hardWeight, pod, nsLabels, node);
          if (!args.ignorePreferredTermsOfExistingPods) {
            addTerms(scores, existing.preferredAffinityTerms, pod, nsLabels, node, 1);
            addTerms(scores, existing.preferredAntiAffinityTerms, pod, nsLabels, node, -1);
          }
        }
      }
      if (scores.size === 0) return Status.skip();
      state.write(preScoreKey, scores);
      return Status.SUCCESS;
    },
    score(state, _pod, nodeInfo) {
      const scores = state.read(preScoreKey);
      if (!scores) return 0;
      let total = 0;
      for (const [key, byValue] of scores) {
        const v = labelOf(nodeInfo.node ?? {}, key);
        if (v !== undefined) total += byValue.get(v) ?? 0;
      }
      return total;
    },
    normalizeScore(state, _pod, list) {
      if (!state.read(preScoreKey)) return Status.SUCCESS;
      let min = Infinity;
      let max = -Infinity;
      for (const s of list) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      const diff = max - min;
      for (const s of list) s.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
      return Status.SUCCESS;
    },
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
}
