/**
 * NodeAffinity: nodeSelector and required node affinity filter; preferred terms score by the
 * sum of matching weights, normalized to 0..100 (upstream plugins/nodeaffinity).
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import { podMatchesNodeSelectorAndAffinity, preferredNodeAffinityScore } from '../framework/helpers.js';
import type { FilterPlugin, NodeScore, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE, PreFilterResult } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

/**
 * Node names the pod can only go to, when every required term pins `metadata.name` with In
 * (upstream's PreFilterResult); undefined when any node may match.
 */
export function requiredNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return undefined;
  const names = new Set<string>();
  for (const t of terms) {
    const pinned = (t.matchFields ?? []).find((f) => f.key === 'metadata.name' && f.operator === 'In');
    if (!pinned) return undefined;
    for (const v of pinned.values ?? []) names.add(v);
  }
  return names;
}

/** Scales raw scores to 0..max by the highest one (upstream DefaultNormalizeScore). */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: NodeScore[]): void {
  let highest = 0;
  for (const s of scores) highest = Math.max(highest, s.score);
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / highest);
    if (reverse) v = max - v;
    s.score = v;
  }
}

export function create() {
  return {
    name: NAME,
    events: ['Node/Add', 'Node/UpdateLabel'],
    preFilter(_state, pod) {
      const hasSelector = Object.keys(pod.spec?.nodeSelector ?? {}).length > 0;
      const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (!hasSelector && !required) return Status.skip();
      const names = requiredNodeNames(pod);
      return names ? new PreFilterResult(names) : Status.SUCCESS;
    },
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return Status.error('node not found');
      return podMatchesNodeSelectorAndAffinity(pod, nodeInfo.node) ? Status.SUCCESS : Status.unresolvable(ERR_REASON_POD);
    },
    preScore(_state, pod) {
      const pref = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      return pref && pref.length > 0 ? Status.SUCCESS : Status.skip();
    },
    score(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return Status.error('node not found');
      return preferredNodeAffinityScore(pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, nodeInfo.node);
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
      return Status.SUCCESS;
    },
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
}
