/**
 * NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (upstream plugins/nodeunschedulable).
 */
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import { taintTolerated } from '../framework/helpers.js';
import type { FilterPlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_UNKNOWN_CONDITION = 'node(s) had unknown conditions';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function fits(pod: Pod, node: Node): boolean {
  if (!node.spec?.unschedulable) return true;
  return taintTolerated({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' }, pod.spec?.tolerations);
}

export function create() {
  return {
    name: NAME,
    events: ['Node/Add', 'Node/Update'],
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return Status.unresolvable(ERR_REASON_UNKNOWN_CONDITION);
      return fits(pod, nodeInfo.node) ? Status.SUCCESS : Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  } satisfies FilterPlugin;
}
