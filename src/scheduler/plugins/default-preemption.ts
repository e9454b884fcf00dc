/**
 * DefaultPreemption (upstream plugins/defaultpreemption + framework/preemption): when nothing
 * fits, find nodes where evicting lower-priority pods lets the pod fit, keep the fewest victims
 * (reprieving the most important pods first), pick one node by upstream's criteria, evict its
 * victims through the API and nominate the node. Without a candidate the PostFilter message
 * reads "preemption: 0/N nodes are available: ...".
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import type { CycleState } from '../framework/cycle-state.js';
import { fitErrorMessage, newDiagnosis, NodeToStatus } from '../framework/fit-error.js';
import type { Handle, NodeToStatusReader, PostFilterPlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { podPriority } from '../framework/pod-info.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'DefaultPreemption';
export const ERR_REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const MSG_POLICY_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const MSG_TERMINATING_ON_NOMINATED = 'not eligible due to a terminating pod on the nominated node.';
export const MSG_PREFIX = 'preemption: ';

export interface Args {
  /** Share of nodes to dry-run (default 10%). */
  minCandidateNodesPercentage?: number;
  /** Floor on nodes to dry-run (default 100). */
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  nodeName: string;
  /** Most important first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

const INT32_OFFSET = 2 ** 31;

/** Start time of a pod (status.startTime; a pod without one counts as just started). */
export function podStartTime(pod: Pod, now = Date.now()): number {
  const t = pod.status?.startTime;
  return t ? Date.parse(t) : now;
}

/** Higher priority first, then the one started earlier (upstream MoreImportantPod). */
export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return podStartTime(a.pod) < podStartTime(b.pod);
}

/** Earliest start time among the highest-priority victims. */
function earliestStartOfHighest(victims: readonly PodInfo[]): number {
  let maxPrio = -Infinity;
  let earliest = Infinity;
  for (const v of victims) {
    const t = podStartTime(v.pod);
    if (v.priority > maxPrio) {
      maxPrio = v.priority;
      earliest = t;
    } else if (v.priority === maxPrio && t < earliest) {
      earliest = t;
    }
  }
  return earliest;
}

