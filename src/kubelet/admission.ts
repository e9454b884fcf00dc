/**
 * Kubelet pod admission (upstream pkg/kubelet/lifecycle/predicate.go): before a pod bound to this
 * node runs, it must fit the node given the pods already admitted. The checks, in upstream's
 * order: the pod's `kubernetes.io/os` label and `spec.os` against the node's OS; then the
 * scheduler's general predicates (resources, required node affinity / nodeSelector, node name,
 * host ports), then untolerated NoExecute taints (skipped for static pods). The first failure is
 * the rejection: `OutOf<resource>` with "Node didn't have enough resource: ..." for resources,
 * the predicate's name with "Predicate <name> failed: <reason>" for the others.
 *
 * Pure: the kubelet supplies the Node and the pods it has admitted that are still active.
 */
import type { Node, Pod } from '../apimachinery/generated/types.js';
import { findUntoleratedTaint, podMatchesNodeSelectorAndAffinity } from '../scheduler/framework/helpers.js';
import { NodeInfo } from '../scheduler/framework/node-info.js';
import { podHostPorts } from '../scheduler/framework/pod-info.js';
import type { Resource } from '../scheduler/framework/resource.js';
import { podRequests } from '../scheduler/framework/resource.js';
import * as nodeAffinity from '../scheduler/plugins/node-affinity.js';
import * as nodeName from '../scheduler/plugins/node-name.js';
import * as nodePorts from '../scheduler/plugins/node-ports.js';
import { fitsRequest } from '../scheduler/plugins/node-resources-fit.js';
import * as taintToleration from '../scheduler/plugins/taint-toleration.js';

export const OS_LABEL = 'kubernetes.io/os';
export const POD_OS_SELECTOR_MISMATCH = 'PodOSSelectorNodeLabelDoesNotMatch';
export const POD_OS_NOT_SUPPORTED = 'PodOSNotSupported';
export const TAINT_REASON = "node(s) had taints that the pod didn't tolerate";
/** Prefix of the reason of a resource rejection: `OutOfcpu`, `OutOfmemory`, `OutOfpods`, ... */
export const INSUFFICIENT_RESOURCE_PREFIX = 'OutOf';

export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

export interface AdmissionInput {
  pod: Pod;
  node: Node;
  /** Pods admitted earlier that are still active on the node (the pod itself excluded). */
  otherPods: readonly Pod[];
  /** Static (mirror) pods skip the taint check. */
  isStatic?: boolean;
  /** The kubelet's operating system (Go's GOOS); default `linux`. */
  os?: string;
}

function reject(reason: string, message: string): AdmitResult {
  return { admit: false, reason, message };
}

function predicateFailure(name: string, desc: string): AdmitResult {
  return reject(name, `Predicate ${name} failed: ${desc}`);
}

/** Extended resources (`example.com/gpu`) the node does not know are not checked (upstream removeMissingExtendedResources). */
function isExtendedResourceName(name: string): boolean {
  if (!name.includes('/') || name.startsWith('requests.')) return false;
  return !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/');
}

function withoutMissingExtended(req: Resource, info: NodeInfo): Resource {
  for (const name of [...req.scalar.keys()]) {
    if (isExtendedResourceName(name) && !info.allocatable.scalar.has(name)) req.scalar.delete(name);
  }
  return req;
}

export function admitPod(input: AdmissionInput): AdmitResult {
  const { pod, node } = input;
  const os = input.os ?? 'linux';
  const podOsLabel = pod.metadata?.labels?.[OS_LABEL];
  // The node's OS label is taken as the kubelet's own OS whatever the API holds (as upstream).
  if (podOsLabel !== undefined && podOsLabel !== os) {
    return reject(POD_OS_SELECTOR_MISMATCH, "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
  }
  const specOs = pod.spec?.os?.name;
  if (specOs && specOs !== os) return reject(POD_OS_NOT_SUPPORTED, "Failed to admit pod as the OS field doesn't match node OS");

  const info = new NodeInfo(node, [...input.otherPods]);
  const short = fitsRequest(withoutMissingExtended(podRequests(pod), info), info);
  const first = short[0];
  if (first) {
    return reject(`${INSUFFICIENT_RESOURCE_PREFIX}${first.resource}`,
      `Node didn't have enough resource: ${first.resource}, requested: ${first.requested}, used: ${first.used}, capacity: ${first.capacity}`);
  }
  if (!podMatchesNodeSelectorAndAffinity(pod, node)) return predicateFailure(nodeAffinity.NAME, nodeAffinity.ERR_REASON_POD);
  const wantedNode = pod.spec?.nodeName;
  if (wantedNode && wantedNode !== node.metadata?.name) return predicateFailure(nodeName.NAME, nodeName.ERR_REASON);
  if (!nodePorts.fitsPorts(podHostPorts(pod), info.usedPorts)) return predicateFailure(nodePorts.NAME, nodePorts.ERR_REASON);
  if (!input.isStatic && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, (t) => t.effect === 'NoExecute')) {
    return predicateFailure(taintToleration.NAME, TAINT_REASON);
  }
  return { admit: true };
}

/** The rejected pod's status message (the event carries the bare message). */
export function rejectionStatusMessage(message: string): string {
  return `Pod was rejected: ${message}`;
}
