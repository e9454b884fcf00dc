/**
 * Why a pod fits nowhere (upstream framework.Diagnosis / FitError) and the message users see:
 * "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient
 * cpu. preemption: 0/3 nodes are available: ..." — each node's reasons counted, the
 * "<count> <reason>" strings sorted as strings, the PostFilter message appended.
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import type { NodeToStatusReader } from './interfaces.js';
import { Status } from './status.js';

export const NO_NODE_AVAILABLE_MSG = '0/%d nodes are available';
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Statuses of the nodes Filter rejected, and one status for all nodes not listed. */
export class NodeToStatus implements NodeToStatusReader {
  private readonly map = new Map<string, Status>();
  absentNodesStatus: Status = Status.unresolvable();

  get(nodeName: string): Status {
    return this.map.get(nodeName) ?? this.absentNodesStatus;
  }

  set(nodeName: string, status: Status): void {
    this.map.set(nodeName, status);
  }

  has(nodeName: string): boolean {
    return this.map.has(nodeName);
  }

  entries(): IterableIterator<[string, Status]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }
}

export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** Plugins that returned Unschedulable or UnschedulableAndUnresolvable. */
  unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new NodeToStatus(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

export function addPluginStatus(d: Diagnosis, s: Status): void {
  if (s.plugin && s.isRejected()) d.unschedulablePlugins.add(s.plugin);
}

/** "<count> <reason>" for every reason, sorted as strings (upstream sortReasonsHistogram). */
export function reasonHistogram(counts: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [reason, n] of counts) out.push(`${n} ${reason}`);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The result of a cycle in which no node fits (not thrown: returned by the runner). */
export class FitError {
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {}

  get message(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }

  toString(): string {
    return this.message;
  }
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg !== '') {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const [, st] of d.nodeToStatus.entries()) {
      for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const absent = numAllNodes - d.nodeToStatus.size;
    if (absent > 0) {
      for (const r of d.nodeToStatus.absentNodesStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    }
    const hist = reasonHistogram(counts);
    if (hist.length > 0) msg += ` ${hist.join(', ')}.`;
  }
  if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
  return msg;
}
