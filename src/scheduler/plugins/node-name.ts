/**
 * NodeName: a pod that names its node fits only there (upstream plugins/nodename).
 */
import type { Node, Pod } from '../../apimachinery/generated/types.js';
import type { FilterPlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

/** True when the pod names no node or names this one. */
export function fits(pod: Pod, node: Node | undefined): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === node?.metadata?.name;
}

export function create() {
  return {
    name: NAME,
    events: ['Node/Add'],
    filter(_state, pod, nodeInfo) {
      if (!nodeInfo.node) return Status.error('node not found');
      return fits(pod, nodeInfo.node) ? Status.SUCCESS : Status.unresolvable(ERR_REASON);
    },
  } satisfies FilterPlugin;
}
