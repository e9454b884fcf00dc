/**
 * Matching rules several plugins share: node selector terms (upstream
 * component-helpers/scheduling/corev1/nodeaffinity) and taint tolerations (upstream v1 helper).
 */
import type {
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PreferredSchedulingTerm,
  Taint,
  Toleration,
} from '../../apimachinery/generated/types.js';

function parseIntStrict(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return Number(s);
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = parseIntStrict(value);
      const want = parseIntStrict(values[0]);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default: return false;
  }
}

/** One term: all expressions and fields match; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const r of exprs) {
    const v = Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined;
    if (!requirementMatches(r, v)) return false;
  }
  for (const r of fields) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if ((r.values ?? []).length !== 1) return false;
    if (!requirementMatches(r, node.metadata?.name ?? '')) return false;
  }
  return true;
}

/** The terms are ORed. */
export function nodeSelectorTermsMatch(terms: NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/** nodeSelector and required node affinity of the pod (upstream GetRequiredNodeAffinity.Match). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const sel = pod.spec?.nodeSelector;
  if (sel) {
    const labels = node.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return nodeSelectorTermsMatch(required.nodeSelectorTerms ?? [], node);
  return true;
}

/** Sum of the weights of the preferred terms the node matches (empty terms and weight 0 skipped). */
export function preferredNodeAffinityScore(terms: PreferredSchedulingTerm[] | undefined, node: Node): number {
  let score = 0;
  for (const t of terms ?? []) {
    if (!t.weight) continue;
    if (nodeSelectorTermMatches(t.preference, node)) score += t.weight;
  }
  return score;
}

export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal':
    case '': return (tol.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export function taintTolerated(taint: Taint, tolerations: Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint (of those `include` accepts) that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: Taint[] | undefined,
  tolerations: Toleration[] | undefined,
  include: (t: Taint) => boolean,
): Taint | undefined {
  for (const t of taints ?? []) {
    if (include(t) && !taintTolerated(t, tolerations)) return t;
  }
  return undefined;
}
