/**
 * NodeResourcesFit: the pod's requests (init containers and overhead included) must fit in the
 * node's allocatable minus what its pods already request; scored LeastAllocated (upstream
 * plugins/noderesources, default strategy: cpu and memory, weight 1 each).
 */
import type { Pod } from '../../apimachinery/generated/types.js';
import { StateKey } from '../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { Resource } from '../framework/resource.js';
import { isScalarResourceName, podRequests } from '../framework/resource.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeResourcesFit';
export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';
export const insufficient = (resource: string): string => `Insufficient ${resource}`;

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface Args {
  /** Resources scored, with weights (default cpu 1, memory 1). */
  resources?: ResourceSpec[];
  /** Resources the filter does not check. */
  ignoredResources?: string[];
}

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The request exceeds the whole allocatable: preemption cannot help. */
  unresolvable: boolean;
}

const preFilterKey = new StateKey<Resource>(`PreFilter${NAME}`);
const preScoreKey = new StateKey<number[]>(`PreScore${NAME}`);

/** What does not fit (upstream fitsRequest). */
export function fitsRequest(req: Resource, nodeInfo: NodeInfo, ignored: ReadonlySet<string> = new Set()): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resource: 'pods', reason: ERR_REASON_TOO_MANY_PODS, requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber, unresolvable: false });
  }
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return out;
  const check = (resource: string, want: number, have: number, usedV: number) => {
    if (want > 0 && want > have - usedV) {
      out.push({ resource, reason: insufficient(resource), requested: want, used: usedV, capacity: have, unresolvable: want > have });
    }
  };
  check('cpu', req.milliCPU, alloc.milliCPU, used.milliCPU);
  check('memory', req.memory, alloc.memory, used.memory);
  check('ephemeral-storage', req.ephemeralStorage, alloc.ephemeralStorage, used.ephemeralStorage);
  for (const [name, want] of req.scalar) {
    if (want === 0 || ignored.has(name)) continue;
    check(name, want, alloc.scalar.get(name) ?? 0, used.scalar.get(name) ?? 0);
  }
  return out;
}

/** LeastAllocated for one resource: (capacity - requested) * 100 / capacity, 0 when over. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

function podScoreRequest(pod: Pod, resources: readonly ResourceSpec[]): number[] {
  const nz = podRequests(pod, true);
  const plain = podRequests(pod);
  return resources.map((r) => (r.name === 'cpu' || r.name === 'memory' ? nz.get(r.name) : plain.get(r.name)));
}

export function leastAllocatedScore(podReq: readonly number[], nodeInfo: NodeInfo, resources: readonly ResourceSpec[]): number {
  let score = 0;
  let weights = 0;
  resources.forEach((r, i) => {
    const want = podReq[i] ?? 0;
    if (want === 0 && isScalarResourceName(r.name)) return;
    const capacity = nodeInfo.allocatable.get(r.name);
    if (capacity === 0) return;
    const used = r.name === 'cpu' || r.name === 'memory' ? nodeInfo.nonZeroRequested.get(r.name) : nodeInfo.requested.get(r.name);
    score += leastRequestedScore(used + want, capacity) * r.weight;
    weights += r.weight;
  });
  return weights === 0 ? 0 : Math.trunc(score / weights);
}

export function create(_handle?: unknown, args: Args = {}) {
  const resources = args.resources ?? [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }];
  const ignored = new Set(args.ignoredResources ?? []);
  return {
    name: NAME,
    events: ['AssignedPod/Delete', 'Node/Add', 'Node/UpdateAllocatable'],
    preFilter(state, pod) {
      state.write(preFilterKey, podRequests(pod));
      return Status.SUCCESS;
    },
    filter(state, pod, nodeInfo) {
      const req = state.read(preFilterKey) ?? podRequests(pod);
      const bad = fitsRequest(req, nodeInfo, ignored);
      if (bad.length === 0) return Status.SUCCESS;
      const reasons = bad.map((b) => b.reason);
      return bad.some((b) => b.unresolvable) ? Status.unresolvable(...reasons) : Status.unschedulable(...reasons);
    },
    preScore(state, pod) {
      state.write(preScoreKey, podScoreRequest(pod, resources));
      return Status.SUCCESS;
    },
    score(state, pod, nodeInfo) {
      const req = state.read(preScoreKey) ?? podScoreRequest(pod, resources);
      return leastAllocatedScore(req, nodeInfo, resources);
    },
  } satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
}
