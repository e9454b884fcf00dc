/**
 * NodePorts: a pod's hostPorts must be free on the node, same protocol and port conflicting
 * when either address is 0.0.0.0 or both are equal (upstream plugins/nodeports).
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import { StateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import type { HostPortSet } from '../framework/node-info.js';
import type { HostPort } from '../framework/pod-info.js';
import { podHostPorts } from '../framework/pod-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

const portsKey = new StateKey<HostPort[]>(`PreFilter${NAME}`);

export function fitsPorts(wanted: readonly HostPort[], used: HostPortSet): boolean {
  return wanted.every((p) => !used.conflicts(p));
}

export function create() {
  return {
    name: NAME,
    events: ['AssignedPod/Delete', 'Node/Add'],
    preFilter(state, pod: Pod) {
      const ports = podHostPorts(pod);
      if (ports.length === 0) return Status.skip();
      state.write(portsKey, ports);
      return Status.SUCCESS;
    },
    filter(state, pod, nodeInfo) {
      const ports = state.read(portsKey) ?? podHostPorts(pod);
      return fitsPorts(ports, nodeInfo.usedPorts) ? Status.SUCCESS : Status.unschedulable(ERR_REASON);
    },
  } satisfies PreFilterPlugin & FilterPlugin;
}
