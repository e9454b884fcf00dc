/**
 * DaemonSet placement as upstream's daemon controller decides it: the tolerations every daemon
 * pod gets, whether a node should run (and may keep running) a daemon pod (nodeSelector,
 * required node affinity, NoSchedule/NoExecute taints), the node-name affinity that binds a pod
 * to its node, and the node a pod targets. Pure; inputs are read-only.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type {
  DaemonSetSpec, DaemonSetStatus, NodeSelectorRequirement, NodeSelectorTerm, NodeSpec, NodeStatus, PodSpec, PodTemplateSpec, Taint,
  Toleration,
} from '../../apimachinery/generated/types.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import { newControllerRef } from '../replicaset/controller-utils.js';
import { POD_REVISION_LABEL } from '../history/controller-history.js';

export type DaemonSetObject = KubeObject & { spec?: DaemonSetSpec; status?: DaemonSetStatus };
export type NodeObject = KubeObject & { spec?: NodeSpec; status?: NodeStatus };

/** Added to every daemon pod (network-unavailable only with hostNetwork), as upstream. */
export function daemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const out: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec?.hostNetwork) out.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

/** The template's tolerations plus the daemon ones (same key+effect replaced, as AddOrUpdateTolerationInPod). */
export function withDaemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const result = [...(spec?.tolerations ?? [])];
  for (const t of daemonTolerations(spec)) {
    const i = result.findIndex((x) => x.key === t.key && x.effect === t.effect && (x.operator ?? 'Equal') === t.operator && x.value === t.value);
    if (i >= 0) continue;
    result.push(t);
  }
  return result;
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator ?? 'Equal';
  if (!t.key) return op === 'Exists';
  if (t.key !== taint.key) return false;
  if (op === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && /^-?\d+$/.test(value) && values.length === 1 && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && /^-?\d+$/.test(value) && values.length === 1 && Number(value) < Number(values[0]);
    default: return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: NodeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((r) => requirementMatches(r, labels[r.key]))
    && fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name));
}

/** nodeSelector and required node affinity. */
export function nodeMatchesPod(spec: PodSpec | undefined, node: NodeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, node))) return false;
  return true;
}

/**
 * [shouldRun, shouldContinueRunning] (upstream NodeShouldRunDaemonPod): a node that does not
 * match the selectors runs nothing; one with an untolerated NoSchedule/NoExecute taint gets no new
 * pod but keeps a running one unless a NoExecute taint is untolerated.
 */
export function nodeShouldRunDaemonPod(ds: DaemonSetObject, node: NodeObject): [boolean, boolean] {
  const spec = ds.spec?.template?.spec;
  if (spec?.nodeName && spec.nodeName !== node.metadata.name) return [false, false];
  if (!nodeMatchesPod(spec, node)) return [false, false];
  const tolerations = withDaemonTolerations(spec);
  const untolerated = (effects: string[]): boolean => (node.spec?.taints ?? [])
    .filter((t) => effects.includes(t.effect))
    .some((t) => !tolerations.some((tol) => tolerates(tol, t)));
  if (untolerated(['NoSchedule', 'NoExecute'])) return [false, !untolerated(['NoExecute'])];
  return [true, true];
}

/** The node a daemon pod targets: spec.nodeName, else its metadata.name node-affinity field. */
export function targetNodeName(pod: PodObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** The daemon pod for a node: bound through required node affinity on metadata.name. */
export function newDaemonPod(ds: DaemonSetObject, template: PodTemplateSpec | undefined, hash: string, nodeName: string): PodObject {
  const tmeta = template?.metadata ?? {};
  const spec: PodSpec = deepCopy(template?.spec) ?? { containers: [] };
  spec.tolerations = withDaemonTolerations(spec);
  const nodeAffinity = spec.affinity?.nodeAffinity ?? {};
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
      },
    },
  };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name ?? ''}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(tmeta.labels ?? {}), [POD_REVISION_LABEL]: hash },
      ...(tmeta.annotations ? { annotations: { ...tmeta.annotations } } : {}),
      ...(tmeta.finalizers ? { finalizers: [...tmeta.finalizers] } : {}),
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec,
  };
}