/**
 * Upstream's choice among candidates: fewest PDB violations, lowest highest-victim priority,
 * lowest sum of priorities, fewest victims, latest start of the highest-priority victims, first.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[]): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -(c.victims[0]?.priority ?? -INT32_OFFSET),
    (c) => -c.victims.reduce((s, v) => s + v.priority + INT32_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfHighest(c.victims),
  ];
  let rest = [...candidates];
  for (const score of criteria) {
    if (rest.length === 1) break;
    let best = -Infinity;
    let next: Candidate[] = [];
    for (const c of rest) {
      const s = score(c);
      if (s > best) {
        best = s;
        next = [c];
      } else if (s === best) {
        next.push(c);
      }
    }
    rest = next;
  }
  return rest[0];
}

export function create(
  handle: Pick<Handle, 'snapshot' | 'api' | 'nominator' | 'random' | 'runFilterPluginsWithNominatedPods' | 'runPreFilterExtensionAddPod' | 'runPreFilterExtensionRemovePod'>,
  args: Args = {},
) {
  const pct = args.minCandidateNodesPercentage ?? 10;
  const abs = args.minCandidateNodesAbsolute ?? 100;

  function eligible(pod: Pod, statuses: NodeToStatusReader): string | undefined {
    if (pod.spec?.preemptionPolicy === 'Never') return MSG_POLICY_NEVER;
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      if (statuses.get(nominated).code === Code.UnschedulableAndUnresolvable) return undefined;
      const ni = handle.snapshot().get(nominated);
      const prio = podPriority(pod);
      if (ni?.pods.some((p) => p.pod.metadata?.deletionTimestamp && p.priority < prio)) return MSG_TERMINATING_ON_NOMINATED;
    }
    return undefined;
  }

  /** Victims on one node, or the status explaining why there are none (upstream SelectVictimsOnNode). */
  function selectVictimsOnNode(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { victims: PodInfo[]; numViolating: number; status: Status } {
    const prio = podPriority(pod);
    const remove = (p: PodInfo): Status => {
      nodeInfo.removePod(p);
      return handle.runPreFilterExtensionRemovePod(state, pod, p, nodeInfo);
    };
    const add = (p: PodInfo): Status => {
      nodeInfo.addPod(p);
      return handle.runPreFilterExtensionAddPod(state, pod, p, nodeInfo);
    };
    const potential = nodeInfo.pods.filter((p) => p.priority < prio);
    for (const p of potential) {
      const s = remove(p);
      if (!s.isSuccess()) return { victims: [], numViolating: 0, status: s };
    }
    if (potential.length === 0) return { victims: [], numViolating: 0, status: Status.unresolvable(ERR_REASON_NO_VICTIMS) };
    const fits = handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo);
    if (!fits.isSuccess()) return { victims: [], numViolating: 0, status: fits };
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const victims: PodInfo[] = [];
    for (const p of potential) {
      const s = add(p);
      if (!s.isSuccess()) return { victims: [], numViolating: 0, status: s };
      if (!handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo).isSuccess()) {
        const r = remove(p);
        if (!r.isSuccess()) return { victims: [], numViolating: 0, status: r };
        victims.push(p);
      }
    }
    return { victims, numViolating: 0, status: Status.SUCCESS };
  }

  return {
    name: NAME,
    async postFilter(state, pod, statuses) {
      const notEligible = eligible(pod, statuses);
      if (notEligible) return { status: Status.unschedulable(MSG_PREFIX + notEligible) };

      const all = handle.snapshot().nodes();
      if (all.length === 0) return { status: Status.error('no nodes available') };
      const nodeStatuses = new NodeToStatus();
      nodeStatuses.absentNodesStatus = Status.unresolvable(ERR_REASON_NOT_HELPFUL);
      const potential: NodeInfo[] = [];
      for (const ni of all) {
        if (statuses.get(ni.name).code === Code.UnschedulableAndUnresolvable) nodeStatuses.set(ni.name, Status.unresolvable(ERR_REASON_NOT_HELPFUL));
        else potential.push(ni);
      }

      const candidates: Candidate[] = [];
      if (potential.length > 0) {
        let want = Math.trunc((potential.length * pct) / 100);
        if (want < abs) want = abs;
        if (want > potential.length) want = potential.length;
        const offset = Math.floor(handle.random() * potential.length);
        for (let i = 0; i < potential.length && candidates.length < want; i++) {
          const ni = potential[(offset + i) % potential.length]!;
          const r = selectVictimsOnNode(state.clone(), pod, ni.clone());
          if (r.status.isSuccess() && r.victims.length > 0) {
            candidates.push({ nodeName: ni.name, victims: r.victims, numPDBViolations: r.numViolating });
            continue;
          }
          const st = r.status.isSuccess() ? Status.error(`expected at least one victim pod on node "${ni.name}"`) : r.status;
          nodeStatuses.set(ni.name, st);
        }
      }

      const best = pickOneNodeForPreemption(candidates);
      if (!best) {
        const d = newDiagnosis();
        for (const [n, s] of nodeStatuses.entries()) d.nodeToStatus.set(n, s);
        d.nodeToStatus.absentNodesStatus = nodeStatuses.absentNodesStatus;
        return { result: { nominatedNodeName: '' }, status: Status.unschedulable(MSG_PREFIX + fitErrorMessage(all.length, d)) };
      }

      // Evict the victims and drop lower-priority nominations on that node.
      try {
        await Promise.all(best.victims.map((v) => handle.api.deletePod(v.pod, pod)));
        const prio = podPriority(pod);
        const clear = handle.api.clearNominatedNodeName;
        if (clear) {
          const displaced = handle.nominator.nominatedPodsForNode(best.nodeName).filter((p) => p.priority < prio && p.pod.metadata?.uid !== pod.metadata?.uid);
          await Promise.all(displaced.map((p) => clear.call(handle.api, p.pod)));
        }
      } catch (e) {
        return { status: Status.error(e) };
      }
      return { result: { nominatedNodeName: best.nodeName }, status: Status.SUCCESS };
    },
  } satisfies PostFilterPlugin;
}
