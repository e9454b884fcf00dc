/**
 * TaintToleration: NoSchedule and NoExecute taints must be tolerated; PreferNoSchedule taints
 * that are not tolerated lower the score (fewer is better) (upstream plugins/tainttoleration).
 */
import type { Taint, Toleration } from '../../apimachinery/generated/types.js';
import { StateKey } from '../framework/cycle-state.js';
import { findUntoleratedTaint, taintTolerated } from '../framework/helpers.js';
import type { FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';
import { defaultNormalizeScore } from './node-affinity.js';

export const NAME = 'TaintToleration';
export const untoleratedTaintReason = (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;

const preScoreKey = new StateKey<Toleration[]>(`PreScore${NAME}`);

const isScheduling = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** Number of PreferNoSchedule taints not tolerated. */
export function countIntolerableTaintsPreferNoSchedule(taints: Taint[] | undefined, tolerations: Toleration[]): number {
  let n = 0;
  for (const t of taints ?? []) {
    if (t.effect === 'PreferNoSchedule' && !taintTolerated(t, tolerations)) n++;
  }
  return n;
}

export function create() {
  return {
    name: NAME,
    events: ['Node/Add', 'Node/UpdateTaint'],
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return Status.error('invalid nodeInfo');
      const t = findUntoleratedTaint(nodeInfo.node.spec?.taints, pod.spec?.tolerations, isScheduling);
      return t ? Status.unresolvable(untoleratedTaintReason(t)) : Status.SUCCESS;
    },
    preScore(state, pod) {
      state.write(preScoreKey, (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
      return Status.SUCCESS;
    },
    score(state, pod, nodeInfo) {
      const tols = state.read(preScoreKey) ?? pod.spec?.tolerations ?? [];
      return countIntolerableTaintsPreferNoSchedule(nodeInfo.node?.spec?.taints, tols);
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
      return Status.SUCCESS;
    },
  } satisfies FilterPlugin & PreScorePlugin & ScorePlugin;
}
