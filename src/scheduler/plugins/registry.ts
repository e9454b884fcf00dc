/**
 * The default profile (upstream's default plugin set for kube-scheduler 1.32, in its order):
 * filter order decides which reason a node reports, score weights as upstream
 * (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, others 1).
 */
import type { ProfileEntry } from '../framework/runtime.js';
import * as defaultBinder from './default-binder.js';
import * as defaultPreemption from './default-preemption.js';
import * as interPodAffinity from './inter-pod-affinity.js';
import * as nodeAffinity from './node-affinity.js';
import * as nodeName from './node-name.js';
import * as nodePorts from './node-ports.js';
import * as nodeResourcesFit from './node-resources-fit.js';
import * as nodeUnschedulable from './node-unschedulable.js';
import * as podTopologySpread from './pod-topology-spread.js';
import * as taintToleration from './taint-toleration.js';
import * as volumeBinding from './volume-binding.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export function defaultProfile(): ProfileEntry[] {
  return [
    { factory: () => nodeUnschedulable.create() },
    { factory: () => nodeName.create() },
    { factory: () => taintToleration.create(), weight: 3 },
    { factory: () => nodeAffinity.create(), weight: 2 },
    { factory: () => nodePorts.create() },
    { factory: (h) => nodeResourcesFit.create(h), weight: 1 },
    { factory: (h) => volumeBinding.create(h) },
    { factory: (h) => podTopologySpread.create(h), weight: 2 },
    { factory: (h) => interPodAffinity.create(h), weight: 2 },
    { factory: (h) => defaultPreemption.create(h) },
    { factory: (h) => defaultBinder.create(h) },
  ];
}
